package model

import (
	"fmt"
	"sort"
	"strings"
)

// PrincipalRow is one principal's answer for one bucket and action: a row
// of who-can, can-reach and the XLSX Principals sheet.
type PrincipalRow struct {
	Bucket        string `json:"bucket"`
	BucketAccount string `json:"bucket_account"`
	Action        string `json:"action"` // a matrix column: read, list, write, delete, manage
	Class         string `json:"class"`  // ClassSameAccount, ClassOrg or ClassExternal (vocab.go)
	PrincipalAccess
}

// UnlistedRow is a cell whose class's principals of some accounts could
// not be listed: its class answer stands for them.
type UnlistedRow struct {
	Bucket        string   `json:"bucket"`
	BucketAccount string   `json:"bucket_account"`
	Action        string   `json:"action"`
	Class         string   `json:"class"`
	Verdict       Verdict  `json:"verdict"`
	Accounts      []string `json:"accounts"`
	Reason        string   `json:"reason"`
}

// MoreRow is a cell whose principal list the analysis capped
// (Options.PrincipalsPerCell): it lists Listed of Total.
type MoreRow struct {
	Bucket        string `json:"bucket"`
	BucketAccount string `json:"bucket_account"`
	Action        string `json:"action"`
	Class         string `json:"class"`
	Listed        int    `json:"listed"`
	Total         int    `json:"total"`
}

// Text says how many principals the cell does not list and what lists
// them: "… 1000 more: bucketaudit who-can --bucket B lists them".
func (m MoreRow) Text() string {
	return moreText(m.Bucket, m.Total-m.Listed)
}

// MoreText is MoreRow.Text of a cell of bucket ("" when the cell lists
// every principal).
func MoreText(bucket string, c *Cell) string {
	if c.PrincipalsTotal <= len(c.PrincipalAccess) {
		return ""
	}
	return moreText(bucket, c.PrincipalsTotal-len(c.PrincipalAccess))
}

func moreText(bucket string, n int) string {
	return fmt.Sprintf("… %d more: bucketaudit who-can --bucket %s lists them", n, bucket)
}

// PrincipalRows calls row for every principal listed in the bucket's cells
// and unlisted (when not nil) for every cell naming accounts whose
// principals could not be listed: action by action (matrix order), then
// same_account, org and the external accounts (sorted).
func (b *Bucket) PrincipalRows(row func(PrincipalRow), unlisted func(UnlistedRow)) {
	b.PrincipalRowsMore(row, unlisted, nil)
}

// PrincipalRowsMore is PrincipalRows, calling more (when not nil) after
// the rows of every cell whose list is capped (Cell.PrincipalsTotal).
func (b *Bucket) PrincipalRowsMore(row func(PrincipalRow), unlisted func(UnlistedRow), more func(MoreRow)) {
	type classRow struct {
		class string
		acts  *Actions
	}
	rows := []classRow{{ClassSameAccount, &b.Access.SameAccount}, {ClassOrg, &b.Access.Org}}
	ext := make([]string, 0, len(b.Access.External))
	for id := range b.Access.External {
		ext = append(ext, id)
	}
	sort.Strings(ext)
	for _, id := range ext {
		e := b.Access.External[id]
		rows = append(rows, classRow{ClassExternal, &e.Actions})
	}
	for i, action := range ActionNames() {
		for _, r := range rows {
			c := r.acts.Cells()[i]
			for _, p := range c.PrincipalAccess {
				row(PrincipalRow{Bucket: b.Name, BucketAccount: b.AccountID, Action: action, Class: r.class, PrincipalAccess: p})
			}
			if more != nil && c.PrincipalsTotal > len(c.PrincipalAccess) {
				more(MoreRow{Bucket: b.Name, BucketAccount: b.AccountID, Action: action, Class: r.class,
					Listed: len(c.PrincipalAccess), Total: c.PrincipalsTotal})
			}
			if unlisted != nil && len(c.PrincipalsUnlisted) > 0 {
				unlisted(UnlistedRow{Bucket: b.Name, BucketAccount: b.AccountID, Action: action, Class: r.class,
					Verdict: c.Verdict, Accounts: c.PrincipalsUnlisted, Reason: c.Reason})
			}
		}
	}
}

// ClassCell is one cell of the classes principals are listed for: a row
// of the answers for a cell whose principals are not decided (unknown).
type ClassCell struct {
	Bucket        string `json:"bucket"`
	BucketAccount string `json:"bucket_account"`
	Action        string `json:"action"`
	Class         string `json:"class"`
	// External is the external account of a ClassExternal cell.
	External string  `json:"external_account,omitempty"`
	Verdict  Verdict `json:"verdict"`
	Reason   string  `json:"reason"`
}

// ClassCells calls visit for every cell of the bucket's same_account, org
// and external rows, action by action (matrix order).
func (b *Bucket) ClassCells(visit func(ClassCell)) {
	ext := make([]string, 0, len(b.Access.External))
	for id := range b.Access.External {
		ext = append(ext, id)
	}
	sort.Strings(ext)
	for i, action := range ActionNames() {
		cell := func(class, external string, a *Actions) {
			c := a.Cells()[i]
			visit(ClassCell{Bucket: b.Name, BucketAccount: b.AccountID, Action: action, Class: class, External: external, Verdict: c.Verdict, Reason: c.Reason})
		}
		cell(ClassSameAccount, "", &b.Access.SameAccount)
		cell(ClassOrg, "", &b.Access.Org)
		for _, id := range ext {
			e := b.Access.External[id]
			cell(ClassExternal, id, &e.Actions)
		}
	}
}

// Cells returns the row's five cells in matrix order.
func (a *Actions) Cells() [5]*Cell {
	return [5]*Cell{&a.Read, &a.List, &a.Write, &a.Delete, &a.Manage}
}

// Why says why the principal is (conditionally) allowed: the deciding
// statements, the conditions, and for an unknown verdict what could not
// be read.
func (p *PrincipalAccess) Why() string {
	var parts []string
	if len(p.Statements) > 0 {
		parts = append(parts, strings.Join(p.Statements, ", "))
	}
	if len(p.Conditions) > 0 {
		parts = append(parts, "only if "+strings.Join(p.Conditions, " or "))
	}
	if p.Reason != "" {
		parts = append(parts, p.Reason)
	}
	return strings.Join(parts, "; ")
}

// CountText summarises a cell's principals: "3 roles, 1 user, 2 roots in
// 2 accounts" ("" when none are listed); of a capped list, "1234
// principals, the first 200: 150 roles, 50 roots in 30 accounts".
func CountText(c *Cell) string {
	if len(c.PrincipalAccess) == 0 {
		return ""
	}
	n := map[string]int{}
	accts := map[string]bool{}
	for i := range c.PrincipalAccess {
		n[c.PrincipalAccess[i].Type]++
		if c.PrincipalAccess[i].Type != PrincipalFederated { // an identity provider is of no account
			accts[c.PrincipalAccess[i].Account] = true
		}
	}
	var parts []string
	for _, t := range []string{PrincipalRole, PrincipalUser, PrincipalRoot, PrincipalFederated} {
		noun := t
		if t == PrincipalFederated {
			noun = "identity provider"
		}
		switch n[t] {
		case 0:
		case 1:
			parts = append(parts, "1 "+noun)
		default:
			parts = append(parts, fmt.Sprintf("%d %ss", n[t], noun))
		}
	}
	word := "accounts"
	if len(accts) == 1 {
		word = "account"
	}
	text := fmt.Sprintf("%s in %d %s", strings.Join(parts, ", "), len(accts), word)
	if c.PrincipalsTotal > len(c.PrincipalAccess) {
		text = fmt.Sprintf("%d principals, the first %d: %s", c.PrincipalsTotal, len(c.PrincipalAccess), text)
	}
	return text
}

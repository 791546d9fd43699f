package report

import (
	"fmt"
	"strings"

	"github.com/bucketaudit/bucketaudit/model"
)

func (b *workbook) writeAccounts() error {
	t := table{sheet: SheetAccounts, freezeCols: 2,
		header: []string{"Account ID", "Account", "OU path", "Management", "Scan status", "Buckets",
			"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets",
			"Findings", "Errors", "Error detail"},
		widths: []float64{14, 20, 30, 12, 12, 9, 16, 16, 18, 20, 9, 8, 70}, wrap: []int{13}}
	return b.stream(t, func(emit func([]any) error) error {
		for i := range b.r.Accounts {
			a := &b.r.Accounts[i]
			flags := accountBPA(a)
			var detail []string
			for _, e := range a.Errors {
				detail = append(detail, errorText(e))
			}
			mgmt := ""
			if a.Management {
				mgmt = "yes"
			}
			if err := emit([]any{a.ID, a.Name, a.OUPath, mgmt, a.Status, a.BucketCount,
				flags[0], flags[1], flags[2], flags[3], len(a.Findings), len(a.Errors), strings.Join(detail, "; ")}); err != nil {
				return err
			}
		}
		return nil
	})
}

// accountBPA returns an account's four BPA flags as "true"/"false", "not
// configured" when the account has none, or "unknown" when it could not be
// read.
func accountBPA(a *model.Account) [4]string {
	if p := a.PublicAccessBlock; p != nil {
		return [4]string{fmt.Sprint(p.BlockPublicACLs), fmt.Sprint(p.IgnorePublicACLs), fmt.Sprint(p.BlockPublicPolicy), fmt.Sprint(p.RestrictPublicBuckets)}
	}
	unread := a.Status == model.StatusFailed
	for _, e := range a.Errors {
		if e.Bucket == "" && (e.Field == "public_access_block" || strings.Contains(e.Operation, "PublicAccessBlock")) {
			unread = true
		}
	}
	v := "not configured"
	if unread {
		v = "unknown"
	}
	return [4]string{v, v, v, v}
}

// errorText is one failed read in a sentence fragment.
func errorText(e model.Error) string {
	s := e.Operation
	if e.Field != "" {
		s += " (" + e.Field + ")"
	}
	s += ": " + e.Code
	if e.Message != "" {
		s += " " + e.Message
	}
	return s
}

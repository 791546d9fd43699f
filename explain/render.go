package explain

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// WriteJSON writes the explanation as one indented JSON object.
func (x *Explanation) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(x)
}

// decisionText is the decision as people read it.
func (d Decision) decisionText() string {
	switch d {
	case DecisionAllow:
		return "ALLOWED"
	case DecisionExplicitDeny:
		return "DENIED (explicit deny)"
	case DecisionImplicitDeny:
		return "DENIED (implicit deny: nothing allows it)"
	}
	return "UNKNOWN"
}

// WriteText writes the checklist for people: one block per layer in
// checklist order, then the decision and the first blocking layer.
func (x *Explanation) WriteText(w io.Writer) error {
	b := bufio.NewWriter(w)
	r := x.Request
	fmt.Fprintf(b, "Request: %s on %s\n", r.Action, r.Resource)
	fmt.Fprintf(b, "  caller:  %s (%s)\n", r.Principal, strings.ReplaceAll(string(r.PrincipalKind), "_", " "))
	fmt.Fprintf(b, "  bucket:  %s (account %s, %s)\n", r.Bucket, r.BucketAccount, r.Region)
	if len(r.Context) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(r.Context)) {
			v := r.Context[k]
			if len(v) == 0 {
				parts = append(parts, k+" absent")
				continue
			}
			parts = append(parts, k+"="+strings.Join(v, ","))
		}
		fmt.Fprintf(b, "  context: %s\n", strings.Join(parts, ", "))
	}
	if r.ObjectOwner != "" {
		fmt.Fprintf(b, "  object owner: account %s\n", r.ObjectOwner)
	}
	if r.ErrorCode != "" {
		fmt.Fprintf(b, "  AWS answered: %s\n", r.ErrorCode)
	}
	if r.Source != "" {
		fmt.Fprintf(b, "  source:  %s\n", r.Source)
	}
	fmt.Fprintln(b)
	for i, row := range x.Layers {
		mark := ""
		if row.Blocks {
			mark = "   <-- blocks"
		}
		head := fmt.Sprintf("%d. %s [%s] ", i+1, row.Title, row.Layer)
		fmt.Fprintf(b, "%s%s %s%s\n", head, strings.Repeat(".", max(2, 64-len(head))), row.Verdict.Text(), mark)
		for _, ev := range row.Evidence {
			fmt.Fprintf(b, "     - %s\n", ev)
		}
		if row.Fix != "" {
			fmt.Fprintf(b, "     fix: %s\n", row.Fix)
		}
	}
	fmt.Fprintln(b)
	fmt.Fprintf(b, "Decision: %s", x.Decision.decisionText())
	if x.BlockedBy != nil {
		if x.Decision == DecisionUnknown {
			fmt.Fprintf(b, " — first layer that may block: %s", *x.BlockedBy)
		} else {
			fmt.Fprintf(b, " — first blocking layer: %s", *x.BlockedBy)
		}
	}
	fmt.Fprintln(b)
	if x.Reason != "" {
		fmt.Fprintf(b, "  %s\n", x.Reason)
	}
	for _, c := range x.Conditions {
		fmt.Fprintf(b, "  allowed only if: %s\n", c)
	}
	if len(x.ViaRoles) > 0 {
		call := "sts:AssumeRole"
		if x.Request.PrincipalKind == KindProvider {
			call = "sts:AssumeRoleWithWebIdentity"
			if strings.Contains(x.Request.Principal, ":saml-provider/") {
				call = "sts:AssumeRoleWithSAML"
			}
		}
		fmt.Fprintf(b, "Through role assumption (%s):\n", call)
		for _, r := range x.ViaRoles {
			fmt.Fprintf(b, "  - %s: %s, then the request as %s\n", r.Verdict, r.Path, r.Role)
			for _, c := range r.Conditions {
				fmt.Fprintf(b, "      only if: %s\n", c)
			}
			for _, u := range r.Unreadable {
				fmt.Fprintf(b, "      not read: %s\n", u)
			}
		}
	}
	if c := x.Credentials; c != nil {
		fmt.Fprintf(b, "Credentials (%s): %s\n  fix: %s\n", strings.ReplaceAll(c.Problem, "_", " "), c.Detail, c.Fix)
	}
	if n := x.NoSuchKey; n != nil {
		fmt.Fprintf(b, "If the key does not exist: S3 answers %d. %s\n", n.Status, n.Detail)
		if n.Fix != "" {
			fmt.Fprintf(b, "  fix: %s\n", n.Fix)
		}
	}
	if len(x.Notes) > 0 {
		fmt.Fprintln(b, "Notes:")
		for _, note := range x.Notes {
			fmt.Fprintf(b, "  - %s\n", note)
		}
	}
	return b.Flush()
}

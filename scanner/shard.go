package scanner

import (
	"context"
	"fmt"
	"maps"
	"sort"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/org"
)

// orgOnly walks the organisation into doc (ScanInfo.OrgOnly): the OU tree,
// the policies, and one account per ACTIVE member with what Organizations
// says about it (name, e-mail, status, OU path, attachments, tags and
// their errors). No account is scanned.
func (s *scan) orgOnly(ctx context.Context, doc *inventory.Document) {
	doc.Scan.OrgOnly = true
	defer func() {
		doc.Scan.Interrupted = ctx.Err() != nil
		doc.Scan.FinishedAt = s.opts.Now().UTC()
		doc.Scan.Complete = !doc.Scan.Interrupted && !HasErrors(doc)
	}()
	w, err := org.Walk(ctx, s.sess.Organizations(s.sess.Management()), org.WalkOptions{Concurrency: s.cfg.Concurrency.Requests, Log: s.log})
	if err != nil {
		s.log.Error().Err(err).Msg("cannot read the organization")
		doc.Scan.Errors = inventory.Errors{ScanErrorOrganization: org.FetchErrorOf(err)}
		return
	}
	doc.Organization = w.Organization
	for _, m := range w.Members {
		doc.Accounts = append(doc.Accounts, inventory.Account{
			ID: m.ID, Name: m.Name, Email: m.Email, Status: m.Status, OUPath: m.OUPath,
			Policies: m.Policies, Tags: m.Tags, Errors: maps.Clone(m.Errors),
		})
	}
	s.log.Info().Int("accounts", len(w.Members)).Str("organization", w.Organization.ID).Msg("organization read (--org-only: no account scanned)")
}

// WalkFromSnapshot returns the organisation walk that an org-only scan
// saved (ScanInfo.OrgOnly), as org.Walk would have returned it; partition
// is the partition of the member accounts' ARNs. A document that is not
// such a walk, or that could not read the organisation, is an error.
func WalkFromSnapshot(doc *inventory.Document, partition string) (*org.Walked, error) {
	switch {
	case doc.Scan == nil || !doc.Scan.OrgOnly:
		return nil, fmt.Errorf("not an organisation walk (save one with scan --org-only --save-snapshot FILE)")
	case doc.Organization == nil:
		return nil, fmt.Errorf("the organisation walk holds no organisation (%s)", doc.Scan.Errors[ScanErrorOrganization])
	case doc.Scan.Interrupted:
		return nil, fmt.Errorf("the organisation walk was interrupted: walk it again")
	}
	o := *doc.Organization
	ancestors := map[string][]string{}
	var walk func(ou *inventory.OU, above []string)
	walk = func(ou *inventory.OU, above []string) {
		path := append(append([]string(nil), above...), ou.ID)
		for _, id := range ou.Accounts {
			ancestors[id] = path
		}
		for i := range ou.OUs {
			walk(&ou.OUs[i], path)
		}
	}
	walk(&o.Root, nil)
	w := &org.Walked{Organization: &o}
	for _, a := range doc.Accounts {
		w.Members = append(w.Members, org.Member{
			ID: a.ID, Name: a.Name, Email: a.Email, Status: a.Status, OUPath: a.OUPath,
			ARN:       "arn:" + partition + ":organizations::" + o.ManagementAccountID + ":account/" + o.ID + "/" + a.ID,
			Ancestors: ancestors[a.ID], Policies: a.Policies, Tags: a.Tags, Errors: maps.Clone(a.Errors),
		})
	}
	sort.Slice(w.Members, func(i, j int) bool { return w.Members[i].ID < w.Members[j].ID })
	return w, nil
}

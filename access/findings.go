package access

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/model"
)

// catalog indexes Catalog by ID.
func catalogIndex() map[string]model.CatalogEntry {
	m := make(map[string]model.CatalogEntry, 20)
	for _, e := range model.Catalog() {
		m[e.ID] = e
	}
	return m
}

// lowerSeverity returns the next lower severity (for conditional exposure).
func lowerSeverity(s model.Severity) model.Severity {
	r := s.Rank() + 1
	if r >= 4 {
		return model.SeverityInfo
	}
	return model.Severities()[r]
}

// findingSet collects the findings of one bucket or account.
type findingSet struct {
	cat     map[string]model.CatalogEntry
	account string
	bucket  string
	list    []model.Finding
}

// add records a finding with the catalogue's severity, or sev when not "".
func (s *findingSet) add(id string, sev model.Severity, detail, remediation string) {
	e, ok := s.cat[id]
	if !ok {
		panic("access: finding " + id + " is not in the catalogue") // programming error
	}
	if sev == "" {
		sev = e.Severity
	}
	if s.list == nil {
		s.list = make([]model.Finding, 0, 4) // a bucket has a few
	}
	s.list = append(s.list, model.Finding{
		ID: id, Severity: sev, Title: e.Title, Detail: detail, Remediation: remediation,
		CIS: e.CIS, AccountID: s.account, Bucket: s.bucket,
	})
}

// sorted returns the findings in report order: severity, id, detail.
func (s *findingSet) sorted() []model.Finding {
	sortFindings(s.list)
	return s.list
}

func sortFindings(fs []model.Finding) {
	slices.SortStableFunc(fs, compareFindings)
}

// compareFindings orders findings by severity, id, account, bucket and
// detail.
func compareFindings(a, b model.Finding) int {
	if c := cmp.Compare(a.Severity.Rank(), b.Severity.Rank()); c != 0 {
		return c
	}
	if c := strings.Compare(a.ID, b.ID); c != 0 {
		return c
	}
	if c := strings.Compare(a.AccountID, b.AccountID); c != 0 {
		return c
	}
	if c := strings.Compare(a.Bucket, b.Bucket); c != 0 {
		return c
	}
	return strings.Compare(a.Detail, b.Detail)
}

// tlsDenyStatement is the statement CIS and AWS recommend for TLS-only access.
func tlsDenyStatement(bucketARN string) string {
	return fmt.Sprintf(`{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["%s","%s/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`, bucketARN, bucketARN)
}

// kmsGrantStatement is the key-policy statement that lets an account use a
// key through S3 (its principals still need an identity policy).
func kmsGrantStatement(account, region string) string {
	return fmt.Sprintf(`{"Sid":"AllowS3Use%s","Effect":"Allow","Principal":{"AWS":"%s"},"Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"%s"}}}`, account, awsid.Root(awsid.PartitionOf(region), account), awsid.ServiceEndpoint("s3", region))
}

// joinLimited joins up to n items and says how many more there were.
func joinLimited(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + fmt.Sprintf(" and %d more", len(items)-n)
}

package report

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/model"
)

// OCSF: report.ocsf.jsonl holds one OCSF 1.6.0 IAM Analysis Finding event
// (class_uid 2008, category Findings) per finding, one JSON object a line,
// the account findings first, then the buckets' in report order.
// https://schema.ocsf.io/1.6.0/classes/iam_analysis_finding
const (
	ocsfVersion       = "1.6.0"
	ocsfCategoryUID   = 2 // Findings
	ocsfClassUID      = 2008
	ocsfActivityID    = 1 // Create
	ocsfStatusNew     = 1
	ocsfStatusSuppr   = 3 // Suppressed: a mutelist accepted it
	ocsfUserTypeOther = 99
)

// OCSFEvent is one IAM Analysis Finding event (the attributes bucketaudit
// fills; the class's required ones and the objects' required ones are all
// among them).
type OCSFEvent struct {
	Time                 int64               `json:"time"` // ms since the epoch: when the report was generated
	ActivityID           int                 `json:"activity_id"`
	ActivityName         string              `json:"activity_name"`
	CategoryUID          int                 `json:"category_uid"`
	CategoryName         string              `json:"category_name"`
	ClassUID             int                 `json:"class_uid"`
	ClassName            string              `json:"class_name"`
	TypeUID              int                 `json:"type_uid"`
	TypeName             string              `json:"type_name"`
	SeverityID           int                 `json:"severity_id"`
	Severity             string              `json:"severity"`
	StatusID             int                 `json:"status_id"`
	Status               string              `json:"status"`
	Message              string              `json:"message"`
	Metadata             OCSFMetadata        `json:"metadata"`
	FindingInfo          OCSFFindingInfo     `json:"finding_info"`
	Cloud                OCSFCloud           `json:"cloud"`
	Resources            []OCSFResource      `json:"resources"`
	AccessAnalysisResult OCSFAccessAnalysis  `json:"access_analysis_result"`
	Remediation          *OCSFRemediation    `json:"remediation,omitempty"`
	Unmapped             map[string][]string `json:"unmapped,omitempty"`
}

// OCSFMetadata is the event's metadata object.
type OCSFMetadata struct {
	Version  string      `json:"version"`
	Product  OCSFProduct `json:"product"`
	Profiles []string    `json:"profiles"`
}

// OCSFProduct names bucketaudit.
type OCSFProduct struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
	Version    string `json:"version,omitempty"`
}

// OCSFFindingInfo is the finding_info object.
type OCSFFindingInfo struct {
	UID   string   `json:"uid"`
	Title string   `json:"title"`
	Desc  string   `json:"desc"`
	Types []string `json:"types"`
}

// OCSFCloud is the cloud profile's object.
type OCSFCloud struct {
	Provider string       `json:"provider"`
	Region   string       `json:"region,omitempty"`
	Account  *OCSFAccount `json:"account,omitempty"`
}

// OCSFAccount is an AWS account.
type OCSFAccount struct {
	UID  string `json:"uid"`
	Type string `json:"type,omitempty"`
}

// OCSFResource is a resource_details object: the bucket, or the account.
type OCSFResource struct {
	UID    string       `json:"uid"`
	Name   string       `json:"name"`
	Type   string       `json:"type"`
	Region string       `json:"region,omitempty"`
	Owner  *OCSFAccount `json:"owner_account,omitempty"`
}

// OCSFAccessAnalysis is the access_analysis_result object: who can reach
// the resource (accessors) with which S3 actions (granted_privileges).
type OCSFAccessAnalysis struct {
	Accessors         []OCSFUser `json:"accessors"`
	GrantedPrivileges []string   `json:"granted_privileges,omitempty"`
	AccessType        string     `json:"access_type,omitempty"`
}

// OCSFUser is a user object: an accessor.
type OCSFUser struct {
	UID     string       `json:"uid"`
	Name    string       `json:"name"`
	Type    string       `json:"type"`
	TypeID  int          `json:"type_id"`
	Account *OCSFAccount `json:"account,omitempty"`
}

// OCSFRemediation is the remediation object.
type OCSFRemediation struct {
	Desc string `json:"desc"`
}

// ocsfWriter writes report.ocsf.jsonl. The event time is the report's
// generated_at, known at End: bucket events are spooled without it.
type ocsfWriter struct {
	out     *bufio.Writer
	buckets *spool
}

func newOCSFWriter(w io.Writer, spoolDir string) *ocsfWriter {
	return &ocsfWriter{out: bufio.NewWriterSize(w, 64<<10), buckets: newSpool(spoolDir, "report.ocsf.jsonl events")}
}

// Bucket spools the bucket's events (without their time).
func (o *ocsfWriter) Bucket(b *model.Bucket) error {
	for _, f := range b.Findings {
		data, err := json.Marshal(bucketEvent(b, f))
		if err != nil {
			return fmt.Errorf("encode OCSF event of %s: %w", f.ID, err)
		}
		if err := o.buckets.record(string(data)); err != nil {
			return err
		}
	}
	return nil
}

// End writes the account events, then the spooled bucket events, each with
// the report's time and product version.
func (o *ocsfWriter) End(r *model.Report) error {
	ms := r.GeneratedAt.UnixMilli()
	write := func(data []byte) error {
		// Every event was encoded with time 0 (its first field) and no
		// product version: set them. Neither pattern can occur inside a JSON
		// string, whose quotes are escaped.
		s := string(data)
		s = strings.Replace(s, `{"time":0,`, fmt.Sprintf(`{"time":%d,`, ms), 1)
		s = strings.Replace(s, `"vendor_name":"bucketaudit"}`, `"vendor_name":"bucketaudit","version":`+jsonString(r.ToolVersion)+`}`, 1)
		if _, err := o.out.WriteString(s); err != nil {
			return err
		}
		return o.out.WriteByte('\n')
	}
	for i := range r.Accounts {
		a := &r.Accounts[i]
		for _, f := range a.Findings {
			data, err := json.Marshal(accountEvent(a, f))
			if err != nil {
				return fmt.Errorf("encode OCSF event of %s: %w", f.ID, err)
			}
			if err := write(data); err != nil {
				return err
			}
		}
	}
	if err := o.buckets.records(1, func(fields []string) error { return write([]byte(fields[0])) }); err != nil {
		return err
	}
	return o.out.Flush()
}

// Close removes the spool.
func (o *ocsfWriter) Close() error { return o.buckets.remove() }

func jsonString(s string) string {
	b, _ := json.Marshal(s) // a string always encodes
	return string(b)
}

// ocsfSeverity maps a severity to severity_id and its caption.
func ocsfSeverity(s model.Severity) (int, string) {
	switch s {
	case model.SeverityCritical:
		return 5, "Critical"
	case model.SeverityHigh:
		return 4, "High"
	case model.SeverityMedium:
		return 3, "Medium"
	case model.SeverityLow:
		return 2, "Low"
	case model.SeverityInfo:
		return 1, "Informational"
	}
	return 0, "Unknown"
}

// baseEvent fills the attributes every event has.
func baseEvent(f model.Finding, region string, resource OCSFResource, aa OCSFAccessAnalysis) OCSFEvent {
	sevID, sev := ocsfSeverity(f.Severity)
	status, statusName := ocsfStatusNew, "New"
	var unmapped map[string][]string
	if f.Muted {
		status, statusName = ocsfStatusSuppr, "Suppressed"
		unmapped = map[string][]string{"mute_reason": {f.MuteReason}}
	}
	if f.CIS != "" {
		if unmapped == nil {
			unmapped = map[string][]string{}
		}
		unmapped["cis"] = []string{f.CIS}
	}
	sum := sha256.Sum256([]byte(f.ID + "\x00" + f.AccountID + "\x00" + f.Bucket + "\x00" + f.Detail))
	ev := OCSFEvent{
		ActivityID: ocsfActivityID, ActivityName: "Create",
		CategoryUID: ocsfCategoryUID, CategoryName: "Findings",
		ClassUID: ocsfClassUID, ClassName: "IAM Analysis Finding",
		TypeUID: ocsfClassUID*100 + ocsfActivityID, TypeName: "IAM Analysis Finding: Create",
		SeverityID: sevID, Severity: sev,
		StatusID: status, Status: statusName,
		Message: f.Detail,
		Metadata: OCSFMetadata{Version: ocsfVersion, Profiles: []string{"cloud"},
			Product: OCSFProduct{Name: "bucketaudit", VendorName: "bucketaudit"}},
		FindingInfo:          OCSFFindingInfo{UID: "bucketaudit/" + f.ID + "/" + hex.EncodeToString(sum[:12]), Title: f.Title, Desc: f.Detail, Types: []string{f.ID}},
		Cloud:                OCSFCloud{Provider: "AWS", Region: region, Account: &OCSFAccount{UID: f.AccountID, Type: "AWS Account"}},
		Resources:            []OCSFResource{resource},
		Unmapped:             unmapped,
		AccessAnalysisResult: aa,
	}
	if f.Remediation != "" {
		ev.Remediation = &OCSFRemediation{Desc: f.Remediation}
	}
	return ev
}

// accountEvent is the event of an account finding: the accessor is the
// account itself (its settings are what the finding is about).
func accountEvent(a *model.Account, f model.Finding) OCSFEvent {
	acct := &OCSFAccount{UID: a.ID, Type: "AWS Account"}
	res := OCSFResource{UID: a.ID, Name: a.Name, Type: "AWS::::Account", Owner: acct}
	if res.Name == "" {
		res.Name = a.ID
	}
	aa := OCSFAccessAnalysis{Accessors: []OCSFUser{accountUser(a.ID)}}
	return baseEvent(f, "", res, aa)
}

// bucketEvent is the event of a bucket finding.
func bucketEvent(b *model.Bucket, f model.Finding) OCSFEvent {
	res := OCSFResource{UID: awsid.S3Bucket(awsid.PartitionOf(b.Region), b.Name), Name: b.Name, Type: "AWS::S3::Bucket",
		Region: b.Region, Owner: &OCSFAccount{UID: b.AccountID, Type: "AWS Account"}}
	return baseEvent(f, b.Region, res, bucketAccess(b, f))
}

func accountUser(id string) OCSFUser {
	return OCSFUser{UID: id, Name: "account " + id, Type: "AWS Account", TypeID: ocsfUserTypeOther, Account: &OCSFAccount{UID: id, Type: "AWS Account"}}
}

// openActions returns the S3 actions a row allows (or allows under
// conditions).
func openActions(a *model.Actions) []string {
	cells := [5]*model.Cell{&a.Read, &a.List, &a.Write, &a.Delete, &a.Manage}
	var out []string
	for i, act := range access.MatrixActions() {
		if v := cells[i].Verdict; v == model.VerdictAllow || v == model.VerdictConditional {
			out = append(out, act)
		}
	}
	return out
}

// bucketAccess says who the finding concerns and with which actions:
// anonymous callers for public exposure, any AWS principal, the untrusted
// external accounts, the principal that assumes a role (external-via-role,
// federated-subject-unpinned),
// and otherwise every class of the matrix with an allowed action (the
// bucket's owning account when none is).
func bucketAccess(b *model.Bucket, f model.Finding) OCSFAccessAnalysis {
	anonymous := OCSFUser{UID: "anonymous", Name: "anonymous callers", Type: "Anonymous", TypeID: ocsfUserTypeOther}
	anyAWS := OCSFUser{UID: "*", Name: "any AWS principal", Type: "AWS Principal", TypeID: ocsfUserTypeOther}
	var aa OCSFAccessAnalysis
	priv := map[string]bool{}
	add := func(u OCSFUser, acts []string) {
		aa.Accessors = append(aa.Accessors, u)
		for _, a := range acts {
			priv[a] = true
		}
	}
	switch f.ID {
	case model.FindingPublicRead, model.FindingPublicList, model.FindingPublicWrite, model.FindingPublicACLGrant:
		aa.AccessType = "Public"
		add(anonymous, openActions(&b.Access.Public))
	case model.FindingAnyAuthenticatedAccess:
		aa.AccessType = "Public"
		add(anyAWS, openActions(&b.Access.AnyAWS))
	case model.FindingExternalAccountAccess:
		aa.AccessType = "Cross-Account"
		for _, id := range slices.Sorted(maps.Keys(b.Access.External)) {
			if e := b.Access.External[id]; !e.Trusted && len(openActions(&e.Actions)) > 0 {
				add(accountUser(id), openActions(&e.Actions))
			}
		}
	case model.FindingExternalViaRole, model.FindingFederatedSubjectUnpinned:
		aa.AccessType = "Cross-Account"
		// The detail starts with who assumes the role: "account N can …",
		// "service S can …", "any AWS principal can …" or an ARN.
		who, _, _ := strings.Cut(f.Detail, " can ")
		u := OCSFUser{UID: who, Name: who, Type: "AWS Principal", TypeID: ocsfUserTypeOther}
		switch {
		case strings.HasPrefix(who, "account "):
			u = accountUser(strings.TrimPrefix(who, "account "))
		case strings.HasPrefix(who, "service "):
			svc := strings.TrimPrefix(who, "service ")
			u = OCSFUser{UID: svc, Name: svc, Type: "AWS Service", TypeID: ocsfUserTypeOther}
			aa.AccessType = "Service-to-Service"
		case strings.HasPrefix(who, "federated: "):
			idp := strings.TrimPrefix(who, "federated: ")
			u = OCSFUser{UID: idp, Name: idp, Type: "Federated Identity Provider", TypeID: ocsfUserTypeOther}
			aa.AccessType = "Federated"
		}
		add(u, openActions(&b.Access.SameAccount))
	}
	if len(aa.Accessors) == 0 {
		if acts := openActions(&b.Access.Public); len(acts) > 0 {
			add(anonymous, acts)
		}
		if acts := openActions(&b.Access.AnyAWS); len(acts) > 0 {
			add(anyAWS, acts)
		}
		for _, id := range slices.Sorted(maps.Keys(b.Access.External)) {
			e := b.Access.External[id]
			if acts := openActions(&e.Actions); len(acts) > 0 {
				add(accountUser(id), acts)
			}
		}
		if acts := openActions(&b.Access.Org); len(acts) > 0 {
			add(OCSFUser{UID: "organization", Name: "other accounts of the organisation", Type: "AWS Organization", TypeID: ocsfUserTypeOther}, acts)
		}
		if acts := openActions(&b.Access.SameAccount); len(acts) > 0 || len(aa.Accessors) == 0 {
			add(accountUser(b.AccountID), acts)
		}
	}
	for _, a := range access.MatrixActions() {
		if priv[a] {
			aa.GrantedPrivileges = append(aa.GrantedPrivileges, a)
		}
	}
	return aa
}

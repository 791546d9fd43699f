package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// TestFederatedEndToEnd scans the who-can fixture with two roles of
// 222222222222 trusting GitHub Actions' OIDC provider
// (sts:AssumeRoleWithWebIdentity): gh-deploy writes wc-shared (and
// deletes, as the bucket policy lets the organisation) and its
// trust policy tests only the audience, so any GitHub repository's
// workflow can assume it; gh-pinned reads it and pins
// token.actions.githubusercontent.com:sub to one repository, as AWS IAM
// recommends for every role trusting GitHub's provider
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html#idp_oidc_Create_GitHub).
// The trust policies travel through GetAccountAuthorizationDetails and the
// real SDK; report.json lists the provider in the cells as a federated
// principal via the role, with the trust's conditions, and raises
// federated-subject-unpinned for gh-deploy only; who-can and can-reach
// render the federated origin.
func TestFederatedEndToEnd(t *testing.T) {
	const (
		gh     = "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com"
		deploy = "arn:aws:iam::222222222222:role/gh-deploy"
		pinned = "arn:aws:iam::222222222222:role/gh-pinned"
	)
	trust := func(cond string) *inventory.PolicyDocument {
		return inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + gh +
			`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":` + cond + `}]}`))
	}
	s3 := func(actions string) map[string]*inventory.PolicyDocument {
		return map[string]*inventory.PolicyDocument{"s3": inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":` + actions + `,"Resource":"arn:aws:s3:::wc-shared/*"}]}`))}
	}
	scanEnv(t)
	fixture, err := inventory.Load("testdata/whocan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for i := range fixture.Accounts {
		if a := &fixture.Accounts[i]; a.ID == "222222222222" {
			a.IAM.Roles = append(a.IAM.Roles,
				inventory.IAMRole{ARN: deploy, InlinePolicies: s3(`["s3:GetObject","s3:PutObject"]`),
					TrustPolicy: trust(`{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}`)},
				inventory.IAMRole{ARN: pinned, InlinePolicies: s3(`"s3:GetObject"`),
					TrustPolicy: trust(`{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:octo-org/deploy:*"}}`)})
		}
	}
	_, url := fakeawstest.Start(t, fixture)
	code, outDir, snap, _, stderr := runScan(t, url, "audit_role:\n  external_id: wc-external-id\noutputs:\n  formats: [json]\n")
	if code != ExitOK {
		t.Fatalf("scan exit %d\nstderr: %s", code, stderr)
	}

	// The snapshot holds the trust policies as the emulator served them.
	doc, err := inventory.Load(snap)
	if err != nil {
		t.Fatal(err)
	}
	var trusts []string
	for _, a := range doc.Accounts {
		if a.IAM == nil {
			continue
		}
		for _, r := range a.IAM.Roles {
			if (r.ARN == deploy || r.ARN == pinned) && r.TrustPolicy != nil && strings.Contains(string(r.TrustPolicy.Raw()), gh) {
				trusts = append(trusts, r.ARN)
			}
		}
	}
	if len(trusts) != 2 {
		t.Fatalf("snapshot roles trusting %s: %v, want gh-deploy and gh-pinned", gh, trusts)
	}

	rep := readReportJSON(t, outDir) // validated against the schema
	b := reportBucket(t, rep, "wc-shared")
	var unpinned, viaRole []model.Finding
	for _, f := range b.Findings {
		switch f.ID {
		case model.FindingFederatedSubjectUnpinned:
			unpinned = append(unpinned, f)
		case model.FindingExternalViaRole:
			viaRole = append(viaRole, f)
		}
	}
	if len(unpinned) != 1 || unpinned[0].Severity != model.SeverityCritical ||
		!strings.HasPrefix(unpinned[0].Detail, "federated: token.actions.githubusercontent.com can read, write, delete through role "+deploy+": federated: token.actions.githubusercontent.com → "+deploy) ||
		!strings.Contains(unpinned[0].Remediation, "token.actions.githubusercontent.com:sub") {
		t.Errorf("federated-subject-unpinned = %+v, want one, critical, through gh-deploy", unpinned)
	}
	for _, f := range viaRole {
		if strings.HasPrefix(f.Detail, "federated:") {
			t.Errorf("the provider is reported twice: %+v", f)
		}
	}
	// The cells list the provider via each role, with the trust's conditions.
	var got []string
	for _, cell := range []struct {
		name string
		c    model.Cell
	}{{"read", b.Access.SameAccount.Read}, {"write", b.Access.SameAccount.Write}} {
		for _, p := range cell.c.PrincipalAccess {
			if p.ARN == gh {
				got = append(got, cell.name+" "+p.Type+" "+string(p.Verdict)+" via "+strings.Join(p.Via, ",")+": "+strings.Join(p.Conditions, "; "))
			}
		}
	}
	want := []string{"write federated conditional via " + deploy + ": assuming " + deploy + " (token.actions.githubusercontent.com:aud = sts.amazonaws.com)"}
	if len(got) != 2 || got[1] != want[0] || !strings.HasPrefix(got[0], "read federated conditional via ") {
		t.Errorf("the provider in the cells:\n%s\nwant a read entry and %q", strings.Join(got, "\n"), want[0])
	}

	// who-can renders the federated origin and the path.
	code, out, errOut := runCLI(t, "who-can", "--snapshot", snap, "--bucket", "wc-shared", "--action", "write", "-q")
	if code != ExitOK {
		t.Fatalf("who-can exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "conditional  federated: "+gh+"\n") || !strings.Contains(out, "via "+deploy+"\n") {
		t.Errorf("who-can write:\n%s", out)
	}
	code, out, errOut = runCLI(t, "who-can", "--snapshot", snap, "--bucket", "wc-shared", "--format", "json")
	if code != ExitOK {
		t.Fatalf("who-can json exit %d: %s", code, errOut)
	}
	var res whoCanResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("who-can json: %v\n%s", err, out)
	}
	var rows []string
	for _, p := range res.Principals {
		if p.ARN == gh {
			rows = append(rows, p.Action+" "+p.Type+" "+strings.Join(p.Via, ","))
		}
	}
	slices.Sort(rows)
	if want := []string{"delete federated " + deploy, "read federated " + deploy, "write federated " + deploy}; !slices.Equal(rows, want) {
		t.Errorf("who-can json rows of the provider = %q", rows)
	}
	// can-reach takes the provider's ARN.
	code, out, errOut = runCLI(t, "can-reach", "--snapshot", snap, "--principal", gh, "-q")
	if code != ExitOK {
		t.Fatalf("can-reach exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "s3://wc-shared") || !strings.Contains(out, "via "+deploy) {
		t.Errorf("can-reach %s:\n%s", gh, out)
	}
	// explain takes it too: the workflow writes through gh-deploy only (the
	// request the trust policy's :aud condition must meet), reads through
	// both; gh-pinned's route names its :sub condition.
	for _, tc := range []struct {
		action string
		roles  []string
	}{{"s3:PutObject", []string{deploy}}, {"s3:GetObject", []string{deploy, pinned}}} {
		code, out, errOut = runExplain(t, "--snapshot", snap, "--principal", gh, "--action", tc.action, "--bucket", "wc-shared", "--key", "k", "--format", "json")
		if code != ExitOK {
			t.Fatalf("explain exit %d: %s", code, errOut)
		}
		var x struct {
			Request struct {
				Kind string `json:"principal_kind"`
			} `json:"request"`
			ViaRoles []struct {
				Role       string   `json:"role"`
				Verdict    string   `json:"verdict"`
				Conditions []string `json:"conditions"`
			} `json:"via_roles"`
		}
		if err := json.Unmarshal([]byte(out), &x); err != nil {
			t.Fatalf("explain json: %v\n%s", err, out)
		}
		var roles []string
		for _, r := range x.ViaRoles {
			roles = append(roles, r.Role)
			cond := strings.Join(r.Conditions, "; ")
			if r.Verdict != "conditional" || !strings.Contains(cond, "token.actions.githubusercontent.com:aud = sts.amazonaws.com") ||
				(r.Role == pinned) != strings.Contains(cond, "token.actions.githubusercontent.com:sub") {
				t.Errorf("explain %s: route %+v, want conditional on the trust's claims", tc.action, r)
			}
		}
		if x.Request.Kind != "identity_provider" || !slices.Equal(roles, tc.roles) {
			t.Errorf("explain %s: kind %q, routes %v, want identity_provider via %v", tc.action, x.Request.Kind, roles, tc.roles)
		}
	}
}

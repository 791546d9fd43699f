package fakeaws_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// awsCLI is Debian's AWS CLI. An older aws may shadow it on PATH, so the
// test calls it by path. CI installs it (.ci/run: apt-get install awscli).
const awsCLI = "/usr/bin/aws"

// cliRun runs the AWS CLI with a clean environment: the given credentials,
// eu-west-1, no configuration files, no pager, and the extra variables.
func cliRun(t *testing.T, creds [3]string, extraEnv []string, args ...string) (map[string]any, string, error) {
	t.Helper()
	home := t.TempDir()
	env := []string{
		"HOME=" + home,
		"PATH=/usr/bin:/bin",
		"AWS_CONFIG_FILE=" + home + "/config",
		"AWS_SHARED_CREDENTIALS_FILE=" + home + "/credentials",
		"AWS_DEFAULT_REGION=eu-west-1",
		"AWS_ACCESS_KEY_ID=" + creds[0],
		"AWS_SECRET_ACCESS_KEY=" + creds[1],
		"AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true",
	}
	if creds[2] != "" {
		env = append(env, "AWS_SESSION_TOKEN="+creds[2])
	}
	env = append(env, extraEnv...)
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(c, awsCLI, append(args, "--output", "json", "--no-cli-pager")...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var out map[string]any
	if err == nil && strings.TrimSpace(stdout.String()) != "" {
		if jerr := json.Unmarshal(stdout.Bytes(), &out); jerr != nil {
			t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), jerr, stdout.String())
		}
	}
	return out, stderr.String(), err
}

// dig walks a decoded JSON value: keys for objects, "0", "1", … for lists.
func dig(v any, path ...string) any {
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i := 0
			for _, r := range p {
				i = i*10 + int(r-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// TestAWSCLI drives the emulator with Debian's AWS CLI (botocore), an
// independent implementation of every wire protocol.
func TestAWSCLI(t *testing.T) {
	if _, err := os.Stat(awsCLI); err != nil {
		t.Skipf("%s is not installed (apt-get install awscli): skipping the AWS CLI wire-compatibility test", awsCLI)
	}
	e := start(t, loadOrg(t))
	ep := []string{"--endpoint-url", e.url}
	mgmt := [3]string{"AKIAFAKEAWSMANAGEMENT", "fakeaws-management-secret", ""}
	run := func(t *testing.T, creds [3]string, args ...string) map[string]any {
		t.Helper()
		out, stderr, err := cliRun(t, creds, nil, append(args, ep...)...)
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		return out
	}
	// Assume the prod audit role: the rest of the checks use its session.
	out := run(t, mgmt, "sts", "assume-role", "--role-arn", roleARN(prodAccount), "--role-session-name", "cli", "--external-id", prodExternalID)
	prod := [3]string{dig(out, "Credentials", "AccessKeyId").(string), dig(out, "Credentials", "SecretAccessKey").(string), dig(out, "Credentials", "SessionToken").(string)}

	// Each command is its own parallel subtest: the CLI's start-up dominates.
	checks := []struct {
		name  string
		creds [3]string
		args  []string
		env   []string
		code  string // an expected error code, or ""
		check func(t *testing.T, out map[string]any)
	}{
		{"describe-organization", mgmt, []string{"organizations", "describe-organization"}, nil, "", func(t *testing.T, out map[string]any) {
			if got := dig(out, "Organization", "Id"); got != "o-a1b2c3d4e5" {
				t.Errorf("Id = %v", got)
			}
		}},
		{"list-accounts", mgmt, []string{"organizations", "list-accounts"}, nil, "", func(t *testing.T, out map[string]any) {
			// The CLI follows NextToken itself: 4 accounts over pages of 3.
			if got, _ := dig(out, "Accounts").([]any); len(got) != 4 {
				t.Errorf("Accounts = %v", got)
			}
		}},
		{"list-policies-for-target", mgmt, []string{"organizations", "list-policies-for-target", "--target-id", prodAccount, "--filter", "SERVICE_CONTROL_POLICY"}, nil, "", func(t *testing.T, out map[string]any) {
			if pols, _ := dig(out, "Policies").([]any); len(pols) != 2 || dig(pols, "1", "Id") != "p-account-scp" {
				t.Errorf("Policies = %v", pols)
			}
		}},
		{"assume-role wrong external id", mgmt, []string{"sts", "assume-role", "--role-arn", roleARN(prodAccount), "--role-session-name", "cli", "--external-id", "wrong"}, nil, "AccessDenied", nil},
		{"get-caller-identity", prod, []string{"sts", "get-caller-identity"}, nil, "", func(t *testing.T, out map[string]any) {
			if got := dig(out, "Arn"); got != "arn:aws:sts::222222222222:assumed-role/BucketAuditRole/cli" {
				t.Errorf("Arn = %v", got)
			}
		}},
		{"list-buckets", prod, []string{"s3api", "list-buckets"}, nil, "", func(t *testing.T, out map[string]any) {
			if got, _ := dig(out, "Buckets").([]any); len(got) != 7 {
				t.Errorf("Buckets = %v", got)
			}
		}},
		{"get-bucket-policy", prod, []string{"s3api", "get-bucket-policy", "--bucket", "prod-reports"}, nil, "", func(t *testing.T, out map[string]any) {
			if pol, _ := dig(out, "Policy").(string); !strings.Contains(pol, `"Sid":"PublicRead"`) {
				t.Errorf("Policy = %s", pol)
			}
		}},
		{"get-bucket-policy not configured", prod, []string{"s3api", "get-bucket-policy", "--bucket", "prod-a"}, nil, "NoSuchBucketPolicy", nil},
		{"get-public-access-block", prod, []string{"s3api", "get-public-access-block", "--bucket", "prod-reports"}, nil, "", func(t *testing.T, out map[string]any) {
			if got := dig(out, "PublicAccessBlockConfiguration", "RestrictPublicBuckets"); got != true {
				t.Errorf("RestrictPublicBuckets = %v", got)
			}
		}},
		{"get-bucket-ownership-controls", prod, []string{"s3api", "get-bucket-ownership-controls", "--bucket", "prod-reports"}, nil, "", func(t *testing.T, out map[string]any) {
			if got := dig(out, "OwnershipControls", "Rules", "0", "ObjectOwnership"); got != "ObjectWriter" {
				t.Errorf("ObjectOwnership = %v", got)
			}
		}},
		{"get-bucket-encryption", prod, []string{"s3api", "get-bucket-encryption", "--bucket", "prod-reports"}, nil, "", func(t *testing.T, out map[string]any) {
			if got := dig(out, "ServerSideEncryptionConfiguration", "Rules", "0", "ApplyServerSideEncryptionByDefault", "SSEAlgorithm"); got != "aws:kms" {
				t.Errorf("SSEAlgorithm = %v", got)
			}
		}},
		{"get-bucket-policy-status", prod, []string{"s3api", "get-bucket-policy-status", "--bucket", "prod-reports"}, nil, "", func(t *testing.T, out map[string]any) {
			if got := dig(out, "PolicyStatus", "IsPublic"); got != true {
				t.Errorf("IsPublic = %v", got)
			}
		}},
		{"head-bucket", prod, []string{"s3api", "head-bucket", "--bucket", "prod-reports"}, nil, "", nil},
		// The CLI puts the account in front of the host (222222222222.127.0.0.1),
		// which resolves only through the emulator acting as an HTTP proxy.
		{"s3control get-public-access-block through HTTP_PROXY", prod, []string{"s3control", "get-public-access-block", "--account-id", prodAccount},
			[]string{"HTTP_PROXY=" + e.url, "http_proxy=" + e.url}, "", func(t *testing.T, out map[string]any) {
				if got := dig(out, "PublicAccessBlockConfiguration", "BlockPublicAcls"); got != true {
					t.Errorf("BlockPublicAcls = %v", out)
				}
			}},
		{"kms describe-key", prod, []string{"kms", "describe-key", "--key-id", "alias/prod-data"}, nil, "", func(t *testing.T, out map[string]any) {
			if meta := dig(out, "KeyMetadata"); dig(meta, "Arn") != prodKey || dig(meta, "KeyManager") != "CUSTOMER" {
				t.Errorf("KeyMetadata = %v", meta)
			}
		}},
		{"kms get-key-policy", prod, []string{"kms", "get-key-policy", "--key-id", prodKey, "--policy-name", "default"}, nil, "", func(t *testing.T, out map[string]any) {
			if pol, _ := dig(out, "Policy").(string); !strings.Contains(pol, "Enable IAM User Permissions") {
				t.Errorf("Policy = %s", pol)
			}
		}},
	}
	for _, tc := range checks {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, stderr, err := cliRun(t, tc.creds, tc.env, append(tc.args, ep...)...)
			switch {
			case tc.code != "":
				if err == nil || !strings.Contains(stderr, "("+tc.code+")") {
					t.Fatalf("aws %s: want error %s, got %v\n%s", strings.Join(tc.args, " "), tc.code, err, stderr)
				}
			case err != nil:
				t.Fatalf("aws %s: %v\n%s", strings.Join(tc.args, " "), err, stderr)
			case tc.check != nil:
				tc.check(t, out)
			}
		})
	}
}

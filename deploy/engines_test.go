package deploy_test

// The manifests of deploy/kubernetes and deploy/aws-batch are decoded
// strictly into the official types (k8s.io/api for Kubernetes, the AWS
// Batch SDK's operation inputs), must say nothing those types drop, and
// must run the commands bucketaudit accepts, with shard counts, paths and
// names that agree with each other.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/bucketaudit/bucketaudit/cli"
	"github.com/bucketaudit/bucketaudit/config"
)

// prune drops what encodes nothing (null, {}, []) from a decoded JSON
// value, so that a manifest and its re-encoding compare by content.
func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if p := prune(e); p != nil {
				out[k] = p
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		var out []any
		for _, e := range x {
			out = append(out, prune(e))
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return v
}

func generic(t *testing.T, jsonData []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(jsonData, &v); err != nil {
		t.Fatal(err)
	}
	return prune(v)
}

// decodeK8s decodes a Kubernetes manifest strictly (an unknown or
// misspelt field is an error) into obj, and checks that obj encodes back
// to the manifest: no field is lost or reinterpreted.
func decodeK8s(t *testing.T, path string, obj any, apiVersion, kind string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The Kubernetes types are tagged for JSON: the manifest (YAML, whose
	// decoder refuses duplicate keys) goes through its JSON form, decoded
	// with unknown fields refused.
	var tree any
	if err := yaml.Unmarshal(data, &tree); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	asJSON, err := json.Marshal(tree)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(asJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var tm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := json.Unmarshal(asJSON, &tm); err != nil || tm.APIVersion != apiVersion || tm.Kind != kind {
		t.Fatalf("%s: %s %s, want %s %s", path, tm.APIVersion, tm.Kind, apiVersion, kind)
	}
	back, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(generic(t, asJSON), generic(t, back)); diff != "" {
		t.Errorf("%s does not survive decoding into %T (-manifest +decoded):\n%s", path, obj, diff)
	}
}

// acceptedByCLI checks that bucketaudit parses args (every flag known,
// every value where a flag needs one), without running them: --help.
func acceptedByCLI(t *testing.T, where string, args []string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := cli.Run(context.Background(), append(slices.Clone(args), "--help"), nil, &stdout, &stderr); code != cli.ExitOK {
		t.Errorf("%s: bucketaudit does not accept %q: exit %d\n%s", where, args, code, stderr.String())
	}
}

// flag returns the value of --name in args ("" when absent).
func flag(args []string, name string) string {
	for i, a := range args {
		if a == "--"+name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

func has(args []string, name string) bool { return slices.Contains(args, "--"+name) }

// shardCount returns N of --shard auto/N.
func shardCount(t *testing.T, where string, args []string) int32 {
	t.Helper()
	var n int32
	if _, err := fmt.Sscanf(flag(args, "shard"), "auto/%d", &n); err != nil || n < 1 {
		t.Fatalf("%s: --shard %q, want auto/N", where, flag(args, "shard"))
	}
	return n
}

// checkConfig loads a configuration document the way scan does.
func checkConfig(t *testing.T, where, text string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(name string) (string, bool) {
		if name == "BUCKETAUDIT_EXTERNAL_ID" {
			return "test-external-id", true
		}
		return "", false
	}
	if _, err := config.Load(p, config.Overrides{}, env); err != nil {
		t.Errorf("%s: the configuration does not load: %v", where, err)
	}
}

// TestKubernetesManifests: deploy/kubernetes holds an org-walk Job, an
// Indexed Job of N shards (--shard auto/N from JOB_COMPLETION_INDEX), and a
// merge Job, run as a ServiceAccount with an IRSA role, sharing a volume.
// https://kubernetes.io/docs/concepts/workloads/controllers/job/#completion-mode
// https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html
func TestKubernetesManifests(t *testing.T) {
	dir := filepath.Join("kubernetes")
	var (
		sa               corev1.ServiceAccount
		cm               corev1.ConfigMap
		pvc              corev1.PersistentVolumeClaim
		walk, scan, mrge batchv1.Job
	)
	decodeK8s(t, filepath.Join(dir, "serviceaccount.yaml"), &sa, "v1", "ServiceAccount")
	decodeK8s(t, filepath.Join(dir, "configmap.yaml"), &cm, "v1", "ConfigMap")
	decodeK8s(t, filepath.Join(dir, "persistentvolumeclaim.yaml"), &pvc, "v1", "PersistentVolumeClaim")
	decodeK8s(t, filepath.Join(dir, "job-org-walk.yaml"), &walk, "batch/v1", "Job")
	decodeK8s(t, filepath.Join(dir, "job-scan.yaml"), &scan, "batch/v1", "Job")
	decodeK8s(t, filepath.Join(dir, "job-merge.yaml"), &mrge, "batch/v1", "Job")
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 6 {
		t.Errorf("deploy/kubernetes holds %d files (%v), all of which this test must decode", len(entries), err)
	}

	if arn := sa.Annotations["eks.amazonaws.com/role-arn"]; !strings.HasPrefix(arn, "arn:aws:iam::") || !strings.Contains(arn, ":role/") {
		t.Errorf("ServiceAccount %s: IRSA annotation eks.amazonaws.com/role-arn = %q, want a role ARN", sa.Name, arn)
	}
	if !slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteMany) {
		t.Errorf("PVC %s: every pod of the Indexed Job writes to it: want ReadWriteMany, got %v", pvc.Name, pvc.Spec.AccessModes)
	}

	ns := sa.Namespace
	for _, o := range []string{cm.Namespace, pvc.Namespace, walk.Namespace, scan.Namespace, mrge.Namespace} {
		if o != ns {
			t.Errorf("namespace %q, want every object in %q", o, ns)
		}
	}

	// container returns the Job's only container and the paths its volumes
	// mount, checking the volumes against the other manifests.
	container := func(j *batchv1.Job, wantSA bool) (corev1.Container, map[string]string) {
		t.Helper()
		ps := j.Spec.Template.Spec
		if len(ps.Containers) != 1 {
			t.Fatalf("Job %s: %d containers, want 1", j.Name, len(ps.Containers))
		}
		if ps.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("Job %s: restartPolicy %q, want Never (a failed pod is retried as a new pod)", j.Name, ps.RestartPolicy)
		}
		if wantSA != (ps.ServiceAccountName == sa.Name) {
			t.Errorf("Job %s: serviceAccountName %q (the scanning identity is %q: only the jobs that call AWS use it)", j.Name, ps.ServiceAccountName, sa.Name)
		}
		c := ps.Containers[0]
		mounts := map[string]string{}
		for _, m := range c.VolumeMounts {
			i := slices.IndexFunc(ps.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name })
			if i < 0 {
				t.Errorf("Job %s mounts volume %q, which it does not define", j.Name, m.Name)
				continue
			}
			v := ps.Volumes[i]
			switch {
			case v.ConfigMap != nil && v.ConfigMap.Name == cm.Name:
				mounts["config"] = m.MountPath
			case v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == pvc.Name:
				mounts["snapshots"] = m.MountPath
			case v.EmptyDir != nil && m.MountPath == "/tmp":
				mounts["tmp"] = m.MountPath
			default:
				t.Errorf("Job %s: volume %q is neither ConfigMap %s, PVC %s nor an emptyDir at /tmp", j.Name, v.Name, cm.Name, pvc.Name)
			}
		}
		if c.SecurityContext != nil && c.SecurityContext.ReadOnlyRootFilesystem != nil && *c.SecurityContext.ReadOnlyRootFilesystem && mounts["tmp"] == "" {
			t.Errorf("Job %s: a read-only root filesystem without a writable /tmp (s3:// outputs are staged there)", j.Name)
		}
		if c.Image != walk.Spec.Template.Spec.Containers[0].Image {
			t.Errorf("Job %s: image %q, want the same image in every Job", j.Name, c.Image)
		}
		acceptedByCLI(t, "Job "+j.Name, c.Args)
		return c, mounts
	}
	under := func(where, path, dir string) {
		t.Helper()
		if dir == "" || !strings.HasPrefix(path, dir+"/") {
			t.Errorf("%s: %q is not on the volume mounted at %q", where, path, dir)
		}
	}
	configFile := func(where string, args []string, mounts map[string]string) {
		t.Helper()
		p := flag(args, "config")
		under(where+" --config", p, mounts["config"])
		text, ok := cm.Data[strings.TrimPrefix(p, mounts["config"]+"/")]
		if !ok {
			t.Errorf("%s: --config %s is no key of ConfigMap %s", where, p, cm.Name)
		}
		checkConfig(t, where, text)
	}
	externalID := func(where string, c corev1.Container) {
		t.Helper()
		for _, e := range c.Env {
			if e.Name == "BUCKETAUDIT_EXTERNAL_ID" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				return
			}
		}
		t.Errorf("%s: BUCKETAUDIT_EXTERNAL_ID does not come from a Secret", where)
	}

	wc, wm := container(&walk, true)
	if wc.Args[0] != "scan" || !has(wc.Args, "org-only") {
		t.Errorf("Job %s: args %q, want scan --org-only", walk.Name, wc.Args)
	}
	configFile("Job "+walk.Name, wc.Args, wm)
	externalID("Job "+walk.Name, wc)
	orgFile := flag(wc.Args, "save-snapshot")
	under("Job "+walk.Name+" --save-snapshot", orgFile, wm["snapshots"])

	sc, sm := container(&scan, true)
	where := "Job " + scan.Name
	if scan.Spec.CompletionMode == nil || *scan.Spec.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("%s: completionMode %v, want Indexed (each pod gets JOB_COMPLETION_INDEX)", where, scan.Spec.CompletionMode)
	}
	n := shardCount(t, where, sc.Args)
	if scan.Spec.Completions == nil || *scan.Spec.Completions != n {
		t.Errorf("%s: completions %v, want %d as in --shard auto/%d", where, scan.Spec.Completions, n, n)
	}
	if scan.Spec.Parallelism == nil || *scan.Spec.Parallelism < 1 || *scan.Spec.Parallelism > n {
		t.Errorf("%s: parallelism %v, want 1 to %d", where, scan.Spec.Parallelism, n)
	}
	if scan.Spec.BackoffLimitPerIndex == nil {
		t.Errorf("%s: no backoffLimitPerIndex: a failed shard must be retried alone", where)
	}
	if sc.Args[0] != "scan" || flag(sc.Args, "org-snapshot") != orgFile {
		t.Errorf("%s: args %q, want scan --org-snapshot %s (the walk of Job %s)", where, sc.Args, orgFile, walk.Name)
	}
	configFile(where, sc.Args, sm)
	externalID(where, sc)
	shardFile := flag(sc.Args, "save-snapshot")
	under(where+" --save-snapshot", shardFile, sm["snapshots"])
	if !strings.Contains(shardFile, "{shard}") {
		t.Errorf("%s: --save-snapshot %q lacks {shard}: the pods would overwrite each other", where, shardFile)
	}

	mc, mm := container(&mrge, false)
	where = "Job " + mrge.Name
	want := strings.ReplaceAll(shardFile, "{shard}", "*")
	if mc.Args[0] != "analyze" || mc.Args[1] != want {
		t.Errorf("%s: args %q, want analyze %s (the shards of Job %s)", where, mc.Args, want, scan.Name)
	}
	under(where+" --output-dir", flag(mc.Args, "output-dir")+"/", mm["snapshots"])
}

// recorder is an HTTP client that records a request and answers 200 {}:
// the SDK validates and serializes the input, nothing leaves the process.
type recorder struct{ body []byte }

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	var err error
	if r.body, err = io.ReadAll(req.Body); err != nil {
		return nil, err
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader("{}")), Request: req}, nil
}

// decodeBatch decodes an AWS Batch request file strictly into in (an
// operation input of the SDK), has the SDK validate and serialize it, and
// checks that the request it would send is the file: every member name
// exact, nothing dropped.
func decodeBatch(t *testing.T, path string, in any, send func(*batch.Client) error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(in); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	rec := &recorder{}
	client := batch.New(batch.Options{
		Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1"), HTTPClient: rec,
		Credentials: aws.AnonymousCredentials{},
	})
	if err := send(client); err != nil {
		t.Fatalf("%s: the SDK refuses %T: %v", path, in, err)
	}
	if diff := cmp.Diff(generic(t, data), generic(t, rec.body)); diff != "" {
		t.Errorf("%s: the request the SDK sends differs from the file (-file +request):\n%s", path, diff)
	}
}

// TestAWSBatchManifests: deploy/aws-batch holds a job definition and the
// submissions of the org walk, of the array job of N shards (--shard
// auto/N from AWS_BATCH_JOB_ARRAY_INDEX) and of the merge, each depending
// on the one before.
// https://docs.aws.amazon.com/batch/latest/userguide/array_jobs.html
// https://docs.aws.amazon.com/batch/latest/APIReference/API_RegisterJobDefinition.html
// https://docs.aws.amazon.com/batch/latest/APIReference/API_SubmitJob.html
func TestAWSBatchManifests(t *testing.T) {
	dir := filepath.Join("aws-batch")
	ctx := context.Background()
	var def batch.RegisterJobDefinitionInput
	decodeBatch(t, filepath.Join(dir, "job-definition.json"), &def, func(c *batch.Client) error {
		_, err := c.RegisterJobDefinition(ctx, &def)
		return err
	})
	submits := map[string]*batch.SubmitJobInput{}
	for _, name := range []string{"submit-org-walk.json", "submit-scan.json", "submit-merge.json"} {
		in := &batch.SubmitJobInput{}
		decodeBatch(t, filepath.Join(dir, name), in, func(c *batch.Client) error {
			_, err := c.SubmitJob(ctx, in)
			return err
		})
		submits[name] = in
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1+len(submits) {
		t.Errorf("deploy/aws-batch holds %d files (%v), all of which this test must decode", len(entries), err)
	}

	cp := def.ContainerProperties
	if cp == nil || aws.ToString(cp.JobRoleArn) == "" {
		t.Fatal("job definition: no container with a job role (the scanning role's credentials)")
	}
	if len(cp.MountPoints) != 1 || len(cp.Volumes) != 1 || aws.ToString(cp.MountPoints[0].SourceVolume) != aws.ToString(cp.Volumes[0].Name) {
		t.Fatalf("job definition: want one volume, mounted: %+v %+v", cp.MountPoints, cp.Volumes)
	}
	mount := aws.ToString(cp.MountPoints[0].ContainerPath)
	under := func(where, path string) {
		t.Helper()
		if !strings.HasPrefix(path, mount+"/") {
			t.Errorf("%s: %q is not on the volume mounted at %q", where, path, mount)
		}
	}
	if !slices.ContainsFunc(cp.Secrets, func(s batchtypes.Secret) bool { return aws.ToString(s.Name) == "BUCKETAUDIT_EXTERNAL_ID" }) {
		t.Error("job definition: BUCKETAUDIT_EXTERNAL_ID does not come from a secret")
	}
	if rs := def.RetryStrategy; rs == nil || !slices.ContainsFunc(rs.EvaluateOnExit, func(e batchtypes.EvaluateOnExit) bool {
		return aws.ToString(e.OnExitCode) == "2" && e.Action == batchtypes.RetryActionExit
	}) {
		t.Error("job definition: a configuration error (exit 2) must not be retried")
	}

	for name, in := range submits {
		if aws.ToString(in.JobDefinition) != aws.ToString(def.JobDefinitionName) {
			t.Errorf("%s: job definition %q, want %q", name, aws.ToString(in.JobDefinition), aws.ToString(def.JobDefinitionName))
		}
	}
	command := func(name string) []string {
		if o := submits[name].ContainerOverrides; o != nil && o.Command != nil {
			return o.Command
		}
		return cp.Command
	}
	walk, scan, mrge := command("submit-org-walk.json"), command("submit-scan.json"), command("submit-merge.json")
	for name, args := range map[string][]string{"submit-org-walk.json": walk, "submit-scan.json": scan, "submit-merge.json": mrge} {
		acceptedByCLI(t, name, args)
	}
	if walk[0] != "scan" || !has(walk, "org-only") {
		t.Errorf("submit-org-walk.json: command %q, want scan --org-only", walk)
	}
	under("submit-org-walk.json --config", flag(walk, "config"))
	under("submit-org-walk.json --save-snapshot", flag(walk, "save-snapshot"))

	n := shardCount(t, "submit-scan.json", scan)
	var size int32
	if ap := submits["submit-scan.json"].ArrayProperties; ap != nil {
		size = aws.ToInt32(ap.Size)
	}
	if size != n {
		t.Errorf("submit-scan.json: array size %d, want %d as in --shard auto/%d", size, n, n)
	}
	if n < 2 || n > 10000 {
		t.Errorf("--shard auto/%d: an array job has 2 to 10,000 children", n)
	}
	if flag(scan, "org-snapshot") != flag(walk, "save-snapshot") {
		t.Errorf("submit-scan.json: --org-snapshot %q, want the walk %q", flag(scan, "org-snapshot"), flag(walk, "save-snapshot"))
	}
	shardFile := flag(scan, "save-snapshot")
	under("submit-scan.json --save-snapshot", shardFile)
	if !strings.Contains(shardFile, "{shard}") {
		t.Errorf("submit-scan.json: --save-snapshot %q lacks {shard}", shardFile)
	}
	if want := strings.ReplaceAll(shardFile, "{shard}", "*"); mrge[0] != "analyze" || mrge[1] != want {
		t.Errorf("submit-merge.json: command %q, want analyze %s", mrge, want)
	}
	under("submit-merge.json --output-dir", flag(mrge, "output-dir")+"/")

	dependsOn := func(name string) []string {
		var ids []string
		for _, d := range submits[name].DependsOn {
			ids = append(ids, aws.ToString(d.JobId))
		}
		return ids
	}
	if got := dependsOn("submit-scan.json"); !reflect.DeepEqual(got, []string{"ORG_WALK_JOB_ID"}) {
		t.Errorf("submit-scan.json depends on %v, want the org walk (ORG_WALK_JOB_ID)", got)
	}
	if got := dependsOn("submit-merge.json"); !reflect.DeepEqual(got, []string{"SCAN_JOB_ID"}) {
		t.Errorf("submit-merge.json depends on %v, want the array job (SCAN_JOB_ID: it waits for every child)", got)
	}
}

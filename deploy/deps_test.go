package deploy

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoSDKDependency: deploy generates the policies from the allowlist's
// plain data (internal/readonly), so neither it nor anything it imports
// links the AWS SDK (its tests may: engines_test validates Batch input).
func TestNoSDKDependency(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go tool not found: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/aws/") {
			t.Errorf("deploy depends on %s", pkg)
		}
	}
}

// Package testenv decides what a test does when something it needs from
// outside the repository (../shared, node, moto_server, the AWS CLI) is
// absent: skip on a developer's machine, fail in CI, where every test must
// run.
package testenv

import (
	"os"
	"testing"
)

// InCI reports whether the tests run in CI: the environment variable CI is
// set (CI services set CI=true; .ci/run does too) and is not "false" or "0".
func InCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false" && v != "0"
}

// Missing stops the test because something it needs is absent: t.Fatalf in
// CI, t.Skipf elsewhere. The message says what is missing.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI requires it: "+format, args...)
		return
	}
	t.Skipf("skipping: "+format, args...)
}

//go:build race

package testenv

// Race reports whether the binary was built with -race. The race detector
// allocates on its own, so allocation counts (testing.AllocsPerRun) are
// meaningless under it.
const Race = true

// Package version reports bucketaudit's version.
package version

import "runtime/debug"

// String returns the module version of the running binary, or "dev"
// (with the VCS revision when the build recorded one).
func String() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}

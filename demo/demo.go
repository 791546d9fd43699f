// Package demo holds the built-in demo organisation: an inventory fixture
// built around the classic causes of S3 403s, in which every finding and
// every deciding layer of the access matrix occurs. `bucketaudit demo`
// serves it with fakeaws and scans it through the real SDK path.
package demo

import (
	"bytes"
	_ "embed"
)

//go:embed org.yaml
var fixture []byte

// Fixture returns the demo organisation as inventory YAML.
func Fixture() []byte { return bytes.Clone(fixture) }

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

// TrustedAccounts returns the demo organisation's known partners (account
// ID → label): what a configuration's trusted_accounts would say. Pass it
// as access.Options.TrustedAccounts when analysing the demo.
func TrustedAccounts() map[string]string {
	return map[string]string{"888877776666": "Northwind Analytics (data partner)"}
}

package config

import (
	"cmp"
	"fmt"
	"os"
	"path"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
)

// Mutelist is a file of accepted findings: each entry mutes the findings of
// one ID (or every ID) for an account (or every account) and a bucket glob,
// with a reason and an optional expiry date. A muted finding stays in the
// reports, marked with its reason, but does not count for --fail-on.
//
//	mutes:
//	  - account: "222222222222"   # 12 digits, or "*"
//	    bucket: "prod-public*"    # glob (path.Match); omitted: every bucket and the account itself
//	    finding: public-read      # a finding ID, or "*"
//	    reason: static website, accepted by the CISO (ticket SEC-123)
//	    expires: 2026-12-31       # optional: the last day it applies (UTC)
type Mutelist struct {
	Mutes []Mute `yaml:"mutes"`

	// active are the entries that have not expired.
	active []Mute
}

// Mute is one entry of a mutelist.
type Mute struct {
	Account string `yaml:"account"`
	Bucket  string `yaml:"bucket"`
	Finding string `yaml:"finding"`
	Reason  string `yaml:"reason"`
	Expires string `yaml:"expires"`
}

// mutelistDate is the layout of Mute.Expires.
const mutelistDate = "2006-01-02"

// LoadMutelist reads the mutelist at path; see ParseMutelist.
func LoadMutelist(path string, findingIDs []string, now time.Time) (*Mutelist, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read mutelist: %w", err)
	}
	return ParseMutelist(data, path, findingIDs, now)
}

// ParseMutelist decodes and validates a mutelist (name is used in
// messages). findingIDs are the IDs an entry may name besides "*". Every
// problem is reported at once in an *Error, each with its key path and
// line. An entry that expired before now's day is left out, with a warning
// (the second result) naming it.
func ParseMutelist(data []byte, name string, findingIDs []string, now time.Time) (*Mutelist, []string, error) {
	var m Mutelist
	src := &Config{}
	var problems []Problem
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, nil, &Error{Problems: []Problem{{Source: name, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}}}
	}
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		d := &decoder{file: name, cfg: src}
		d.value(root.Content[0], reflect.ValueOf(&m).Elem(), "")
		problems = d.problems
	}
	if len(problems) > 0 {
		return nil, nil, &Error{Problems: problems}
	}
	var warnings []string
	today := now.UTC().Format(mutelistDate)
	for i, e := range m.Mutes {
		p := fmt.Sprintf("mutes[%d]", i)
		fail := func(key, format string, a ...any) {
			problems = append(problems, Problem{Path: p + key, Source: cmp.Or(src.source(p+key), src.source(p), name), Msg: fmt.Sprintf(format, a...)})
		}
		if e.Account != "*" && !awsid.IsAccountID(e.Account) {
			fail(".account", "%q is not an account ID (12 digits; quote it in YAML) or \"*\"", e.Account)
		}
		if _, err := path.Match(e.Bucket, ""); err != nil {
			fail(".bucket", "%q is not a glob pattern: %v", e.Bucket, err)
		}
		if e.Finding != "*" && !slices.Contains(findingIDs, e.Finding) {
			fail(".finding", "%q is not a finding ID that can be muted (want \"*\" or one of %s)", e.Finding, strings.Join(findingIDs, ", "))
		}
		if strings.TrimSpace(e.Reason) == "" {
			fail(".reason", "required: say why the finding is accepted")
		}
		if e.Expires != "" {
			if _, err := time.Parse(mutelistDate, e.Expires); err != nil {
				fail(".expires", "%q is not a date (YYYY-MM-DD)", e.Expires)
				continue
			}
			if e.Expires < today {
				warnings = append(warnings, fmt.Sprintf("%s: %s: expired on %s; its findings count again", cmp.Or(src.source(p+".expires"), name), p, e.Expires))
				continue
			}
		}
		m.active = append(m.active, e)
	}
	if len(problems) > 0 {
		return nil, nil, &Error{Problems: problems}
	}
	return &m, warnings, nil
}

// Mute returns the reason of the first entry in force that mutes finding
// findingID of accountID's bucket (bucket "" for an account's own
// findings), and whether one does.
func (m *Mutelist) Mute(accountID, bucket, findingID string) (string, bool) {
	if m == nil {
		return "", false
	}
	for _, e := range m.active {
		if e.Account != "*" && e.Account != accountID {
			continue
		}
		if e.Finding != "*" && e.Finding != findingID {
			continue
		}
		if e.Bucket != "" {
			if ok, _ := path.Match(e.Bucket, bucket); !ok || bucket == "" {
				continue
			}
		}
		return e.Reason, true
	}
	return "", false
}

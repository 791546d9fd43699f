package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a configuration.
type Problem struct {
	// Path is the key path ("audit_role.duration", "accounts[2].id").
	Path string
	// Source is where the value came from: "FILE:LINE", "flag --NAME",
	// or "" for a default.
	Source string
	Msg    string
}

// String formats the problem as "SOURCE: PATH: MSG".
func (p Problem) String() string {
	var b strings.Builder
	if p.Source != "" {
		b.WriteString(p.Source)
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error lists every problem of a configuration.
type Error struct {
	Problems []Problem
}

// Error joins the problems, one a line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	if len(lines) == 1 {
		return "invalid configuration: " + lines[0]
	}
	return fmt.Sprintf("invalid configuration (%d problems):\n  %s", len(lines), strings.Join(lines, "\n  "))
}

// Overrides are the command-line flags that override the file. A zero
// field leaves the file's (or default) value.
type Overrides struct {
	EndpointURL string
	OutputDir   string
	Formats     []string
	Profile     string
	Region      string
	// Accounts replaces scope.include_accounts (--accounts), Regions
	// scope.regions (--regions); ExcludeAccounts is added to
	// scope.exclude_accounts (--exclude-accounts).
	Accounts        []string
	ExcludeAccounts []string
	Regions         []string
	// Mutelist replaces mutelist (--mutelist).
	Mutelist string
	// PrincipalsPerCell, when not nil, replaces outputs.principals_per_cell
	// (--principals-per-cell).
	PrincipalsPerCell *int
}

// LookupEnv resolves ${ENV_VAR} references; os.LookupEnv fits.
type LookupEnv func(name string) (string, bool)

// Load reads the configuration file at path (empty: defaults only),
// applies the overrides and validates the result. lookup resolves ${VAR}
// references in audit_role.external_id (nil means os.LookupEnv). Every
// problem (unknown keys, wrong types, invalid values) is reported at once in
// an *Error.
func Load(path string, ov Overrides, lookup LookupEnv) (*Config, error) {
	var data []byte
	if path != "" {
		var err error
		data, err = os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read configuration: %w", err)
		}
	}
	return Parse(data, path, ov, lookup)
}

// Parse is Load on the file's bytes; name is used in messages.
func Parse(data []byte, name string, ov Overrides, lookup LookupEnv) (*Config, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	c := Default()
	c.file = name
	var problems []Problem
	if name != "" {
		sum := sha256.Sum256(data)
		c.digest = hex.EncodeToString(sum[:])
		problems = decodeInto(c, data, name)
	}
	problems = append(problems, c.expandEnv(lookup)...)
	c.apply(ov)
	if err := c.Validate(); err != nil {
		var ce *Error
		if errors.As(err, &ce) {
			problems = append(problems, ce.Problems...)
		}
	}
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return c, nil
}

// apply sets the flag overrides and records them as sources.
func (c *Config) apply(ov Overrides) {
	if ov.EndpointURL != "" {
		c.EndpointURL = ov.EndpointURL
		c.setSource("endpoint_url", "flag --endpoint-url")
	}
	if ov.OutputDir != "" {
		c.Outputs.Dir = ov.OutputDir
		c.setSource("outputs.dir", "flag --output-dir")
	}
	if len(ov.Formats) > 0 {
		c.Outputs.Formats = append([]string(nil), ov.Formats...)
		c.setSource("outputs.formats", "flag --format")
		for i := range c.Outputs.Formats {
			c.setSource(fmt.Sprintf("outputs.formats[%d]", i), "flag --format")
		}
	}
	if ov.PrincipalsPerCell != nil {
		c.Outputs.PrincipalsPerCell = *ov.PrincipalsPerCell
		c.setSource("outputs.principals_per_cell", "flag --principals-per-cell")
	}
	if ov.Profile != "" {
		c.Profile = ov.Profile
		c.setSource("profile", "flag --profile")
	}
	if ov.Region != "" {
		c.Region = ov.Region
		c.setSource("region", "flag --region")
	}
	if ov.Mutelist != "" {
		c.Mutelist = ov.Mutelist
		c.setSource("mutelist", "flag --mutelist")
	}
	if len(ov.Accounts) > 0 {
		c.Scope.IncludeAccounts = append([]string(nil), ov.Accounts...)
		c.setListSource("scope.include_accounts", 0, len(ov.Accounts), "flag --accounts")
	}
	if len(ov.ExcludeAccounts) > 0 {
		n := len(c.Scope.ExcludeAccounts)
		c.Scope.ExcludeAccounts = append(c.Scope.ExcludeAccounts, ov.ExcludeAccounts...)
		c.setListSource("scope.exclude_accounts", n, len(c.Scope.ExcludeAccounts), "flag --exclude-accounts")
	}
	if len(ov.Regions) > 0 {
		c.Scope.Regions = append([]string(nil), ov.Regions...)
		c.setListSource("scope.regions", 0, len(ov.Regions), "flag --regions")
	}
}

// setListSource records src as the source of path[from..to).
func (c *Config) setListSource(path string, from, to int, src string) {
	if from == 0 {
		c.setSource(path, src)
	}
	for i := from; i < to; i++ {
		c.setSource(fmt.Sprintf("%s[%d]", path, i), src)
	}
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${VAR} in the external IDs.
func (c *Config) expandEnv(lookup LookupEnv) []Problem {
	var problems []Problem
	expand := func(path string, value *string) {
		*value = envRef.ReplaceAllStringFunc(*value, func(ref string) string {
			name := envRef.FindStringSubmatch(ref)[1]
			v, ok := lookup(name)
			if !ok || v == "" {
				problems = append(problems, Problem{
					Path: path, Source: c.source(path),
					Msg: fmt.Sprintf("environment variable %s is not set (referenced as %s)", name, ref),
				})
			}
			return v
		})
	}
	expand("audit_role.external_id", &c.AuditRole.ExternalID)
	expand("organization.external_id", &c.Organization.ExternalID)
	return problems
}

// decodeInto decodes the YAML document into c, strictly: unknown keys and
// values of the wrong type are problems, each with its path and line.
func decodeInto(c *Config, data []byte, name string) []Problem {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return []Problem{{Source: name, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}}
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil
	}
	d := &decoder{file: name, cfg: c}
	d.value(root.Content[0], reflect.ValueOf(c).Elem(), "")
	return d.problems
}

type decoder struct {
	file     string
	cfg      *Config
	problems []Problem
}

var durationType = reflect.TypeOf(time.Duration(0))

func (d *decoder) add(n *yaml.Node, path, format string, a ...any) {
	d.problems = append(d.problems, Problem{Path: path, Source: d.at(n), Msg: fmt.Sprintf(format, a...)})
}

func (d *decoder) at(n *yaml.Node) string {
	return d.file + ":" + strconv.Itoa(n.Line)
}

// value decodes node n into v (whose key path is path).
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if path != "" {
		d.cfg.setSource(path, d.at(n))
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		// An empty value ("key:") leaves the default.
		return
	}
	switch {
	case v.Kind() == reflect.Struct:
		d.mapping(n, v, path)
	case v.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.add(n, path, "must be a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.value(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	default:
		d.scalar(n, v, path)
	}
}

// mapping decodes a YAML mapping into the struct v.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.add(n, path, "must be a mapping, got %s", describe(n))
		return
	}
	fields := map[string]int{}
	var names []string
	for i := 0; i < v.NumField(); i++ {
		tag := v.Type().Field(i).Tag.Get("yaml")
		if tag == "" || tag == "-" {
			continue
		}
		fields[tag] = i
		names = append(names, tag)
	}
	sort.Strings(names)
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		sub := key.Value
		if path != "" {
			sub = path + "." + key.Value
		}
		if line, dup := seen[key.Value]; dup {
			d.add(key, sub, "duplicate key (first at line %d)", line)
			continue
		}
		seen[key.Value] = key.Line
		idx, ok := fields[key.Value]
		if !ok {
			d.add(key, sub, "unknown key %q (known keys here: %s)", key.Value, strings.Join(names, ", "))
			continue
		}
		d.value(val, v.Field(idx), sub)
	}
}

// scalar decodes a scalar value, with a message naming the expected type.
func (d *decoder) scalar(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.add(n, path, "must be %s, got %s", kindName(v.Type()), describe(n))
		return
	}
	// Only the tags YAML 1.2 resolves for each type: no "yes" for true, no
	// bare number for a duration.
	var ok bool
	switch {
	case v.Type() == durationType:
		ok = n.Tag == "!!str"
	case v.Kind() == reflect.String:
		ok = n.Tag == "!!str" || n.Tag == "!!int" || n.Tag == "!!float" || n.Tag == "!!bool" || n.Tag == "!!timestamp"
	case v.Kind() == reflect.Bool:
		ok = n.Tag == "!!bool"
	case v.Kind() >= reflect.Int && v.Kind() <= reflect.Int64:
		ok = n.Tag == "!!int"
	case v.Kind() == reflect.Float64:
		ok = n.Tag == "!!int" || n.Tag == "!!float"
	}
	if !ok {
		d.add(n, path, "must be %s, got %s", kindName(v.Type()), describe(n))
		return
	}
	if v.Kind() == reflect.String {
		v.SetString(n.Value)
		return
	}
	target := reflect.New(v.Type())
	if err := n.Decode(target.Interface()); err != nil {
		d.add(n, path, "must be %s, got %s", kindName(v.Type()), describe(n))
		return
	}
	v.Set(target.Elem())
}

// kindName names what a Go type expects, for messages.
func kindName(t reflect.Type) string {
	switch {
	case t == durationType:
		return `a duration such as "30s", "15m" or "1h"`
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return "an integer"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "a number"
	case t.Kind() == reflect.String:
		return "a string"
	}
	return t.String()
}

// describe names a node for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		return fmt.Sprintf("%q", v)
	}
	return "an unsupported value"
}

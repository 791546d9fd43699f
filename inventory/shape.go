package inventory

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
)

// ValidationError lists every problem found in a document, each naming the
// path of the field (accounts[2].buckets[0].policy).
type ValidationError struct {
	// Name is the file (or label) the document came from, if any.
	Name     string
	Problems []Problem
}

// Problem is one invalid field.
type Problem struct {
	Path    string
	Message string
}

// String returns "path: message".
func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// Error lists the problems, one a line.
func (e *ValidationError) Error() string {
	var b strings.Builder
	if e.Name != "" {
		b.WriteString(e.Name)
		b.WriteString(": ")
	}
	if len(e.Problems) == 1 {
		b.WriteString(e.Problems[0].String())
		return b.String()
	}
	fmt.Fprintf(&b, "%d problems:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

var (
	documentType       = reflect.TypeFor[Document]()
	policyDocumentType = reflect.TypeFor[PolicyDocument]()
	durationType       = reflect.TypeFor[Duration]()
	timeType           = reflect.TypeFor[time.Time]()
	fetchErrorType     = reflect.TypeFor[FetchError]()
)

// shapeChecker compares a generically decoded JSON value with the Go type it
// will be decoded into, so that unknown keys and wrong types are reported
// with their path before encoding/json (which names no indices) sees them.
type shapeChecker struct {
	fields   map[reflect.Type]map[string]reflect.Type
	problems []Problem
}

func newShapeChecker() *shapeChecker {
	return &shapeChecker{fields: map[reflect.Type]map[string]reflect.Type{}}
}

func (c *shapeChecker) addf(path, format string, a ...any) {
	c.problems = append(c.problems, Problem{Path: path, Message: fmt.Sprintf(format, a...)})
}

// structFields maps the JSON names of t's fields to their types.
func (c *shapeChecker) structFields(t reflect.Type) map[string]reflect.Type {
	if f, ok := c.fields[t]; ok {
		return f
	}
	f := map[string]reflect.Type{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		f[name] = sf.Type
	}
	c.fields[t] = f
	return f
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	if key == "" || strings.ContainsAny(key, ".[]\" ") {
		return fmt.Sprintf("%s[%q]", path, key)
	}
	return path + "." + key
}

// describe names a generic JSON value's kind for error messages.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("string %q", truncate(x, 40))
	case json.Number:
		return "number " + x.String()
	case bool:
		return fmt.Sprintf("boolean %t", x)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func (c *shapeChecker) check(t reflect.Type, v any, path string) {
	if v == nil {
		return // null leaves the field at its zero value, like absence
	}
	switch t {
	case policyDocumentType:
		switch v.(type) {
		case string, map[string]any:
		default:
			c.addf(path, "expected a policy document (a JSON object or a string), got %s", describe(v))
		}
		return
	case fetchErrorType:
		if _, ok := v.(string); !ok {
			c.addf(path, "expected an error text (\"Code: message\"), got %s", describe(v))
		}
		return
	case durationType:
		s, ok := v.(string)
		if !ok {
			c.addf(path, "expected a duration string such as \"20ms\", got %s", describe(v))
			return
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			c.addf(path, "invalid duration %q (want e.g. \"20ms\", \"1.5s\")", s)
		} else if d < 0 {
			c.addf(path, "duration %q is negative", s)
		}
		return
	case timeType:
		s, ok := v.(string)
		if !ok {
			c.addf(path, "expected an RFC 3339 timestamp such as \"2024-03-01T10:00:00Z\", got %s", describe(v))
			return
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			c.addf(path, "invalid timestamp %q (want RFC 3339, e.g. \"2024-03-01T10:00:00Z\")", s)
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		c.check(t.Elem(), v, path)
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			c.addf(path, "expected an object, got %s", describe(v))
			return
		}
		fields := c.structFields(t)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				c.addf(joinKey(path, k), "unknown key%s", suggest(k, fields))
				continue
			}
			c.check(ft, m[k], joinKey(path, k))
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			c.addf(path, "expected an object, got %s", describe(v))
			return
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			c.check(t.Elem(), m[k], joinKey(path, k))
		}
	case reflect.Slice:
		l, ok := v.([]any)
		if !ok {
			c.addf(path, "expected a list, got %s", describe(v))
			return
		}
		for i, e := range l {
			c.check(t.Elem(), e, fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			hint := ""
			if _, isNum := v.(json.Number); isNum {
				hint = " (quote numbers that are IDs, e.g. \"111111111111\")"
			}
			c.addf(path, "expected a string, got %s%s", describe(v), hint)
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			c.addf(path, "expected true or false, got %s", describe(v))
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, ok := v.(json.Number)
		if !ok {
			c.addf(path, "expected an integer, got %s", describe(v))
			return
		}
		if _, err := n.Int64(); err != nil {
			c.addf(path, "expected an integer, got %s", describe(v))
		}
	case reflect.Float64:
		n, ok := v.(json.Number)
		if !ok {
			c.addf(path, "expected a number, got %s", describe(v))
			return
		}
		if _, err := n.Float64(); err != nil {
			c.addf(path, "expected a number, got %s", describe(v))
		}
	default:
		c.addf(path, "unsupported field type %s", t)
	}
}

// suggest proposes the known key closest to an unknown one.
func suggest(key string, fields map[string]reflect.Type) string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	best, bestDist := "", 3
	for _, k := range names {
		if d := editDistance(strings.ToLower(key), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return " (known keys: " + strings.Join(names, ", ") + ")"
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

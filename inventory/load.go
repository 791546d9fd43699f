package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/bucketaudit/bucketaudit/internal/fileutil"
)

// Load reads an inventory document (YAML or JSON) from path and validates it.
func Load(path string) (*Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read inventory: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes an inventory document (YAML or JSON); name is used in
// error messages. Unknown keys are errors. The result is validated.
func Parse(data []byte, name string) (*Document, error) {
	generic, jsonData, err := decodeDocument(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if generic == nil {
		return nil, fmt.Errorf("%s: the document is empty", name)
	}
	sc := newShapeChecker()
	sc.check(documentType, generic, "")
	if len(sc.problems) > 0 {
		return nil, &ValidationError{Name: name, Problems: sc.problems}
	}
	var doc Document
	if err := json.Unmarshal(jsonData, &doc); err != nil {
		// The shape check accepts only what decodes; this is a safety net.
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := doc.Validate(); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			ve.Name = name
			return nil, ve
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &doc, nil
}

// decodeGeneric decodes one JSON value, numbers kept as json.Number.
func decodeGeneric(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, describeJSONError(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the document")
	}
	return v, nil
}

// decodeDocument decodes data generically and returns it as JSON too: a
// document starting with '{' is JSON (or YAML in flow style), anything
// else YAML (converted; duplicate keys are errors).
func decodeDocument(data []byte) (generic any, jsonData []byte, err error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(bytes.TrimSpace(trimmed)) == 0 {
		return nil, nil, errors.New("the document is empty")
	}
	if trimmed[0] == '{' {
		g, jerr := decodeGeneric(trimmed)
		if jerr == nil {
			return g, trimmed, nil
		}
		if yj, yerr := yamlToJSON(data); yerr == nil {
			if g, err := decodeGeneric(yj); err == nil {
				return g, yj, nil
			}
		}
		return nil, nil, fmt.Errorf("invalid JSON: %w", jerr)
	}
	yj, err := yamlToJSON(data)
	if err != nil {
		return nil, nil, err
	}
	g, err := decodeGeneric(yj)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid YAML: %w", err)
	}
	return g, yj, nil
}

// yamlToJSON converts a YAML document (a mapping) to JSON, keeping the key
// order of every mapping, so that a policy embedded as a YAML mapping
// keeps its statement and key order. Duplicate keys are errors.
func yamlToJSON(data []byte) ([]byte, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("invalid YAML: the document must be a mapping (schema_version: 1, accounts: ...)")
	}
	var buf bytes.Buffer
	if err := writeYAMLNode(&buf, root.Content[0], "", 0); err != nil {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	return buf.Bytes(), nil
}

// maxAliasDepth bounds alias expansion (a "billion laughs" document).
const maxAliasDepth = 32

// writeYAMLNode writes a YAML node as JSON; path names it in errors, with
// the node's line.
func writeYAMLNode(buf *bytes.Buffer, n *yaml.Node, path string, depth int) error {
	switch n.Kind {
	case yaml.AliasNode:
		if depth >= maxAliasDepth {
			return fmt.Errorf("line %d: %s: aliases nested too deeply", n.Line, path)
		}
		return writeYAMLNode(buf, n.Alias, path, depth+1)
	case yaml.MappingNode:
		pairs, err := mappingPairs(n, path, depth)
		if err != nil {
			return err
		}
		buf.WriteByte('{')
		seen := make(map[string]bool, len(pairs)/2)
		for i := 0; i+1 < len(pairs); i += 2 {
			kn, vn := pairs[i], pairs[i+1]
			key, err := yamlKey(kn, path)
			if err != nil {
				return err
			}
			if seen[key] {
				return fmt.Errorf("line %d: %s: duplicate key", kn.Line, joinKey(path, key))
			}
			seen[key] = true
			if i > 0 {
				buf.WriteByte(',')
			}
			kb, _ := json.Marshal(key)
			buf.Write(kb)
			buf.WriteByte(':')
			if err := writeYAMLNode(buf, vn, joinKey(path, key), depth); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, e := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeYAMLNode(buf, e, fmt.Sprintf("%s[%d]", path, i), depth); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		return writeYAMLScalar(buf, n, path)
	default:
		return fmt.Errorf("line %d: %s: unsupported YAML node", n.Line, path)
	}
	return nil
}

// mappingPairs returns a mapping's keys and values in order, a merge key
// (<<: *base) replaced by the pairs of the mapping(s) it names, in place
// (a key both merged and written is a duplicate, as before).
func mappingPairs(n *yaml.Node, path string, depth int) ([]*yaml.Node, error) {
	var out []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if kn.Kind != yaml.ScalarNode || kn.Tag != "!!merge" {
			out = append(out, kn, vn)
			continue
		}
		merged := []*yaml.Node{vn}
		if deref(vn).Kind == yaml.SequenceNode {
			merged = deref(vn).Content
		}
		for _, m := range merged {
			if depth >= maxAliasDepth {
				return nil, fmt.Errorf("line %d: %s: merges nested too deeply", kn.Line, path)
			}
			if deref(m).Kind != yaml.MappingNode {
				return nil, fmt.Errorf("line %d: %s: a merge key (<<) must name a mapping", kn.Line, joinKey(path, "<<"))
			}
			pairs, err := mappingPairs(deref(m), path, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, pairs...)
		}
	}
	return out, nil
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && i < maxAliasDepth; i++ {
		n = n.Alias
	}
	return n
}

// writeYAMLScalar writes a scalar as JSON by its resolved tag: timestamps
// as the strings they were written as, the rest as JSON values.
func writeYAMLScalar(buf *bytes.Buffer, n *yaml.Node, path string) error {
	if n.Tag == "!!timestamp" {
		// A timestamp stays the string it was written as (as before: no
		// reformatting of a date into a date-time).
		b, _ := json.Marshal(n.Value)
		buf.Write(b)
		return nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return fmt.Errorf("line %d: %s: %w", n.Line, path, err)
	}
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case string, bool, int, int64, uint, uint64:
		b, _ := json.Marshal(x)
		buf.Write(b)
	case float64:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Errorf("line %d: %s: %v is not a JSON number", n.Line, path, x)
		}
		buf.Write(b)
	default:
		return fmt.Errorf("line %d: %s: unsupported YAML value of type %T", n.Line, path, v)
	}
	return nil
}

// yamlKey turns a mapping key (a scalar) into a JSON object key.
func yamlKey(k *yaml.Node, path string) (string, error) {
	if k.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("line %d: %s: unsupported mapping key (not a scalar)", k.Line, path)
	}
	var v any
	if err := k.Decode(&v); err != nil {
		return "", fmt.Errorf("line %d: %s: %w", k.Line, path, err)
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case int, int64, uint, uint64, float64, bool:
		return fmt.Sprint(x), nil
	}
	return "", fmt.Errorf("line %d: %s: unsupported mapping key %v", k.Line, path, k.Value)
}

// describeJSONError adds the line and column to a JSON syntax error.
func describeJSONError(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(data, se.Offset)
		return fmt.Errorf("line %d, column %d: %w", line, col, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		line, col := lineCol(data, int64(len(data)))
		return fmt.Errorf("line %d, column %d: unexpected end of JSON", line, col)
	}
	return err
}

// lineCol converts a byte offset into a 1-based line and column.
func lineCol(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1)
	if col < 1 {
		col = 1
	}
	return line, col
}

// Marshal encodes the document as JSON (sorted, deterministic) or, when
// asYAML is true, YAML. Map keys are sorted; lists keep their order (Normalize
// sorts them).
func Marshal(d *Document, asYAML bool) ([]byte, error) {
	if d == nil {
		return nil, errors.New("marshal inventory: nil document")
	}
	data, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal inventory: %w", err)
	}
	if !asYAML {
		return append(data, '\n'), nil
	}
	// Decoding JSON (a subset of YAML) into a Node keeps the key order of
	// the struct fields, so the YAML reads like the JSON.
	var ordered yaml.Node
	if err := yaml.Unmarshal(data, &ordered); err != nil {
		return nil, fmt.Errorf("marshal inventory as YAML: %w", err)
	}
	clearStyle(&ordered)
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	if err := enc.Encode(&ordered); err != nil {
		return nil, fmt.Errorf("marshal inventory as YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("marshal inventory as YAML: %w", err)
	}
	return out.Bytes(), nil
}

// clearStyle drops the flow and quoting styles a node took from its JSON
// source, so that it is written in block style, quoted only where needed.
func clearStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		clearStyle(c)
	}
}

// Save writes the document atomically with mode 0600; the extension of path
// (.json, .yaml, .yml) chooses the encoding.
func Save(path string, d *Document) error {
	var asYAML bool
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
	case ".yaml", ".yml":
		asYAML = true
	default:
		return fmt.Errorf("save inventory %s: unknown extension (want .json, .yaml or .yml)", path)
	}
	data, err := Marshal(d, asYAML)
	if err != nil {
		return err
	}
	if err := fileutil.WriteFileAtomic(path, data); err != nil {
		return fmt.Errorf("save inventory: %w", err)
	}
	return nil
}

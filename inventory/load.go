package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	yamlv2 "go.yaml.in/yaml/v2"

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
	var root yamlv2.MapSlice
	if err := yamlv2.Unmarshal(data, &root); err != nil {
		var typeErr *yamlv2.TypeError
		if errors.As(err, &typeErr) {
			return nil, errors.New("invalid YAML: the document must be a mapping (schema_version: 1, accounts: ...)")
		}
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	var buf bytes.Buffer
	if err := writeYAMLValue(&buf, root, ""); err != nil {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	return buf.Bytes(), nil
}

// writeYAMLValue writes a decoded YAML value as JSON; path names it in errors.
func writeYAMLValue(buf *bytes.Buffer, v any, path string) error {
	switch x := v.(type) {
	case yamlv2.MapSlice:
		buf.WriteByte('{')
		seen := make(map[string]bool, len(x))
		for i, item := range x {
			key, err := yamlKey(item.Key, path)
			if err != nil {
				return err
			}
			if seen[key] {
				return fmt.Errorf("%s: duplicate key", joinKey(path, key))
			}
			seen[key] = true
			if i > 0 {
				buf.WriteByte(',')
			}
			kb, _ := json.Marshal(key)
			buf.Write(kb)
			buf.WriteByte(':')
			if err := writeYAMLValue(buf, item.Value, joinKey(path, key)); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeYAMLValue(buf, e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case map[any]any:
		// Not produced when decoding into a MapSlice; handled for safety, sorted.
		ms := make(yamlv2.MapSlice, 0, len(x))
		for k, val := range x {
			ms = append(ms, yamlv2.MapItem{Key: k, Value: val})
		}
		sort.Slice(ms, func(i, j int) bool { return fmt.Sprint(ms[i].Key) < fmt.Sprint(ms[j].Key) })
		return writeYAMLValue(buf, ms, path)
	case nil:
		buf.WriteString("null")
	case string, bool, int, int64, uint, uint64:
		b, _ := json.Marshal(x)
		buf.Write(b)
	case float64:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Errorf("%s: %v is not a JSON number", path, x)
		}
		buf.Write(b)
	case time.Time:
		b, _ := json.Marshal(x.Format(time.RFC3339Nano))
		buf.Write(b)
	default:
		return fmt.Errorf("%s: unsupported YAML value of type %T", path, v)
	}
	return nil
}

// yamlKey turns a mapping key into a JSON object key.
func yamlKey(k any, path string) (string, error) {
	switch x := k.(type) {
	case string:
		return x, nil
	case int, int64, uint, uint64, float64, bool:
		return fmt.Sprint(x), nil
	}
	return "", fmt.Errorf("%s: unsupported mapping key %v", path, k)
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
// yaml is true, YAML. Map keys are sorted; lists keep their order (Normalize
// sorts them).
func Marshal(d *Document, yaml bool) ([]byte, error) {
	if d == nil {
		return nil, errors.New("marshal inventory: nil document")
	}
	data, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal inventory: %w", err)
	}
	if !yaml {
		return append(data, '\n'), nil
	}
	// Decoding JSON (a subset of YAML) into a MapSlice keeps the key order
	// of the struct fields, so the YAML reads like the JSON.
	var ordered yamlv2.MapSlice
	if err := yamlv2.Unmarshal(data, &ordered); err != nil {
		return nil, fmt.Errorf("marshal inventory as YAML: %w", err)
	}
	out, err := yamlv2.Marshal(ordered)
	if err != nil {
		return nil, fmt.Errorf("marshal inventory as YAML: %w", err)
	}
	return out, nil
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

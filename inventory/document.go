package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// PolicyDocument is a policy as JSON text. It unmarshals from either a JSON
// object or a JSON string holding the document (as AWS APIs return it), and
// marshals as a JSON object. Its text is not validated here; the policy
// package parses it.
type PolicyDocument struct {
	raw []byte
}

// NewPolicyDocument returns a document holding text (a JSON policy).
func NewPolicyDocument(text []byte) *PolicyDocument {
	return &PolicyDocument{raw: bytes.Clone(text)}
}

// Raw returns the policy's JSON text.
func (d *PolicyDocument) Raw() []byte {
	if d == nil {
		return nil
	}
	return d.raw
}

// String returns the policy's JSON text.
func (d *PolicyDocument) String() string { return string(d.Raw()) }

// MarshalJSON emits the document as a JSON object when its text is valid
// JSON, and as a JSON string otherwise (so a malformed policy round-trips).
func (d PolicyDocument) MarshalJSON() ([]byte, error) {
	trimmed := bytes.TrimSpace(d.raw)
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(trimmed) {
		var buf bytes.Buffer
		if err := json.Compact(&buf, trimmed); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	return json.Marshal(string(d.raw))
}

// UnmarshalJSON accepts a JSON object or a JSON string.
func (d *PolicyDocument) UnmarshalJSON(data []byte) error {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '"' {
		var s string
		if err := json.Unmarshal(trimmed, &s); err != nil {
			return err
		}
		d.raw = []byte(s)
		return nil
	}
	if len(trimmed) > 0 && trimmed[0] == '{' {
		d.raw = bytes.Clone(trimmed)
		return nil
	}
	return fmt.Errorf("policy document must be a JSON object or a string, got %.20s", trimmed)
}

// Duration is a time.Duration written as a Go duration string ("20ms").
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string ("250ms", "1m").
func (d *Duration) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"20ms\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if v < 0 {
		return fmt.Errorf("duration %q is negative", s)
	}
	*d = Duration(v)
	return nil
}

package policy

import (
	"bytes"
	"encoding/json"
)

// appendResponse appends r as one JSON line, byte for byte what
// json.Encoder (with SetEscapeHTML(false)) writes for it, without
// reflection: simulate writes one per request.
func appendResponse(buf *bytes.Buffer, r *SimResponse) {
	buf.WriteString(`{"id":`)
	if err := json.Compact(buf, r.ID); err != nil {
		buf.WriteString("null") // unreachable: ID is a parsed JSON value
	}
	buf.WriteString(`,"decision":`)
	appendJSONString(buf, r.Decision)
	appendJSONList(buf, `,"decided_by":`, r.DecidedBy)
	appendJSONList(buf, `,"statements":`, r.Statements)
	if r.Error != "" {
		buf.WriteString(`,"error":`)
		appendJSONString(buf, r.Error)
	}
	buf.WriteString("}\n")
}

// appendJSONList appends key and the list l, nothing when l is empty
// (omitempty).
func appendJSONList(buf *bytes.Buffer, key string, l []string) {
	if len(l) == 0 {
		return
	}
	buf.WriteString(key)
	buf.WriteByte('[')
	for i, s := range l {
		if i > 0 {
			buf.WriteByte(',')
		}
		appendJSONString(buf, s)
	}
	buf.WriteByte(']')
}

// appendJSONString appends s quoted as encoding/json quotes it without HTML
// escaping; strings needing an escape take encoding/json's own path.
func appendJSONString(buf *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			enc := json.NewEncoder(buf)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(s)           // a string always encodes
			buf.Truncate(buf.Len() - 1) // the newline Encode adds
			return
		}
	}
	buf.WriteByte('"')
	buf.WriteString(s)
	buf.WriteByte('"')
}

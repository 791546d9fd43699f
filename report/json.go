package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/bucketaudit/bucketaudit/access"
)

// JSON writes report.json: the JSON encoding of access.Report, indented by
// two spaces. The output is byte for byte what json.MarshalIndent(r, "",
// "  ") gives (plus a final newline), but the top-level lists (buckets,
// accounts) are encoded one element at a time, so a report of 100,000
// buckets is never held in memory as one JSON text.
type JSON struct{}

// Write writes r to w.
func (JSON) Write(w io.Writer, r *access.Report) error {
	jw := &jsonWriter{w: bufio.NewWriterSize(w, 64<<10), enc: map[string]*json.Encoder{}}
	v := reflect.ValueOf(r).Elem()
	if streamable(v.Type()) {
		if err := jw.object(v); err != nil {
			return err
		}
	} else if err := jw.value(r, ""); err != nil {
		return err
	}
	if err := jw.w.WriteByte('\n'); err != nil {
		return err
	}
	return jw.w.Flush()
}

// jsonWriter encodes values into w, reusing one buffer and one encoder per
// indentation prefix (json.MarshalIndent would allocate two copies of
// every bucket's text).
type jsonWriter struct {
	w   *bufio.Writer
	buf bytes.Buffer
	enc map[string]*json.Encoder
}

// value writes v as json.MarshalIndent(v, prefix, "  ") would.
func (j *jsonWriter) value(v any, prefix string) error {
	enc := j.enc[prefix]
	if enc == nil {
		enc = json.NewEncoder(&j.buf)
		enc.SetIndent(prefix, "  ")
		j.enc[prefix] = enc
	}
	j.buf.Reset()
	if err := enc.Encode(v); err != nil {
		return err
	}
	b := j.buf.Bytes()
	_, err := j.w.Write(b[:len(b)-1]) // Encode ends the value with a newline
	return err
}

// object writes the struct v field by field, as encoding/json would with
// the indentation JSON.Write uses, streaming its slice fields.
func (j *jsonWriter) object(v reflect.Value) error {
	w := j.w
	t := v.Type()
	w.WriteString("{")
	first := true
	for i := range t.NumField() {
		f := t.Field(i)
		name, omitEmpty, omitZero, ok := jsonFieldName(f)
		if !ok {
			continue
		}
		fv := v.Field(i)
		if omitEmpty && isEmptyJSONValue(fv) || omitZero && isZeroJSONValue(fv) {
			continue
		}
		if !first {
			w.WriteString(",")
		}
		first = false
		key, _ := json.Marshal(name)
		w.WriteString("\n  ")
		w.Write(key)
		w.WriteString(": ")
		var err error
		if fv.Kind() == reflect.Slice && !fv.IsNil() && fv.Len() > 0 {
			err = j.list(fv)
		} else {
			err = j.value(fv.Interface(), "  ")
		}
		if err != nil {
			return fmt.Errorf("encode %s: %w", name, err)
		}
	}
	if !first {
		w.WriteString("\n")
	}
	_, err := w.WriteString("}")
	return err
}

// list writes a non-empty slice one element at a time.
func (j *jsonWriter) list(v reflect.Value) error {
	w := j.w
	w.WriteString("[")
	for i := range v.Len() {
		if i > 0 {
			w.WriteString(",")
		}
		w.WriteString("\n    ")
		if err := j.value(v.Index(i).Interface(), "    "); err != nil {
			return fmt.Errorf("element %d: %w", i, err)
		}
	}
	_, err := w.WriteString("\n  ]")
	return err
}

// streamable reports whether writeJSONObject encodes t exactly as
// encoding/json does: a struct without embedded fields, ",string" options
// or custom marshalling of its own. Otherwise JSON.Write falls back to
// json.MarshalIndent of the whole report.
func streamable(t reflect.Type) bool {
	if t.Kind() != reflect.Struct || t.Implements(reflect.TypeFor[json.Marshaler]()) ||
		reflect.PointerTo(t).Implements(reflect.TypeFor[json.Marshaler]()) {
		return false
	}
	for i := range t.NumField() {
		f := t.Field(i)
		_, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous || strings.Contains(","+opts+",", ",string,") {
			return false
		}
	}
	return true
}

// jsonFieldName returns the JSON key of a struct field and its omitempty
// and omitzero options; ok is false for fields encoding/json skips.
func jsonFieldName(f reflect.StructField) (name string, omitEmpty, omitZero, ok bool) {
	if !f.IsExported() {
		return "", false, false, false
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", false, false, false
	}
	name, opts, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	for _, o := range strings.Split(opts, ",") {
		switch o {
		case "omitempty":
			omitEmpty = true
		case "omitzero":
			omitZero = true
		}
	}
	return name, omitEmpty, omitZero, true
}

// isEmptyJSONValue is encoding/json's definition of empty for omitempty.
func isEmptyJSONValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

// isZeroJSONValue is encoding/json's definition of zero for omitzero: the
// value's IsZero method when it has one, else the zero value of its type.
func isZeroJSONValue(v reflect.Value) bool {
	if z, ok := v.Interface().(interface{ IsZero() bool }); ok {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return true
		}
		return z.IsZero()
	}
	return v.IsZero()
}

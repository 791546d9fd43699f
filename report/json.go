package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/bucketaudit/bucketaudit/model"
)

// jsonWriter writes report.json: the JSON encoding of model.Report,
// indented by two spaces. The output is byte for byte what
// json.MarshalIndent(r, "", "  ") gives (plus a final newline), but it is
// encoded one element at a time: the buckets as they come, into a spool
// (they follow the accounts, which are final only at the end), then the
// report's fields in order with the spooled buckets copied in place. A
// report of 100,000 buckets is never held in memory as one JSON text.
type jsonWriter struct {
	out     *bufio.Writer
	enc     jsonEncoder
	buckets *spool
	n       int // buckets spooled
}

func newJSONWriter(w io.Writer, spoolDir string) *jsonWriter {
	return &jsonWriter{out: bufio.NewWriterSize(w, 64<<10), buckets: newSpool(spoolDir, "report.json buckets")}
}

// Bucket spools one element of the buckets list.
func (j *jsonWriter) Bucket(b *model.Bucket) error {
	data, err := j.enc.encode(b, "    ")
	if err != nil {
		return fmt.Errorf("encode bucket %q: %w", b.Name, err)
	}
	sep := ",\n    "
	if j.n == 0 {
		sep = sep[1:]
	}
	j.n++
	if _, err := io.WriteString(j.buckets, sep); err != nil {
		return err
	}
	_, err = j.buckets.Write(data)
	return err
}

// End writes the report, the spooled buckets in place of r.Buckets.
func (j *jsonWriter) End(r *model.Report) error {
	v := reflect.ValueOf(r).Elem()
	if !streamable(v.Type()) {
		return fmt.Errorf("report.json: %s is not encoded field by field", v.Type())
	}
	if err := j.object(v); err != nil {
		return err
	}
	if err := j.out.WriteByte('\n'); err != nil {
		return err
	}
	return j.out.Flush()
}

// Close removes the spool.
func (j *jsonWriter) Close() error { return j.buckets.remove() }

// jsonEncoder encodes values, reusing its buffers and one compact encoder
// (json.MarshalIndent would allocate two copies of every bucket's text and
// indent it with encoding/json's scanner; appendIndented is one plain pass).
type jsonEncoder struct {
	compact bytes.Buffer
	enc     *json.Encoder
	out     []byte
}

// encode returns v as json.MarshalIndent(v, prefix, "  ") would, in a
// buffer valid until the next call.
func (e *jsonEncoder) encode(v any, prefix string) ([]byte, error) {
	if e.enc == nil {
		e.enc = json.NewEncoder(&e.compact) // escapes HTML, as MarshalIndent does
	}
	e.compact.Reset()
	if err := e.enc.Encode(v); err != nil {
		return nil, err
	}
	b := e.compact.Bytes()
	e.out = appendIndented(e.out[:0], b[:len(b)-1], prefix, "  ") // Encode ends the value with a newline
	return e.out, nil
}

// value writes v as json.MarshalIndent(v, prefix, "  ") would.
func (j *jsonWriter) value(v any, prefix string) error {
	data, err := j.enc.encode(v, prefix)
	if err != nil {
		return err
	}
	_, err = j.out.Write(data)
	return err
}

// object writes the struct v field by field, as encoding/json would with
// the indentation End uses, streaming its slice fields, and the buckets
// from the spool.
func (j *jsonWriter) object(v reflect.Value) error {
	w := j.out
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
		spooled := f.Type == reflect.TypeFor[[]model.Bucket]() && j.n > 0
		if !spooled && (omitEmpty && isEmptyJSONValue(fv) || omitZero && isZeroJSONValue(fv)) {
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
		switch {
		case spooled:
			err = j.spooledList()
		case fv.Kind() == reflect.Slice && !fv.IsNil() && fv.Len() > 0:
			err = j.list(fv)
		default:
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
	w := j.out
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

// spooledList writes the buckets list from the spool (list's layout).
func (j *jsonWriter) spooledList() error {
	j.out.WriteString("[")
	// Flushed, the buffer is empty and io.Copy hands the copy to the
	// output file (copy_file_range on Linux).
	if err := j.out.Flush(); err != nil {
		return err
	}
	if err := j.buckets.copyTo(j.out); err != nil {
		return err
	}
	_, err := j.out.WriteString("\n  ]")
	return err
}

// streamable reports whether jsonWriter.object encodes t exactly as
// encoding/json does: a struct without embedded fields, ",string" options
// or custom marshalling of its own. (TestJSONEqualsMarshalIndent proves it
// of model.Report.)
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

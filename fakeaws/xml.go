package fakeaws

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// xmlOut builds an XML response body.
type xmlOut struct{ b bytes.Buffer }

func newXML() *xmlOut {
	x := &xmlOut{}
	// Room for most answers (a bucket's GETs are 150 to 400 bytes).
	x.b.Grow(512)
	x.b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	return x
}

func (x *xmlOut) open(tag string) {
	x.b.WriteByte('<')
	x.b.WriteString(tag)
	x.b.WriteByte('>')
}

func (x *xmlOut) openNS(tag, ns string) {
	x.b.WriteByte('<')
	x.b.WriteString(tag)
	x.b.WriteString(` xmlns="`)
	x.b.WriteString(ns)
	x.b.WriteString(`">`)
}

func (x *xmlOut) close(tag string) {
	x.b.WriteString("</")
	x.b.WriteString(tag)
	x.b.WriteByte('>')
}

// elem writes <tag>text</tag> with text escaped (as xml.EscapeText does).
func (x *xmlOut) elem(tag, text string) {
	x.open(tag)
	if plainXMLText(text) {
		x.b.WriteString(text)
	} else {
		xml.EscapeText(&x.b, []byte(text))
	}
	x.close(tag)
}

// plainXMLText reports whether xml.EscapeText leaves s as it is: printable
// ASCII without the characters it escapes.
func plainXMLText(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\'', c == '&', c == '<', c == '>':
			return false
		}
	}
	return true
}

// elemIf writes the element only when text is not empty.
func (x *xmlOut) elemIf(tag, text string) {
	if text != "" {
		x.elem(tag, text)
	}
}

func (x *xmlOut) bool(tag string, v bool) { x.elem(tag, strconv.FormatBool(v)) }

func (x *xmlOut) time(tag string, t time.Time) {
	x.elem(tag, t.UTC().Format("2006-01-02T15:04:05.000Z"))
}

func (x *xmlOut) write(w http.ResponseWriter, status int, contentType string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(x.b.Len()))
	w.WriteHeader(status)
	w.Write(x.b.Bytes())
}

// writeJSON writes a JSON 1.1 success answer.
func writeJSON(w http.ResponseWriter, q *request, v any) *apiError {
	body, err := json.Marshal(v)
	if err != nil {
		return &apiError{code: "InternalFailure", message: "encode answer: " + err.Error(), status: 500}
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("x-amzn-RequestId", q.reqID)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	return nil
}

// epoch renders a time as JSON 1.1 does: seconds since the epoch.
func epoch(t time.Time) float64 {
	return float64(t.UnixMilli()) / 1000
}

// jsonHandler makes a JSON 1.1 handler: it decodes the input, runs check
// (the service's gate and parameter limits), then h, and writes h's answer.
func jsonHandler[T any](check func(q *request, in *T) *apiError, h func(q *request, in *T) (any, *apiError)) handlerFunc {
	return func(w http.ResponseWriter, q *request) *apiError {
		var in T
		if len(q.body) > 0 {
			if err := json.Unmarshal(q.body, &in); err != nil {
				return errf("SerializationException", "cannot parse the request body: "+err.Error())
			}
		}
		if aerr := check(q, &in); aerr != nil {
			return aerr
		}
		out, aerr := h(q, &in)
		if aerr != nil {
			return aerr
		}
		return writeJSON(w, q, out)
	}
}

// writeTagSet writes tags sorted by key as <listTag><itemTag><Key/><Value/></itemTag>…</listTag>.
func writeTagSet(x *xmlOut, listTag, itemTag string, tags map[string]string) {
	x.open(listTag)
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		x.open(itemTag)
		x.elem("Key", k)
		x.elem("Value", tags[k])
		x.close(itemTag)
	}
	x.close(listTag)
}

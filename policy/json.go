package policy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// jkind is the type of a JSON value.
type jkind uint8

const (
	jObject jkind = iota
	jArray
	jString
	jNumber
	jBool
	jNull
)

func (k jkind) String() string {
	switch k {
	case jObject:
		return "an object"
	case jArray:
		return "a list"
	case jString:
		return "a string"
	case jNumber:
		return "a number"
	case jBool:
		return "a boolean"
	}
	return "null"
}

// jnode is a JSON value with its byte offset in the source, so that every
// error and warning can name a line and a column.
type jnode struct {
	kind    jkind
	off     int
	end     int       // offset just past the value
	str     string    // string value, number text or "true"/"false"
	members []jmember // object members in source order, duplicates included
	elems   []*jnode  // array elements
}

// jmember is one "key": value pair of an object.
type jmember struct {
	key    string
	keyOff int
	val    *jnode
}

// maxDepth bounds nesting; no valid policy comes close.
const maxDepth = 64

// jparser is a strict JSON (RFC 8259) reader that keeps positions.
type jparser struct {
	src   string // the document; decoded strings without escapes share its memory
	pos   int
	depth int
	lines []int // byte offsets where lines start, built on demand
	// lastOff and lastCol are the previous position asked (see position).
	lastOff, lastCol int
	slab             []jnode // nodes are allocated in chunks
	// mslab and eslab hold the members of objects and the elements of
	// arrays, allocated in chunks too (without reuse).
	mslab []jmember
	eslab []*jnode
	// members and elems are stacks shared by nested objects and arrays, so
	// that each gets one exact-size slice.
	members []jmember
	elems   []*jnode
	// reuse, set by a parser that reads document after document (see
	// reset), allocates nodes and the members and elements of objects and
	// arrays from arenas kept across documents.
	reuse *jarenas
}

// jarenas are the arenas of a reused parser.
type jarenas struct {
	nodes   arena[jnode]
	members arena[jmember]
	elems   arena[*jnode]
}

// reset prepares p to parse src, reusing the memory of the previous
// document: nodes of the previous document must no longer be used.
func (p *jparser) reset(src string) {
	r := p.reuse
	if r == nil {
		r = &jarenas{}
	}
	r.nodes.reset()
	r.members.reset()
	r.elems.reset()
	*p = jparser{src: src, reuse: r, members: p.members[:0], elems: p.elems[:0]}
}

// node allocates a node from the slab.
func (p *jparser) node(k jkind, off int) *jnode {
	if p.reuse != nil {
		n := &p.reuse.nodes.alloc(1)[0]
		*n = jnode{kind: k, off: off}
		return n
	}
	if len(p.slab) == cap(p.slab) {
		// The first chunk is sized from the document (about one node per 24 bytes).
		n := 64
		if p.slab == nil {
			n = min(256, len(p.src)/24+8)
		}
		p.slab = make([]jnode, 0, n)
	}
	p.slab = append(p.slab, jnode{kind: k, off: off})
	return &p.slab[len(p.slab)-1]
}

// slabCopy returns a copy of src (len == cap) carved from *slab, which it
// refills with a chunk of first elements (sized from the document: about
// one member per 24 bytes, one element per 48), 16 after the first, or
// more for a longer src.
func slabCopy[T any](slab *[]T, src []T, first int) []T {
	n := len(src)
	if cap(*slab)-len(*slab) < n {
		size := 16
		if *slab == nil {
			size = min(256, first)
		}
		*slab = make([]T, 0, max(size, n))
	}
	s := *slab
	out := append(s[len(s):len(s):len(s)+n], src...)
	*slab = s[:len(s)+n]
	return out
}

// syntaxError is a JSON syntax problem at a byte offset.
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string { return e.msg }

func (p *jparser) fail(off int, format string, a ...any) *syntaxError {
	return &syntaxError{off: off, msg: fmt.Sprintf(format, a...)}
}

// parseDocument reads exactly one JSON value surrounded by whitespace.
func (p *jparser) parseDocument() (*jnode, error) {
	// A UTF-8 byte order mark is tolerated, as editors add it.
	if len(p.src) >= 3 && p.src[0] == 0xEF && p.src[1] == 0xBB && p.src[2] == 0xBF {
		p.pos = 3
	}
	p.skipSpace()
	if p.pos >= len(p.src) {
		return nil, p.fail(p.pos, "empty document: expected a JSON object")
	}
	n, err := p.value()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.src) {
		return nil, p.fail(p.pos, "unexpected %s after the end of the policy document", p.describe())
	}
	return n, nil
}

func (p *jparser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// describe names the token at the current position for error messages.
func (p *jparser) describe() string {
	if p.pos >= len(p.src) {
		return "end of input"
	}
	c := p.src[p.pos]
	switch {
	case c == '/' && p.pos+1 < len(p.src) && (p.src[p.pos+1] == '/' || p.src[p.pos+1] == '*'):
		return "comment (JSON has no comments)"
	case c >= 0x20 && c < 0x7f:
		return strconv.Quote(string(c))
	}
	r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
	return fmt.Sprintf("character %U", r)
}

func (p *jparser) value() (*jnode, error) {
	if p.pos >= len(p.src) {
		return nil, p.fail(p.pos, "unexpected end of input: expected a value")
	}
	switch c := p.src[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		off := p.pos
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		n := p.node(jString, off)
		n.str, n.end = s, p.pos
		return n, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return p.literal("true", jBool)
	case c == 'f':
		return p.literal("false", jBool)
	case c == 'n':
		return p.literal("null", jNull)
	}
	return nil, p.fail(p.pos, "unexpected %s: expected a value", p.describe())
}

func (p *jparser) literal(word string, k jkind) (*jnode, error) {
	off := p.pos
	if !strings.HasPrefix(p.src[p.pos:], word) {
		return nil, p.fail(p.pos, "unexpected %s: expected a value", p.describe())
	}
	p.pos += len(word)
	n := p.node(k, off)
	n.str, n.end = word, p.pos
	return n, nil
}

func (p *jparser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.fail(p.pos, "nesting deeper than %d levels", maxDepth)
	}
	return nil
}

func (p *jparser) object() (*jnode, error) {
	n := p.node(jObject, p.pos)
	if err := p.enter(); err != nil {
		return nil, err
	}
	base := len(p.members)
	defer func() { p.members = p.members[:base] }()
	p.pos++ // {
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		p.depth--
		n.end = p.pos
		return n, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != '"' {
			if p.pos < len(p.src) && p.src[p.pos] == '}' {
				return nil, p.fail(p.pos, "trailing comma before \"}\"")
			}
			return nil, p.fail(p.pos, "unexpected %s: expected a quoted key", p.describe())
		}
		keyOff := p.pos
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			return nil, p.fail(p.pos, "unexpected %s after key %q: expected \":\"", p.describe(), key)
		}
		p.pos++
		p.skipSpace()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		p.members = append(p.members, jmember{key: key, keyOff: keyOff, val: v})
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.fail(p.pos, "unexpected end of input: expected \",\" or \"}\"")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.depth--
			if p.reuse != nil {
				n.members = p.reuse.members.alloc(len(p.members) - base)
				copy(n.members, p.members[base:])
			} else {
				n.members = slabCopy(&p.mslab, p.members[base:], len(p.src)/24+4)
			}
			n.end = p.pos
			return n, nil
		default:
			return nil, p.fail(p.pos, "unexpected %s: expected \",\" or \"}\"", p.describe())
		}
	}
}

func (p *jparser) array() (*jnode, error) {
	n := p.node(jArray, p.pos)
	if err := p.enter(); err != nil {
		return nil, err
	}
	base := len(p.elems)
	defer func() { p.elems = p.elems[:base] }()
	p.pos++ // [
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
		p.depth--
		n.end = p.pos
		return n, nil
	}
	for {
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == ']' {
			return nil, p.fail(p.pos, "trailing comma before \"]\"")
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		p.elems = append(p.elems, v)
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.fail(p.pos, "unexpected end of input: expected \",\" or \"]\"")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.depth--
			if p.reuse != nil {
				n.elems = p.reuse.elems.alloc(len(p.elems) - base)
				copy(n.elems, p.elems[base:])
			} else {
				n.elems = slabCopy(&p.eslab, p.elems[base:], len(p.src)/48+4)
			}
			n.end = p.pos
			return n, nil
		default:
			return nil, p.fail(p.pos, "unexpected %s: expected \",\" or \"]\"", p.describe())
		}
	}
}

func (p *jparser) number() (*jnode, error) {
	off := p.pos
	i := p.pos
	if i < len(p.src) && p.src[i] == '-' {
		i++
	}
	digits := func() int {
		s := i
		for i < len(p.src) && p.src[i] >= '0' && p.src[i] <= '9' {
			i++
		}
		return i - s
	}
	start := i
	if digits() == 0 {
		return nil, p.fail(i, "invalid number: expected a digit")
	}
	if p.src[start] == '0' && i-start > 1 {
		return nil, p.fail(start, "invalid number: leading zero")
	}
	if i < len(p.src) && p.src[i] == '.' {
		i++
		if digits() == 0 {
			return nil, p.fail(i, "invalid number: expected a digit after \".\"")
		}
	}
	if i < len(p.src) && (p.src[i] == 'e' || p.src[i] == 'E') {
		i++
		if i < len(p.src) && (p.src[i] == '+' || p.src[i] == '-') {
			i++
		}
		if digits() == 0 {
			return nil, p.fail(i, "invalid number: expected a digit in the exponent")
		}
	}
	p.pos = i
	n := p.node(jNumber, off)
	n.str, n.end = p.src[off:i], i
	return n, nil
}

// str reads a quoted string at p.pos and returns its decoded value.
func (p *jparser) str() (string, error) {
	start := p.pos
	p.pos++ // opening quote
	// Fast path: no escapes.
	i := p.pos
	for i < len(p.src) {
		c := p.src[i]
		if c == '"' {
			s := p.src[p.pos:i]
			if !utf8.ValidString(s) {
				return "", p.fail(p.pos, "string is not valid UTF-8")
			}
			p.pos = i + 1
			return s, nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		i++
	}
	var b strings.Builder
	b.WriteString(p.src[p.pos:i])
	p.pos = i
	for {
		if p.pos >= len(p.src) {
			return "", p.fail(start, "unterminated string")
		}
		c := p.src[p.pos]
		switch {
		case c == '"':
			p.pos++
			s := b.String()
			if !utf8.ValidString(s) {
				return "", p.fail(start, "string is not valid UTF-8")
			}
			return s, nil
		case c < 0x20:
			if c == '\n' {
				return "", p.fail(p.pos, "unterminated string (line break inside a string)")
			}
			return "", p.fail(p.pos, "control character %U inside a string", rune(c))
		case c == '\\':
			if p.pos+1 >= len(p.src) {
				return "", p.fail(start, "unterminated string")
			}
			e := p.src[p.pos+1]
			if c, ok := simpleEscape(e); ok {
				b.WriteByte(c)
				p.pos += 2
				continue
			}
			switch e {
			case 'u':
				r, ok := p.hex4(p.pos + 2)
				if !ok {
					return "", p.fail(p.pos, "invalid \\u escape")
				}
				p.pos += 6
				if utf16.IsSurrogate(r) {
					if r2, ok2 := p.lowSurrogate(); ok2 {
						r = utf16.DecodeRune(r, r2)
					} else {
						r = utf8.RuneError
					}
				}
				b.WriteRune(r)
			default:
				return "", p.fail(p.pos, "invalid escape \"\\%c\" in a string", e)
			}
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
}

// simpleEscape returns the character of a one-letter escape ("\n" ...).
func simpleEscape(e byte) (byte, bool) {
	switch e {
	case '"', '\\', '/':
		return e, true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	}
	return 0, false
}

func (p *jparser) lowSurrogate() (rune, bool) {
	if p.pos+1 < len(p.src) && p.src[p.pos] == '\\' && p.src[p.pos+1] == 'u' {
		if r, ok := p.hex4(p.pos + 2); ok && r >= 0xDC00 && r <= 0xDFFF {
			p.pos += 6
			return r, true
		}
	}
	return 0, false
}

func (p *jparser) hex4(at int) (rune, bool) {
	if at+4 > len(p.src) {
		return 0, false
	}
	v, err := strconv.ParseUint(p.src[at:at+4], 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(v), true
}

// position converts a byte offset to a 1-based line and column (in
// characters, a tab counting as one).
func (p *jparser) position(off int) (line, col int) {
	if p.lines == nil {
		p.lines = append(p.lines, 0)
		for i := 0; i < len(p.src); i++ {
			if p.src[i] == '\n' {
				p.lines = append(p.lines, i+1)
			}
		}
	}
	off = max(0, min(off, len(p.src)))
	l := sort.Search(len(p.lines), func(i int) bool { return p.lines[i] > off }) - 1
	// Positions are mostly asked in increasing order: count on from the
	// previous one on the same line rather than from the line's start.
	start, col := p.lines[l], 1
	if p.lastOff >= start && p.lastOff <= off && p.lastCol > 0 {
		start, col = p.lastOff, p.lastCol
	}
	col += utf8.RuneCountInString(p.src[start:off])
	p.lastOff, p.lastCol = off, col
	return l + 1, col
}

package policy

import (
	"strings"
	"unicode/utf8"
)

// gkind is the kind of a glob token.
type gkind uint8

const (
	gLit  gkind = iota // literal text
	gStar              // '*': any run of characters, including none
	gOne               // '?': exactly one character
	gVar               // a policy variable, resolved at evaluation time
)

// gtok is one token of a compiled pattern. For gVar, s is the lower-case
// context key and def the default value (hasDef).
type gtok struct {
	kind   gkind
	s      string
	def    string
	hasDef bool
}

// tmpl is a policy string compiled for matching: wildcards ('*', '?', when
// active), literal text and policy variables (when the policy's version
// supports them). raw is the text as written.
type tmpl struct {
	raw    string
	toks   []gtok
	hasVar bool
	wild   bool // has an active wildcard
	mode   gmode
	lit    string // the literal for mLiteral, mPrefix and mSuffix
}

// gmode is a fast path for the common shapes of patterns.
type gmode uint8

const (
	mGeneral gmode = iota
	mLiteral       // no wildcard: equality
	mAny           // "*"
	mPrefix        // "lit*"
	mSuffix        // "*lit"
)

// setMode picks the fast path of a compiled pattern without variables.
func (t *tmpl) setMode() {
	t.mode = mGeneral
	if t.hasVar {
		return
	}
	switch k := t.toks; {
	case len(k) == 0:
		t.mode, t.lit = mLiteral, ""
	case len(k) == 1 && k[0].kind == gLit:
		t.mode, t.lit = mLiteral, k[0].s
	case len(k) == 1 && k[0].kind == gStar:
		t.mode = mAny
	case len(k) == 2 && k[0].kind == gLit && k[1].kind == gStar:
		t.mode, t.lit = mPrefix, k[0].s
	case len(k) == 2 && k[0].kind == gStar && k[1].kind == gLit:
		t.mode, t.lit = mSuffix, k[1].s
	}
}

// match matches s against a pattern without variables.
func (t *tmpl) match(s string, fold bool) bool {
	switch t.mode {
	case mLiteral:
		return len(s) == len(t.lit) && hasPrefixFold(s, t.lit, fold)
	case mAny:
		return true
	case mPrefix:
		return hasPrefixFold(s, t.lit, fold)
	case mSuffix:
		return len(s) >= len(t.lit) && hasPrefixFold(s[len(s)-len(t.lit):], t.lit, fold)
	}
	return globMatch(t.toks, s, fold)
}

// compileTmpl compiles s. With wild, '*' and '?' are wildcards; with vars,
// "${key}", "${key, 'default'}" and the escapes "${*}", "${?}", "${$}" are
// recognised (policy language 2012-10-17); otherwise they are literal text.
func compileTmpl(s string, wild, vars bool) tmpl { return compileTmplIn(s, wild, vars, nil) }

// tmplRoom is the room compileTmpl makes for the tokens of s: at most a
// literal before and one after each special character.
func tmplRoom(s string) int {
	if !strings.ContainsAny(s, "*?$") {
		return 0 // plain text: no tokens
	}
	return 2*(strings.Count(s, "*")+strings.Count(s, "?")+strings.Count(s, "$")) + 1
}

// compileTmplIn is compileTmpl taking the room of the tokens from the
// head of *room when it has enough (room nil or short: allocated).
func compileTmplIn(s string, wild, vars bool, room *[]gtok) tmpl {
	t := tmpl{raw: s}
	if !strings.ContainsAny(s, "*?$") {
		// Plain text (the common case): no tokens needed.
		t.mode, t.lit = mLiteral, s
		return t
	}
	// lit is the pending literal text: a run of s (the common case, no
	// copy) that ends at litEnd, or, once an escape joined it to more
	// text, a string of its own (litEnd -1).
	lit, litEnd := "", -1
	addLit := func(start, end int) {
		switch {
		case lit == "":
			lit, litEnd = s[start:end], end
		case litEnd == start:
			lit, litEnd = s[litEnd-len(lit):end], end
		default:
			lit, litEnd = lit+s[start:end], -1
		}
	}
	flush := func() {
		if lit != "" {
			t.toks = append(t.toks, gtok{kind: gLit, s: lit})
			lit, litEnd = "", -1
		}
	}
	// At most a literal before and one after each special character.
	if n := tmplRoom(s); room != nil && cap(*room)-len(*room) >= n {
		r := *room
		t.toks = r[len(r) : len(r) : len(r)+n]
		*room = r[:len(r)+n]
	} else {
		t.toks = make([]gtok, 0, n)
	}
	for i := 0; i < len(s); {
		c := s[i]
		if vars && c == '$' && i+1 < len(s) && s[i+1] == '{' {
			if end := strings.IndexByte(s[i+2:], '}'); end >= 0 {
				body := s[i+2 : i+2+end]
				switch body {
				case "*", "?", "$":
					addLit(i+2, i+2+end)
					i += end + 3
					continue
				}
				if key, def, hasDef, ok := parseVariable(body); ok {
					flush()
					t.toks = append(t.toks, gtok{kind: gVar, s: strings.ToLower(key), def: def, hasDef: hasDef})
					t.hasVar = true
					i += end + 3
					continue
				}
			}
		}
		if wild && (c == '*' || c == '?') {
			flush()
			if c == '*' {
				// Collapse runs of '*'.
				if n := len(t.toks); n == 0 || t.toks[n-1].kind != gStar {
					t.toks = append(t.toks, gtok{kind: gStar})
				}
			} else {
				t.toks = append(t.toks, gtok{kind: gOne})
			}
			t.wild = true
			i++
			continue
		}
		addLit(i, i+1)
		i++
	}
	flush()
	t.setMode()
	return t
}

// parseVariable parses the inside of "${...}": a key, optionally followed
// by ", 'default'".
func parseVariable(body string) (key, def string, hasDef, ok bool) {
	key = body
	if i := strings.IndexByte(body, ','); i >= 0 {
		key = body[:i]
		rest := strings.TrimSpace(body[i+1:])
		if len(rest) < 2 || rest[0] != '\'' || rest[len(rest)-1] != '\'' {
			return "", "", false, false
		}
		def, hasDef = rest[1:len(rest)-1], true
	}
	key = strings.TrimSpace(key)
	if key == "" || strings.ContainsAny(key, " '${}") {
		return "", "", false, false
	}
	return key, def, hasDef, true
}

// literal reports whether t matches exactly one string (no wildcard, no
// variable), and returns it.
func (t *tmpl) literal() (string, bool) {
	if t.wild || t.hasVar {
		return "", false
	}
	if t.mode == mLiteral {
		return t.lit, true
	}
	if len(t.toks) == 0 {
		return "", true
	}
	if len(t.toks) == 1 {
		return t.toks[0].s, true
	}
	var b strings.Builder
	for _, k := range t.toks {
		b.WriteString(k.s)
	}
	return b.String(), true
}

// globMatch matches s against toks (no gVar tokens). fold compares ASCII
// letters case-insensitively.
func globMatch(toks []gtok, s string, fold bool) bool {
	ti, si := 0, 0
	starTi, starSi := -1, 0
	for {
		if ti < len(toks) {
			switch t := &toks[ti]; t.kind {
			case gStar:
				starTi, starSi = ti, si
				ti++
				continue
			case gOne:
				if si < len(s) {
					si += runeLen(s, si)
					ti++
					continue
				}
			case gLit:
				if hasPrefixFold(s[si:], t.s, fold) {
					si += len(t.s)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starTi < 0 || starSi >= len(s) {
			return false
		}
		if s[starSi] < utf8.RuneSelf {
			starSi++
		} else {
			starSi += runeLen(s, starSi)
		}
		si = starSi
		ti = starTi + 1
	}
}

func runeLen(s string, i int) int {
	if s[i] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRuneInString(s[i:])
	return n
}

func hasPrefixFold(s, prefix string, fold bool) bool {
	if len(s) < len(prefix) {
		return false
	}
	if !fold {
		return s[:len(prefix)] == prefix
	}
	for i := 0; i < len(prefix); i++ {
		a, b := s[i], prefix[i]
		if a == b {
			continue
		}
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// arnPat is a Resource/NotResource value or an ARN condition value: either
// "*", a six-segment ARN pattern matched segment by segment (wildcards in
// the first five segments stay inside their segment; in the resource
// segment they cross '/' and ':'), or, for a value that is not an ARN, a
// pattern over the whole string.
type arnPat struct {
	raw string
	any bool
	arn bool
	// head is "arn:partition:service:region:account:" when those five
	// segments are literal (the common case): one comparison instead of
	// five; heads holds them otherwise.
	head  string
	heads *[5]tmpl
	res   tmpl  // the resource segment
	full  *tmpl // when !arn
}

func compileARN(s string, vars bool) arnPat { return compileARNIn(s, vars, nil) }

// arnRoom is the room of the tokens of compileARN(s).
func arnRoom(s string) int {
	if s == "*" {
		return 0
	}
	segs, ok := splitARNPattern(s)
	if !ok {
		return tmplRoom(s)
	}
	n := 0
	for _, seg := range segs {
		n += tmplRoom(seg)
	}
	return n
}

// compileARNIn is compileARN taking the room of its tokens from *room
// (compileTmplIn).
func compileARNIn(s string, vars bool, room *[]gtok) arnPat {
	if s == "*" {
		return arnPat{raw: s, any: true}
	}
	segs, ok := splitARNPattern(s)
	if !ok {
		full := compileTmplIn(s, true, vars, room)
		return arnPat{raw: s, full: &full}
	}
	p := arnPat{raw: s, arn: true, res: compileTmplIn(segs[5], true, vars, room)}
	var heads [5]tmpl
	literalHead := true
	for i := range heads {
		heads[i] = compileTmplIn(segs[i], true, vars, room)
		if heads[i].mode != mLiteral {
			literalHead = false
		}
	}
	if literalHead {
		p.head = s[:len(s)-len(segs[5])]
	} else {
		h := heads // allocated only when needed
		p.heads = &h
	}
	return p
}

// splitARNPattern splits an ARN pattern at its first five colons, ignoring
// colons inside "${...}".
func splitARNPattern(s string) ([6]string, bool) {
	var out [6]string
	if !strings.HasPrefix(s, "arn:") {
		return out, false
	}
	n, start, depth := 0, 0, 0
	for i := 0; i < len(s) && n < 5; i++ {
		switch s[i] {
		case '$':
			if i+1 < len(s) && s[i+1] == '{' {
				depth++
			}
		case '}':
			if depth > 0 {
				depth--
			}
		case ':':
			if depth == 0 {
				out[n] = s[start:i]
				n++
				start = i + 1
			}
		}
	}
	if n < 5 {
		return out, false
	}
	out[5] = s[start:]
	return out, true
}

// arnSegs is a request ARN split at its first five colons (no allocation).
type arnSegs struct {
	s   string
	ok  bool
	seg [6]string
	// headLen is the length of the first five segments and their colons.
	headLen int
}

func splitARN(s string) arnSegs {
	a := arnSegs{s: s}
	if !strings.HasPrefix(s, "arn:") {
		return a
	}
	start := 0
	for n := 0; n < 5; n++ {
		i := strings.IndexByte(s[start:], ':')
		if i < 0 {
			return a
		}
		a.seg[n] = s[start : start+i]
		start += i + 1
	}
	a.seg[5] = s[start:]
	a.headLen = start
	a.ok = true
	return a
}

// literal reports whether the pattern matches exactly one ARN, and returns it.
func (p *arnPat) literal() (string, bool) {
	if p.any {
		return "", false
	}
	if !p.arn {
		return p.full.literal()
	}
	if _, ok := p.res.literal(); !ok || p.head == "" {
		return "", false
	}
	return p.raw, true
}

// actionPat is a compiled Action/NotAction value.
type actionPat struct {
	any     bool   // "*"
	service string // lower-case service prefix when it has no wildcard
	name    tmpl   // pattern for the part after the colon (case-insensitive)
	full    *tmpl  // pattern for the whole action when the prefix has wildcards
}

func compileAction(a string) actionPat { return compileActionIn(a, nil) }

// actionRoom is the room of the tokens of compileActions' pattern of a.
func actionRoom(a string) int {
	if a == "*" {
		return 0
	}
	i := strings.IndexByte(a, ':')
	if i >= 0 && !strings.ContainsAny(a[:i], "*?") {
		return tmplRoom(a[i+1:])
	}
	return tmplRoom(a)
}

// compileActionIn is compileAction taking the room of its tokens from
// *room (compileTmplIn).
func compileActionIn(a string, room *[]gtok) actionPat {
	if a == "*" {
		return actionPat{any: true}
	}
	i := strings.IndexByte(a, ':')
	svc := a[:i]
	if !strings.ContainsAny(svc, "*?") {
		return actionPat{service: strings.ToLower(svc), name: compileTmplIn(a[i+1:], true, false, room)}
	}
	full := compileTmplIn(a, true, false, room)
	return actionPat{full: &full}
}

// match reports whether the request action (service, name split at the
// colon) matches.
func (p *actionPat) match(action, service, name string) bool {
	switch {
	case p.any:
		return true
	case p.full != nil:
		return p.full.match(action, true)
	}
	return len(service) == len(p.service) && hasPrefixFold(service, p.service, true) && p.name.match(name, true)
}

// ResourcePattern is a Resource or NotResource value compiled for matching
// resource ARNs outside an evaluation, exactly as the engine matches it.
type ResourcePattern struct{ p arnPat }

// CompileResourcePattern compiles a Resource or NotResource value. It
// returns false when the value holds a policy variable, whose value only a
// request gives.
func CompileResourcePattern(s string) (*ResourcePattern, bool) {
	p := compileARN(s, true)
	if p.res.hasVar || (p.full != nil && p.full.hasVar) {
		return nil, false
	}
	if p.heads != nil {
		for i := range p.heads {
			if p.heads[i].hasVar {
				return nil, false
			}
		}
	}
	return &ResourcePattern{p: p}, true
}

// Matches reports whether the pattern matches the resource ARN.
func (rp *ResourcePattern) Matches(resource string) bool {
	var e Evaluator // no variable to resolve: the evaluator's state is not used
	s := splitARN(resource)
	return e.matchARN(&rp.p, &s) == tTrue
}

package policy

import "strings"

// SetPrefixed makes key present with one value known only up to its end:
// prefix followed by a non-empty string the scan cannot know. It is the
// aws:userid of an assumed-role session, "role-id:caller-specified-role-name",
// whose session name the caller picks
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable).
// A condition decides where every such value agrees (StringLike
// "AROAID:*" matches, StringEquals on another role's ID does not) and is
// unknown otherwise (StringEquals "AROAID:alice" depends on the session
// name); a policy variable naming the key is unknown.
func (c *Context) SetPrefixed(key, prefix string) *Context {
	x := c.newEntry() // the entry and its value in one allocation
	x.v[0] = prefix
	x.e = ctxEntry{state: keyPrefixed, values: x.v[:]}
	return c.put(key, &x.e)
}

// Adopt sets on c every key set on src (not its base's, nor its
// prefixes), sharing them: src must no longer be modified. The keys of one
// principal set once serve each of its contexts.
func (c *Context) Adopt(src *Context) *Context {
	src.eachOwn(c.setOwn)
	c.gen++
	return c
}

// condPrefixed evaluates a condition on a key set with SetPrefixed: its
// one value is prefix followed by an unknown non-empty string. The key is
// present, so ...IfExists changes nothing (Null is condKnown's); a set
// operator over one value is the plain operator.
func condPrefixed(c *ccond, prefix string) tri {
	pos := c.op.base.positive()
	switch pos {
	case opStringEquals, opStringEqualsIgnoreCase, opStringLike:
	default:
		return tUnknown
	}
	r := tFalse
	for i := range c.vals {
		if r = or3(r, prefixedMatch(pos, prefix, &c.vals[i])); r == tTrue {
			break
		}
	}
	if c.op.base.negated() {
		return r.not()
	}
	return r
}

// prefixedMatch reports whether prefix followed by any non-empty string
// matches a condition value under a positive string operator: true when
// every such string does, false when none does, unknown otherwise.
func prefixedMatch(op baseOp, prefix string, cv *cval) tri {
	if !cv.ok {
		return tFalse
	}
	t := &cv.t
	if t.hasVar {
		return tUnknown
	}
	fold := op == opStringEqualsIgnoreCase
	lit, isLit := t.literal()
	if op != opStringLike || isLit {
		if !isLit { // StringEquals compares the text as it is
			lit = cv.raw
		}
		if len(lit) > len(prefix) && hasPrefixFold(lit, prefix, fold) {
			return tUnknown // equal for one session name
		}
		return tFalse
	}
	// A pattern matches every value when, with its trailing '*' removed, it
	// matches the start of the prefix (the '*' takes the rest); none when
	// its literal head and the prefix differ.
	toks := t.toks
	if n := len(toks); n > 0 && toks[n-1].kind == gStar {
		for i := 0; i <= len(prefix); i++ {
			if globMatch(toks[:n-1], prefix[:i], false) {
				return tTrue
			}
		}
	}
	var head strings.Builder
	for _, k := range toks {
		if k.kind != gLit {
			break
		}
		head.WriteString(k.s)
	}
	if h := head.String(); !strings.HasPrefix(h, prefix) && !strings.HasPrefix(prefix, h) {
		return tFalse
	}
	return tUnknown
}

// StringValue is a condition value compiled for the string operators, to
// tell how it matches a principal's aws:userid or aws:username without a
// policy (MatchBits).
type StringValue struct {
	eq, like cval
}

// CompileStringValue compiles a condition value of a string operator.
func CompileStringValue(value string) *StringValue {
	return &StringValue{
		eq:   cval{raw: value, t: compileTmpl(value, false, true), ok: true},
		like: cval{raw: value, t: compileTmpl(value, true, true), ok: true},
	}
}

// MatchBits packs how the value matches a key's value v (prefixed: v
// followed by an unknown non-empty string, SetPrefixed) under
// StringEquals, StringEqualsIgnoreCase and StringLike, two bits each
// (false, true, unknown): keys whose bits are equal decide every string
// condition on the value alike (the other operators and policy variables
// leave them unknown either way).
func (s *StringValue) MatchBits(v string, prefixed bool) byte {
	var b byte
	for i, op := range [...]baseOp{opStringEquals, opStringEqualsIgnoreCase, opStringLike} {
		cv := &s.eq
		if op == opStringLike {
			cv = &s.like
		}
		var t tri
		switch {
		case prefixed:
			t = prefixedMatch(op, v, cv)
		case cv.t.hasVar:
			t = tUnknown
		default:
			t = triOf(cv.t.match(v, op == opStringEqualsIgnoreCase))
		}
		b |= byte(t) << (2 * i)
	}
	return b
}

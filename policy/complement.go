package policy

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// complementForm returns the canonical form of a condition atom whose
// complement is itself a condition: atoms with the same canonical operator
// and values hold in the same contexts, and one whose flip is set holds
// exactly where that canonical condition does not, whatever the context,
// the key being absent included. excl, when not "", names a group of
// conditions of which at most one holds in any context. ok is false for a
// condition that has no such form: it is then only equal to itself.
//
// The rules, from
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// (a key absent from the request makes a condition false, except the "Not"
// operators, ...IfExists and Null "true", which are true) and
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
// (ForAllValues is true and ForAnyValue false on an absent or empty key):
//
//   - plain X and NotX on the same values (String, StringIgnoreCase,
//     StringLike, Numeric and Date Equals, IpAddress, ArnEquals, ArnLike):
//     present, NotX is "no value matches", absent, X is false and NotX
//     true. NotXIfExists is NotX (IfExists only changes an absent key,
//     which NotX already makes true). Only on single-valued keys
//     (singleValuedKey): AWS documents no meaning for a plain operator on
//     several request values.
//   - ForAnyValue:X is the complement of ForAllValues:NotX, and
//     ForAllValues:X (with or without IfExists) of ForAnyValue:NotX: "some
//     value matches" against "every value fails", false against true on an
//     absent or empty key. ForAnyValue:...IfExists is true on an absent key
//     and has no complement here.
//   - Null "true" is the complement of Null "false", on any key (absent
//     or present, however many values).
//   - Bool "true" and Bool "false" exclude each other on a single-valued
//     key (both are false on an absent key: not complements).
//
// A value with a policy variable has no canonical form: an unresolvable
// variable makes both an operator and its negation false.
func complementForm(q Requirement) (op string, vals []string, flip bool, excl string, ok bool) {
	if len(q.Values) == 0 {
		return "", nil, false, "", false
	}
	for _, v := range q.Values {
		if strings.Contains(v, "${") {
			return "", nil, false, "", false
		}
	}
	info, ok := parseOperator(q.Operator)
	if !ok {
		return "", nil, false, "", false
	}
	b, pos := info.base, info.base.positive()
	switch info.set {
	case setNone:
		if b != opNull && !singleValuedKey(q.Key) {
			return "", nil, false, "", false
		}
		switch {
		case b == opNull || b == opBool:
			if len(q.Values) != 1 || info.ifExists {
				return "", nil, false, "", false
			}
			v := strings.ToLower(q.Values[0])
			if v != "true" && v != "false" {
				return "", nil, false, "", false
			}
			if b == opNull {
				return "Null", []string{"false"}, v == "true", "", true
			}
			return "Bool", []string{v}, false, strings.ToLower(q.Key) + "\x00Bool", true
		case b.negated():
			return opName(pos), sortedValues(q.Values), true, "", true
		case hasNegation(b) && !info.ifExists:
			return opName(b), sortedValues(q.Values), false, "", true
		}
	case setForAny:
		if info.ifExists {
			break
		}
		if b.negated() {
			return "ForAllValues:" + opName(pos), sortedValues(q.Values), true, "", true
		}
		if hasNegation(b) {
			return "ForAnyValue:" + opName(b), sortedValues(q.Values), false, "", true
		}
	case setForAll:
		if b.negated() {
			return "ForAnyValue:" + opName(pos), sortedValues(q.Values), true, "", true
		}
		if hasNegation(b) {
			return "ForAllValues:" + opName(b), sortedValues(q.Values), false, "", true
		}
	}
	return "", nil, false, "", false
}

// hasNegation reports whether a positive operator has a "Not" form.
func hasNegation(b baseOp) bool {
	switch b {
	case opStringEquals, opStringEqualsIgnoreCase, opStringLike, opNumericEquals, opDateEquals,
		opIPAddress, opArnEquals, opArnLike:
		return true
	}
	return false
}

// opName returns the canonical name of a base operator.
func opName(b baseOp) string {
	for i := range baseOps {
		if baseOps[i].op == b {
			return baseOps[i].name
		}
	}
	return ""
}

// sortedValues returns vals sorted without duplicates (a copy, or vals
// itself when it is already: read only): a condition's values are
// alternatives, their order does not matter.
func sortedValues(vals []string) []string {
	sorted := true
	for i := 1; i < len(vals) && sorted; i++ {
		sorted = vals[i-1] < vals[i]
	}
	if sorted {
		return vals
	}
	out := slices.Clone(vals)
	slices.Sort(out)
	return slices.Compact(out)
}

// singleValuedKey reports whether a condition key has at most one value in
// any request: the global (aws:) keys but those documented as multivalued
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
// Service keys are not assumed single-valued (some are ArrayOf...).
func singleValuedKey(key string) bool {
	for i := 0; i < len(key); i++ {
		if key[i] >= utf8.RuneSelf { // lowered as Unicode does
			return singleValuedLower(strings.ToLower(key))
		}
	}
	// ASCII: folded in place of lowered, without allocating.
	if len(key) < 4 || !strings.EqualFold(key[:4], "aws:") {
		return false
	}
	for _, k := range multivaluedGlobalKeys() {
		if strings.EqualFold(key, k) {
			return false
		}
	}
	return true
}

// singleValuedLower is singleValuedKey of a lower-case key.
func singleValuedLower(lk string) bool {
	multi := multivaluedGlobalKeys()
	return strings.HasPrefix(lk, "aws:") && !slices.Contains(multi[:], lk)
}

// multivaluedGlobalKeys are the global condition keys documented as
// multivalued, in lower case.
func multivaluedGlobalKeys() [6]string {
	return [...]string{"aws:calledvia", "aws:principalorgpaths", "aws:principalservicenameslist",
		"aws:resourceorgpaths", "aws:sourceorgpaths", "aws:tagkeys"}
}

// condID is the id of a condition atom: its key (lower case), operator and
// values, separated by NUL bytes.
func condID(key, op string, vals []string) string {
	n := len(key) + 1 + len(op) + 1
	for _, v := range vals {
		n += len(v) + 1
	}
	var b strings.Builder
	b.Grow(n)
	lowerInto(&b, key)
	b.WriteByte(0)
	b.WriteString(op)
	b.WriteByte(0)
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(0)
		}
		b.WriteString(v)
	}
	return b.String()
}

// Literal returns the identity under which the engine compares a
// requirement of a Conditional result (Result.Alternatives) with others:
// two requirements with the same id and neg hold in the same contexts; with
// the same id and different neg, exactly one of the two holds in any
// context (the complements of complementForm); and two with neg false and
// the same non-empty excl but different ids never hold together. Other
// requirements are only equal to themselves. The rules are complementForm's.
func (q Requirement) Literal() (id string, neg bool, excl string) {
	a := atom{req: q}
	k := a.literal(q.Negated)
	return k.id, k.neg, a.excl
}

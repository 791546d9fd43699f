package policy

import "strings"

// baseOp is a condition operator without its set prefix and IfExists suffix.
type baseOp uint8

const (
	opStringEquals baseOp = iota
	opStringNotEquals
	opStringEqualsIgnoreCase
	opStringNotEqualsIgnoreCase
	opStringLike
	opStringNotLike
	opNumericEquals
	opNumericNotEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateNotEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opBinaryEquals
	opIPAddress
	opNotIPAddress
	opArnEquals
	opArnLike
	opArnNotEquals
	opArnNotLike
	opNull
)

// baseOps lists every operator by its canonical name.
var baseOps = [...]struct {
	name string
	op   baseOp
}{
	{"StringEquals", opStringEquals},
	{"StringNotEquals", opStringNotEquals},
	{"StringEqualsIgnoreCase", opStringEqualsIgnoreCase},
	{"StringNotEqualsIgnoreCase", opStringNotEqualsIgnoreCase},
	{"StringLike", opStringLike},
	{"StringNotLike", opStringNotLike},
	{"NumericEquals", opNumericEquals},
	{"NumericNotEquals", opNumericNotEquals},
	{"NumericLessThan", opNumericLessThan},
	{"NumericLessThanEquals", opNumericLessThanEquals},
	{"NumericGreaterThan", opNumericGreaterThan},
	{"NumericGreaterThanEquals", opNumericGreaterThanEquals},
	{"DateEquals", opDateEquals},
	{"DateNotEquals", opDateNotEquals},
	{"DateLessThan", opDateLessThan},
	{"DateLessThanEquals", opDateLessThanEquals},
	{"DateGreaterThan", opDateGreaterThan},
	{"DateGreaterThanEquals", opDateGreaterThanEquals},
	{"Bool", opBool},
	{"BinaryEquals", opBinaryEquals},
	{"IpAddress", opIPAddress},
	{"NotIpAddress", opNotIPAddress},
	{"ArnEquals", opArnEquals},
	{"ArnLike", opArnLike},
	{"ArnNotEquals", opArnNotEquals},
	{"ArnNotLike", opArnNotLike},
	{"Null", opNull},
}

// setMode is the multi-valued prefix of an operator.
type setMode uint8

const (
	setNone setMode = iota
	setForAll
	setForAny
)

// opInfo is a parsed condition operator.
type opInfo struct {
	base     baseOp
	set      setMode
	ifExists bool
	name     string // canonical spelling, e.g. "ForAnyValue:StringLikeIfExists"
}

// parseOperator parses a condition operator. Names are matched
// case-insensitively (AWS accepts e.g. "ForAnyValue:Stringlike");
// info.name is the canonical spelling.
func parseOperator(s string) (opInfo, bool) {
	var info opInfo
	rest := s
	prefix := ""
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		switch strings.ToLower(rest[:i]) {
		case "forallvalues":
			info.set, prefix = setForAll, "ForAllValues:"
		case "foranyvalue":
			info.set, prefix = setForAny, "ForAnyValue:"
		default:
			return info, false
		}
		rest = rest[i+1:]
	}
	suffix := ""
	if len(rest) > len("IfExists") && strings.EqualFold(rest[len(rest)-len("IfExists"):], "IfExists") {
		info.ifExists, suffix = true, "IfExists"
		rest = rest[:len(rest)-len("IfExists")]
	}
	k := -1
	for i := range baseOps {
		if baseOps[i].name == rest { // the usual spelling: no case folding
			k = i
			break
		}
	}
	for i := 0; k < 0 && i < len(baseOps); i++ {
		if strings.EqualFold(baseOps[i].name, rest) {
			k = i
		}
	}
	if k < 0 {
		return info, false
	}
	b := baseOps[k]
	if b.op == opNull && (info.ifExists || info.set != setNone) {
		return info, false
	}
	info.base = b.op
	info.name = prefix + b.name + suffix
	return info, true
}

// IsStringOrNull reports whether op is a valid condition operator on
// strings (StringEquals, StringNotEquals, their IgnoreCase forms,
// StringLike, StringNotLike; with a set prefix or IfExists) or Null.
func IsStringOrNull(op string) bool {
	info, ok := parseOperator(op)
	return ok && (info.base <= opStringNotLike || info.base == opNull)
}

// negated reports whether the operator is a "Not" operator: true when the
// key is absent, and the negation of its positive form otherwise.
func (b baseOp) negated() bool {
	switch b {
	case opStringNotEquals, opStringNotEqualsIgnoreCase, opStringNotLike, opNumericNotEquals,
		opDateNotEquals, opNotIPAddress, opArnNotEquals, opArnNotLike:
		return true
	}
	return false
}

// positive returns the positive form of a negated operator.
func (b baseOp) positive() baseOp {
	switch b {
	case opStringNotEquals:
		return opStringEquals
	case opStringNotEqualsIgnoreCase:
		return opStringEqualsIgnoreCase
	case opStringNotLike:
		return opStringLike
	case opNumericNotEquals:
		return opNumericEquals
	case opDateNotEquals:
		return opDateEquals
	case opNotIPAddress:
		return opIPAddress
	case opArnNotEquals:
		return opArnEquals
	case opArnNotLike:
		return opArnLike
	}
	return b
}

// takesVariables reports whether policy variables are substituted in the
// operator's values: string, ARN and Bool operators ("You can use a policy
// variable with the Boolean condition operator",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
func (b baseOp) takesVariables() bool {
	switch b.positive() {
	case opStringEquals, opStringEqualsIgnoreCase, opStringLike, opArnEquals, opArnLike, opBool:
		return true
	}
	return false
}

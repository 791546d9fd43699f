package access

import (
	"fmt"
	"strings"

	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/policy"
)

// maxKeyPatterns bounds the object-key patterns evaluated per bucket.
const maxKeyPatterns = 8

// keyPatterns returns the object-key patterns narrower than "*" that the
// bucket policy's statements name for this bucket ("public/*",
// "incoming/*.csv"): a grant or deny on them applies to some keys only.
func (bl *BucketLayers) keyPatterns() []string {
	if bl.Policy == nil || bl.Policy.IsUnreadable() {
		return nil
	}
	var out []string
	for i := range bl.Policy.Statements {
		s := &bl.Policy.Statements[i]
		for _, list := range [][]string{s.Resource, s.NotResource} {
			for _, r := range list {
				// r starts with the bucket's ARN and "/" (not concatenated:
				// this runs for every object action decided).
				p, ok := strings.CutPrefix(r, bl.ARN)
				if !ok || !strings.HasPrefix(p, "/") {
					continue
				}
				p = p[1:]
				if p == "*" || p == "" || strings.Contains(p, "${") {
					continue
				}
				out = addConds(out, p)
			}
		}
	}
	if len(out) > maxKeyPatterns {
		out = out[:maxKeyPatterns]
	}
	return out
}

// exampleKey returns a key that pattern p matches and the generic "any
// key" does not: wildcards replaced by a letter.
func exampleKey(p string) string {
	return strings.NewReplacer("*", "x", "?", "x").Replace(p)
}

// decideKeys decides an object action for "any key" and, where the bucket
// policy names narrower key patterns, for a key of each pattern: when they
// differ, the cell depends on the object key and is conditional on it.
func (bl *BucketLayers) decideKeys(c *Caller, action string) outcome {
	g := bl.decideS3(c, action, "")
	if !objectAction(action) || g.verdict == model.VerdictUnknown {
		return g
	}
	type part struct {
		pattern string
		o       outcome
	}
	var diff []part
	for _, p := range bl.keyPatterns() {
		o := bl.decideS3(c, action, exampleKey(p))
		if o.verdict == g.verdict && o.alts.String() == g.alts.String() {
			if o.verdict == model.VerdictDeny && ((o.bpaBlocked && !g.bpaBlocked) || (o.orgBlocked != "" && g.orgBlocked == "")) {
				// Denied either way, but for these keys by a layer that voids a
				// grant: say so (findings rely on it).
				g.layers |= o.layers
				g.bpaBlocked = g.bpaBlocked || o.bpaBlocked
				if g.orgBlocked == "" {
					g.orgBlocked, g.orgBlockedBy = o.orgBlocked, o.orgBlockedBy
				}
				g.reason += fmt.Sprintf("; keys like %q: %s", p, o.reason)
			}
			continue
		}
		if o.verdict == model.VerdictUnknown {
			return o
		}
		diff = append(diff, part{p, o})
	}
	if len(diff) == 0 {
		return g
	}
	out := outcome{layers: g.layers, acctSpecific: g.acctSpecific, refs: g.refs,
		bpaBlocked: g.bpaBlocked, orgBlocked: g.orgBlocked, orgBlockedBy: g.orgBlockedBy}
	var reasons []string
	if isOpen(g) {
		generic := g.alts
		if len(generic) == 0 {
			generic = dnf{{}}
		}
		var not []cond
		for _, d := range diff {
			not = append(not, textCond(fmt.Sprintf("object key not like %q", d.pattern)))
		}
		// No condition of the engine's excludes those access makes: and
		// keeps every alternative (one it dropped would add none).
		alts, _ := generic.and(dnf{not})
		out.alts = out.alts.or(alts)
	}
	reasons = append(reasons, "other keys: "+g.reason)
	for _, d := range diff {
		out.layers |= d.o.layers
		out.refs = append(append([]policy.StatementRef(nil), out.refs...), d.o.refs...)
		out.acctSpecific = out.acctSpecific || d.o.acctSpecific
		out.bpaBlocked = out.bpaBlocked || d.o.bpaBlocked
		if out.orgBlocked == "" {
			out.orgBlocked, out.orgBlockedBy = d.o.orgBlocked, d.o.orgBlockedBy
		}
		if isOpen(d.o) {
			alts := d.o.alts
			if len(alts) == 0 {
				alts = dnf{{}}
			}
			alts, _ = alts.and(dnf{{textCond(fmt.Sprintf("object key like %q", d.pattern))}})
			out.alts = out.alts.or(alts)
		}
		reasons = append(reasons, fmt.Sprintf("keys like %q: %s", d.pattern, d.o.reason))
	}
	if len(out.alts) > 0 {
		out.verdict = model.VerdictConditional
	} else {
		out.verdict = model.VerdictDeny
	}
	out.reason = fmt.Sprintf("%s for %s depends on the object key: %s", action, c.who(), strings.Join(reasons, "; "))
	return out
}

package node

import (
	"fmt"
	"strconv"
	"strings"
)

// This file reads package.json's engines.node exactly as npm's semver does for released versions:
// comparator sets joined by ||, each comparator an interval, a set their intersection. Prereleases
// are refused rather than guessed at: no Node.js image is a prerelease.

// semver is a released version, major.minor.patch.
type semver [3]int

func (a semver) less(b semver) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// interval is the versions from lo (inclusive) up to hi, which hiIncl says is in it; no hi is no upper
// bound. Versions are whole numbers, so a lower bound ">1.2.3" is written as lo 1.2.4.
type interval struct {
	lo     semver
	hi     semver
	hasHi  bool
	hiIncl bool
	empty  bool
}

var anyVersion = interval{}

// intersect is the versions in both.
func (a interval) intersect(b interval) interval {
	out := interval{lo: a.lo, hi: a.hi, hasHi: a.hasHi, hiIncl: a.hiIncl, empty: a.empty || b.empty}
	if out.lo.less(b.lo) {
		out.lo = b.lo
	}
	switch {
	case !b.hasHi:
	case !out.hasHi || b.hi.less(out.hi):
		out.hi, out.hasHi, out.hiIncl = b.hi, true, b.hiIncl
	case b.hi == out.hi:
		out.hiIncl = out.hiIncl && b.hiIncl
	}
	if out.hasHi && (out.hi.less(out.lo) || out.hi == out.lo && !out.hiIncl) {
		out.empty = true
	}
	return out
}

// rangeError is a problem in a range, at a byte offset of it.
type rangeError struct {
	offset int
	msg    string
}

func (e *rangeError) Error() string { return fmt.Sprintf("at character %d, %s", e.offset+1, e.msg) }

// nodeRange is a parsed engines.node: the union of its sets.
type nodeRange []interval

// allowsMajor says whether some M.x.y is in the range.
func (r nodeRange) allowsMajor(m int) bool {
	major := interval{lo: semver{m, 0, 0}, hi: semver{m + 1, 0, 0}, hasHi: true}
	for _, set := range r {
		if !set.intersect(major).empty {
			return true
		}
	}
	return false
}

// parseNodeRange reads a range such as ">=18", "^22.5 || 24.x" or "20 - 24".
func parseNodeRange(r string) (nodeRange, error) {
	var out nodeRange
	start := 0
	for {
		end := strings.Index(r[start:], "||")
		part := r[start:]
		if end >= 0 {
			part = r[start : start+end]
		}
		set, err := parseComparatorSet(part, start)
		if err != nil {
			return nil, err
		}
		out = append(out, set)
		if end < 0 {
			return out, nil
		}
		start += end + 2
	}
}

// token is one word of a comparator set and where it starts in the whole range.
type token struct {
	text   string
	offset int
}

// rangeOperators are the comparator prefixes, longest first so ">=" is not read as ">".
var rangeOperators = []string{">=", "<=", "~>", ">", "<", "=", "~", "^"}

// parseComparatorSet intersects a set's comparators; an empty set is any version.
func parseComparatorSet(s string, offset int) (interval, error) {
	var toks []token
	for i := 0; i < len(s); {
		if s[i] == ' ' || s[i] == '\t' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] != ' ' && s[j] != '\t' {
			j++
		}
		toks = append(toks, token{s[i:j], offset + i})
		i = j
	}
	// An operator may stand apart from its version: ">= 18".
	for i := 0; i+1 < len(toks); i++ {
		for _, op := range rangeOperators {
			if toks[i].text == op {
				toks[i].text += toks[i+1].text
				toks = append(toks[:i+1], toks[i+2:]...)
				break
			}
		}
	}
	set := anyVersion
	for i := 0; i < len(toks); i++ {
		var iv interval
		var err error
		if i+2 < len(toks) && toks[i+1].text == "-" {
			iv, err = hyphenRange(toks[i], toks[i+2])
			i += 2
		} else {
			iv, err = comparator(toks[i])
		}
		if err != nil {
			return interval{}, err
		}
		set = set.intersect(iv)
	}
	return set, nil
}

// partial is a version with n of its parts given (1.2 has n 2; *, x and X give none).
type partial struct {
	v semver
	n int
}

// parsePartial reads 1, 1.2, 1.2.3, 1.x, 1.2.*, * (with an optional v prefix).
func parsePartial(t token) (partial, error) {
	text := strings.TrimPrefix(strings.TrimPrefix(t.text, "v"), "V")
	if i := strings.IndexAny(text, "-+"); i > 0 {
		return partial{}, &rangeError{t.offset + len(t.text) - len(text) + i, fmt.Sprintf("%q has a prerelease or build suffix, which no Node.js image is", t.text)}
	}
	if text == "" {
		return partial{}, &rangeError{t.offset, fmt.Sprintf("%q is not a version", t.text)}
	}
	var p partial
	wild := false
	for i, part := range strings.Split(text, ".") {
		if i == 3 {
			return partial{}, &rangeError{t.offset, fmt.Sprintf("%q has more than three parts", t.text)}
		}
		if part == "x" || part == "X" || part == "*" {
			wild = true
			continue
		}
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 || wild || strings.HasPrefix(part, "+") {
			return partial{}, &rangeError{t.offset, fmt.Sprintf("%q is not a version", t.text)}
		}
		p.v[i], p.n = n, i+1
	}
	return p, nil
}

// next is the first version past the partial's own: 1.2 gives 1.3.0, 1.2.3 gives 1.2.4.
func (p partial) next() semver {
	v := p.v
	v[p.n-1]++
	for i := p.n; i < 3; i++ {
		v[i] = 0
	}
	return v
}

// comparator is one operator and version as an interval.
func comparator(t token) (interval, error) {
	op := ""
	for _, o := range rangeOperators {
		if strings.HasPrefix(t.text, o) {
			op = o
			break
		}
	}
	rest := strings.TrimPrefix(t.text, op)
	if rest == "" && op == "" {
		return anyVersion, nil
	}
	if rest == "" {
		return interval{}, &rangeError{t.offset, fmt.Sprintf("%q has no version after %s", t.text, op)}
	}
	p, err := parsePartial(token{rest, t.offset + len(op)})
	if err != nil {
		return interval{}, err
	}
	if p.n == 0 { // *, with any operator but < and >, is every version
		return interval{empty: op == "<" || op == ">"}, nil
	}
	upTo := func(v semver, incl bool) interval { return interval{hi: v, hasHi: true, hiIncl: incl} }
	switch op {
	case "", "=":
		if p.n == 3 {
			return interval{lo: p.v, hi: p.v, hasHi: true, hiIncl: true}, nil
		}
		return interval{lo: p.v, hi: p.next(), hasHi: true}, nil
	case ">":
		return interval{lo: p.next()}, nil
	case ">=":
		return interval{lo: p.v}, nil
	case "<":
		return upTo(p.v, false), nil
	case "<=":
		if p.n == 3 {
			return upTo(p.v, true), nil
		}
		return upTo(p.next(), false), nil
	case "~", "~>":
		return interval{lo: p.v, hi: partial{p.v, min(p.n, 2)}.next(), hasHi: true}, nil
	}
	// ^: the first nonzero part given stays; with only zeros given, the last one given does.
	keep := p.n
	for i := 0; i < p.n; i++ {
		if p.v[i] != 0 {
			keep = i + 1
			break
		}
	}
	return interval{lo: p.v, hi: partial{p.v, keep}.next(), hasHi: true}, nil
}

// hyphenRange is "A - B": from A (its missing parts zero) through B (all of B's partial).
func hyphenRange(a, b token) (interval, error) {
	lo, err := parsePartial(a)
	if err != nil {
		return interval{}, err
	}
	hi, err := parsePartial(b)
	if err != nil {
		return interval{}, err
	}
	out := interval{lo: lo.v}
	switch {
	case hi.n == 3:
		out.hi, out.hasHi, out.hiIncl = hi.v, true, true
	case hi.n > 0:
		out.hi, out.hasHi = hi.next(), true
	}
	return out.intersect(anyVersion), nil
}

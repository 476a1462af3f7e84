package audit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// maxIgnoreFile bounds an ignore file.
const maxIgnoreFile = 1 << 20

// Waiver accepts a check's finding, for a reason, optionally only for some paths and only
// until a date.
type Waiver struct {
	// ID is the check's id or catalogue number.
	ID string
	// Path is a glob over the evidence's path (or config field, for evidence without a path):
	// * matches within one path segment, ** across segments; empty waives the whole check.
	Path   string
	Reason string
	// Expires is the last day the waiver holds (UTC); zero for never.
	Expires time.Time
	// Source is FILE:LINE of the waiver, for messages.
	Source string

	match *regexp.Regexp
}

// Waiver states in a report.
const (
	WaiverApplied = "applied"
	WaiverUnused  = "unused"
	WaiverExpired = "expired"
)

// WaiverStatus says what became of a waiver in a report.
type WaiverStatus struct {
	ID      string `json:"id"`
	Path    string `json:"path,omitempty"`
	Reason  string `json:"reason"`
	Expires string `json:"expires,omitempty"`
	Source  string `json:"source"`
	Status  string `json:"status"`
	// Covered counts the evidence the waiver covered.
	Covered int `json:"covered"`
}

// Ignore is an ignore file: waivers of checks' findings, and VEX statements about
// vulnerabilities (vex.go).
type Ignore struct {
	Waivers         []Waiver
	Vulnerabilities []VulnStatement
}

// ParseWaivers reads an ignore file's waivers (ParseIgnore reads the whole file).
func ParseWaivers(name string, data []byte) ([]Waiver, error) {
	ig, err := ParseIgnore(name, data)
	if err != nil {
		return nil, err
	}
	return ig.Waivers, nil
}

// ParseIgnore reads an ignore file:
//
//	waivers:
//	  - id: HX-MIN-SHELL
//	    path: /busybox/**
//	    reason: the debug variant ships busybox on purpose
//	    expires: 2026-12-31
//	vulnerabilities:
//	  - id: CVE-2024-1234
//	    package: libexpat1
//	    justification: vulnerable_code_not_in_execute_path
//	    reason: the app never parses XML
//	    expires: 2026-12-31
//
// It reports every problem at once, each as FILE:LINE:COL: message.
func ParseIgnore(name string, data []byte) (*Ignore, error) {
	if len(data) > maxIgnoreFile {
		return nil, fmt.Errorf("%s: the ignore file is over the %d byte limit", name, maxIgnoreFile)
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &Ignore{}, nil
		}
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	var errs []error
	problem := func(n *yaml.Node, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s:%d:%d: %s", name, n.Line, n.Column, fmt.Sprintf(format, args...)))
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		problem(root, "the ignore file must be a mapping with a waivers: list, a vulnerabilities: list, or both")
		return nil, errors.Join(errs...)
	}
	ig := &Ignore{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch {
		case k.Value != "waivers" && k.Value != "vulnerabilities":
			problem(k, "unknown field %q; the ignore file has waivers and vulnerabilities", k.Value)
		case v.Kind != yaml.SequenceNode:
			problem(v, "%s must be a list", k.Value)
		case k.Value == "waivers":
			for j, item := range v.Content {
				ig.Waivers = append(ig.Waivers, parseWaiver(name, item, fmt.Sprintf("waivers[%d]", j), problem))
			}
		default:
			for j, item := range v.Content {
				ig.Vulnerabilities = append(ig.Vulnerabilities, parseVulnStatement(name, item, fmt.Sprintf("vulnerabilities[%d]", j), problem))
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return ig, nil
}

// parseWaiver reads one waivers entry, reporting its problems.
func parseWaiver(name string, item *yaml.Node, field string, problem func(*yaml.Node, string, ...any)) Waiver {
	w := Waiver{Source: fmt.Sprintf("%s:%d", name, item.Line)}
	if item.Kind != yaml.MappingNode {
		problem(item, "%s: want a mapping with id, reason and optionally path and expires", field)
		return w
	}
	seen := map[string]bool{}
	for j := 0; j+1 < len(item.Content); j += 2 {
		k, v := item.Content[j], item.Content[j+1]
		if v.Kind != yaml.ScalarNode {
			problem(v, "%s.%s: want a string", field, k.Value)
			continue
		}
		seen[k.Value] = true
		switch k.Value {
		case "id":
			c, ok := LookupCheck(v.Value)
			if !ok {
				problem(v, "%s.id: unknown check %q", field, v.Value)
				continue
			}
			w.ID = c.ID
		case "path":
			w.Path = v.Value
		case "reason":
			w.Reason = strings.TrimSpace(v.Value)
			if w.Reason == "" {
				problem(v, "%s.reason: a waiver needs a reason", field)
			}
		case "expires":
			w.Expires = parseExpiry(v, field, problem)
		default:
			problem(k, "%s: unknown field %q; a waiver has id, path, reason and expires", field, k.Value)
		}
	}
	if !seen["id"] {
		problem(item, "%s: a waiver needs the id of the check it waives", field)
	}
	if !seen["reason"] {
		problem(item, "%s: a waiver needs a reason", field)
	}
	w.match = compileGlob(w.Path)
	return w
}

// parseExpiry reads an expires date, zero (and a problem) when it is not YYYY-MM-DD.
func parseExpiry(v *yaml.Node, field string, problem func(*yaml.Node, string, ...any)) time.Time {
	t, err := time.Parse(time.DateOnly, v.Value)
	if err != nil {
		problem(v, "%s.expires: want a date YYYY-MM-DD, got %q", field, v.Value)
	}
	return t
}

// expired says whether the waiver's last day is before now's day (UTC).
func (w Waiver) expired(now time.Time) bool {
	return !w.Expires.IsZero() && now.UTC().After(w.Expires.Add(24*time.Hour-time.Nanosecond))
}

func (w Waiver) covers(ev Evidence) bool {
	if w.Path == "" {
		return true
	}
	m := w.match
	if m == nil {
		m = compileGlob(w.Path)
	}
	if ev.Path != "" {
		return m.MatchString(ev.Path) || m.MatchString(strings.TrimPrefix(ev.Path, "/"))
	}
	return m.MatchString(ev.Field)
}

func (w Waiver) ref() *WaiverRef {
	r := &WaiverRef{Reason: w.Reason, Source: w.Source}
	if !w.Expires.IsZero() {
		r.Expires = w.Expires.Format(time.DateOnly)
	}
	return r
}

// applyWaivers moves covered evidence of failing results to Waived, and reports what each
// waiver did. An expired waiver covers nothing.
func applyWaivers(results []Result, ws []Waiver, now time.Time) []WaiverStatus {
	var out []WaiverStatus
	for _, w := range ws {
		st := WaiverStatus{ID: w.ID, Path: w.Path, Reason: w.Reason, Source: w.Source, Status: WaiverUnused}
		if !w.Expires.IsZero() {
			st.Expires = w.Expires.Format(time.DateOnly)
		}
		if w.expired(now) {
			st.Status = WaiverExpired
			out = append(out, st)
			continue
		}
		for i := range results {
			r := &results[i]
			if r.ID != w.ID || r.Status != StatusFail {
				continue
			}
			var keep []Evidence
			for _, ev := range r.Evidence {
				if w.covers(ev) {
					ev.Waiver = w.ref()
					r.Waived = append(r.Waived, ev)
					st.Covered++
					continue
				}
				keep = append(keep, ev)
			}
			r.Evidence = keep
			if len(keep) == 0 {
				r.Status = StatusWaived
			}
		}
		if st.Covered > 0 {
			st.Status = WaiverApplied
		}
		out = append(out, st)
	}
	return out
}

// compileGlob turns a waiver's path glob into a regexp: * stays in a segment, ** crosses them,
// everything else is literal.
func compileGlob(glob string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(glob); i++ {
		switch {
		case strings.HasPrefix(glob[i:], "/**/"):
			b.WriteString("(?:/.*)?/")
			i += 3
		case strings.HasPrefix(glob[i:], "**"):
			b.WriteString(".*")
			i++
		case glob[i] == '*':
			b.WriteString("[^/]*")
		default:
			b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

package sign

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hardenedbuild/hardened/audit"
)

// PlatformReport is one platform image's check report statement, as signed.
type PlatformReport struct {
	Platform, Digest string
	Statement        []byte
}

// IndexPlatform names, in the index's report, the platform report it was derived from.
type IndexPlatform struct {
	Platform string `json:"platform"`
	Digest   string `json:"digest"`
	// Report is the SHA-256 of the platform's check report statement.
	Report string `json:"report"`
}

// indexReport is the check report attested on an index: a report in the platform reports'
// own shape, so the same admission policy reads it, derived from them and naming them.
type indexReport struct {
	audit.Report
	Platforms []IndexPlatform `json:"platforms"`
}

// statusRank orders a check's statuses from best to worst; the index's status for a check is
// its worst on any platform, and a check a platform did not run counts as skipped there.
var statusRank = map[audit.Status]int{audit.StatusPass: 0, audit.StatusSkip: 1, audit.StatusWaived: 2, audit.StatusFail: 3}

// IndexReportStatement derives the check report attested on the index repo@indexDigest from
// its platform images' signed reports: its gate passes only when every platform's did, each
// check's status is its worst on any platform, the waivers are all of theirs, validUntil the
// earliest. It depends on nothing else, so verify derives it again and compares bytes.
func IndexReportStatement(repo, indexDigest string, platforms []PlatformReport) ([]byte, error) {
	if len(platforms) == 0 {
		return nil, fmt.Errorf("no platform report to derive the index's from")
	}
	out := indexReport{Report: audit.Report{Image: audit.ImageInfo{Name: repo, Digest: indexDigest}, Gate: audit.Gate{Passed: true}}}
	var failOn []string
	m := &merged{byID: map[string]*mergedResult{}}
	seenWaiver := map[audit.WaiverStatus]bool{}
	for i, pr := range platforms {
		r, err := platformReport(pr)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			out.SchemaVersion, out.PredicateType, out.Tool = r.SchemaVersion, r.PredicateType, r.Tool
		}
		if r.Date.After(out.Date) {
			out.Date = r.Date
		}
		if !contains(failOn, r.Gate.FailOn) {
			failOn = append(failOn, r.Gate.FailOn)
		}
		out.Gate.Passed = out.Gate.Passed && r.Gate.Passed
		for _, reason := range r.Gate.Reasons {
			out.Gate.Reasons = append(out.Gate.Reasons, orAny(pr.Platform)+": "+reason)
		}
		m.add(r.Results, orAny(pr.Platform))
		for _, w := range r.Waivers {
			if !seenWaiver[w] {
				seenWaiver[w] = true
				out.Waivers = append(out.Waivers, w)
			}
		}
		if r.ValidUntil != nil && (out.ValidUntil == nil || r.ValidUntil.Before(*out.ValidUntil)) {
			t := *r.ValidUntil
			out.ValidUntil = &t
		}
		out.Platforms = append(out.Platforms, IndexPlatform{Platform: pr.Platform, Digest: pr.Digest,
			Report: fmt.Sprintf("sha256:%x", sha256.Sum256(pr.Statement))})
	}
	out.Gate.FailOn = strings.Join(failOn, ",")
	out.Results = m.results(len(platforms))
	out.Summary = summary(out.Results)
	pred, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return Statement(repo, indexDigest, audit.PredicateType, pred), nil
}

func platformReport(pr PlatformReport) (*audit.Report, error) {
	var st statement
	if err := json.Unmarshal(pr.Statement, &st); err != nil {
		return nil, fmt.Errorf("image %s: the check report statement: %v", pr.Digest, err)
	}
	var r audit.Report
	if err := json.Unmarshal(st.Predicate, &r); err != nil {
		return nil, fmt.Errorf("image %s: the check report predicate: %v", pr.Digest, err)
	}
	return &r, nil
}

// merged is the index's results as the platforms' are folded in, in the order first seen.
type merged struct {
	order []string
	byID  map[string]*mergedResult
}

type mergedResult struct {
	res      audit.Result
	ran      int
	messages []string
}

// add folds one platform's results in, keeping each check's worst status and every platform's message.
func (m *merged) add(rs []audit.Result, platform string) {
	for _, r := range rs {
		mr := m.byID[r.ID]
		if mr == nil {
			mr = &mergedResult{res: audit.Result{Check: r.Check, Status: r.Status}}
			m.byID[r.ID] = mr
			m.order = append(m.order, r.ID)
		}
		mr.res.Status = worst(mr.res.Status, r.Status)
		mr.ran++
		mr.messages = append(mr.messages, platform+": "+r.Message)
	}
}

// results are the folded results; a check some platform did not run is at best skipped.
func (m *merged) results(platforms int) []audit.Result {
	out := []audit.Result{}
	for _, id := range m.order {
		mr := m.byID[id]
		if mr.ran < platforms {
			mr.res.Status = worst(mr.res.Status, audit.StatusSkip)
		}
		mr.res.Message = strings.Join(mr.messages, "; ")
		out = append(out, mr.res)
	}
	return out
}

func worst(a, b audit.Status) audit.Status {
	if statusRank[b] > statusRank[a] {
		return b
	}
	return a
}

// summary counts the index's results as the check report counts its own.
func summary(rs []audit.Result) audit.Summary {
	s := audit.Summary{Checks: len(rs)}
	for _, r := range rs {
		switch r.Status {
		case audit.StatusPass:
			s.Passed++
		case audit.StatusFail:
			s.Failed++
			*[...]*int{&s.Failing.Info, &s.Failing.Low, &s.Failing.Medium, &s.Failing.High}[r.Severity]++
		case audit.StatusSkip:
			s.Skipped++
		case audit.StatusWaived:
			s.Waived++
		}
	}
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// platformReports lists each platform image's check report, in the index's order; ok is false
// when a platform image has none (no index report can then be derived).
func (p *Plan) platformReports(signed map[string][]byte) ([]PlatformReport, bool) {
	var out []PlatformReport
	for _, s := range p.Subjects {
		if s.Kind != kindImage {
			continue
		}
		stmt := signed[s.Digest]
		if stmt == nil {
			return nil, false
		}
		out = append(out, PlatformReport{Platform: s.Platform, Digest: s.Digest, Statement: stmt})
	}
	return out, len(out) > 0
}

// addIndexReport adds the index's derived check report to what is signed, when the image is an
// index and every platform image carries a report: admission controllers resolve a tag to the
// index digest and look for the attestation there.
func (p *Plan) addIndexReport() error {
	if len(p.Subjects) == 0 || p.Subjects[0].Kind != kindIndex {
		return nil
	}
	reports := map[string][]byte{}
	for _, a := range p.Attestations {
		if a.PredicateType == PredicateCheckReport && reports[a.Subject] == nil {
			reports[a.Subject] = a.Statement
		}
	}
	prs, ok := p.platformReports(reports)
	if !ok {
		return nil
	}
	stmt, err := IndexReportStatement(p.Repo.Name(), p.Digest, prs)
	if err != nil {
		return fmt.Errorf("%s@%s: %w; nothing was signed", p.Name, p.Digest, err)
	}
	p.Attestations = append(p.Attestations, Attestation{Subject: p.Digest, Layer: fmt.Sprintf("sha256:%x", sha256.Sum256(stmt)),
		PredicateType: PredicateCheckReport, Statement: stmt})
	return nil
}

package sign

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hardenedbuild/hardened/audit"
)

// Report parses a signed check report statement and holds it to today: the gate it recorded,
// each waiver's expiry and validUntil. Problems are returned with the report.
func Report(stmt []byte, now time.Time) (*audit.Report, []string, error) {
	var st statement
	if err := json.Unmarshal(stmt, &st); err != nil {
		return nil, nil, err
	}
	var r audit.Report
	if err := json.Unmarshal(st.Predicate, &r); err != nil {
		return nil, nil, fmt.Errorf("the check report predicate: %v", err)
	}
	var problems []string
	if !r.Gate.Passed {
		problems = append(problems, fmt.Sprintf("the report's gate failed (--fail-on %s): %s", r.Gate.FailOn, strings.Join(r.Gate.Reasons, "; ")))
	}
	today := now.UTC().Truncate(24 * time.Hour)
	for _, w := range r.Waivers {
		day, err := time.Parse(time.DateOnly, w.Expires)
		if err == nil && today.After(day) {
			problems = append(problems, fmt.Sprintf("the waiver of %s (%s, %s) expired on %s; fix the finding and rebuild, or renew the waiver", w.ID, w.Reason, w.Source, w.Expires))
		}
	}
	if r.ValidUntil != nil && !now.Before(*r.ValidUntil) {
		problems = append(problems, fmt.Sprintf("the report was valid until %s", r.ValidUntil.Format(time.RFC3339)))
	}
	return &r, problems, nil
}

// Differences compares a signed report with a fresh one of the same image, check by check;
// a waived finding counts as failing, since waivers are the build's, and skipped checks are
// left out (a build cannot run some that an image read can, and the other way round).
func Differences(signed, fresh *audit.Report) []string {
	norm := func(s audit.Status) audit.Status {
		if s == audit.StatusWaived {
			return audit.StatusFail
		}
		return s
	}
	now := map[string]audit.Status{}
	for _, r := range fresh.Results {
		now[r.ID] = norm(r.Status)
	}
	var out []string
	for _, r := range signed.Results {
		got, ok := now[r.ID]
		if !ok || r.Status == audit.StatusSkip || got == audit.StatusSkip || norm(r.Status) == got {
			continue
		}
		out = append(out, fmt.Sprintf("%s: signed %s, now %s", r.ID, r.Status, got))
	}
	return out
}

// Gate holds a signed report to failOn again: a build signs its report without a gate (failOn
// none, since the build itself refuses what it must), so the verifier's severity decides.
func Gate(r *audit.Report, failOn audit.Severity) []string {
	var ids []string
	for _, res := range r.Results {
		if res.Status == audit.StatusFail && res.Severity >= failOn {
			ids = append(ids, fmt.Sprintf("%s (%s)", res.ID, res.Severity))
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("the signed report has checks failing at or above %s: %s; fix them and rebuild, or pass --fail-on with a higher severity or none",
		failOn, strings.Join(ids, ", "))}
}

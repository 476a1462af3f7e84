package audit

import (
	"encoding/json"
	"fmt"
	"time"
)

// RunTestID is the check of the build's own test of the image (the spec's test:).
const RunTestID = "HX-RUN-TEST"

// RunTest is what the build's test of the image found, as the report the build attaches records it.
type RunTest struct {
	Ran     string `json:"ran"`
	Passed  bool   `json:"passed"`
	Millis  int64  `json:"millis"`
	Problem string `json:"problem,omitempty"`
	// attested says Ran is the message of a report attached to the image, shown as it was written.
	attested bool
}

// WithRunTest records the build's test in the report.
func WithRunTest(rt *RunTest) Option { return func(o *options) { o.runTest = rt } }

// checkRunTest reports the build's test: from the build itself, or from the check report attached to
// the image; an image without one was not tested, which is no finding.
func checkRunTest(f *facts) outcome {
	rt := f.opts.runTest
	if rt == nil {
		rt = f.t.Attestations.RunTest
	}
	if rt == nil {
		return skipped("not run: no test: in the spec, or no check report attached to the image by a hardened build")
	}
	if rt.attested {
		if !rt.Passed {
			return failed([]Evidence{{Field: "test", Detail: rt.Problem}}, "%s (from the check report the build attached)", rt.Ran)
		}
		return pass("%s (from the check report the build attached)", rt.Ran)
	}
	took := (time.Duration(rt.Millis) * time.Millisecond).Round(10 * time.Millisecond)
	if !rt.Passed {
		return failed([]Evidence{{Field: "test", Detail: rt.Problem}}, "the build's test of the image failed after %v: %s", took, rt.Ran)
	}
	return pass("the build started the image with a read-only root, no capabilities and loopback only, and it passed in %v: %s", took, rt.Ran)
}

// RecordRunTest puts the build's test into a report written before the test ran, and counts it in the summary.
func RecordRunTest(report []byte, rt RunTest) ([]byte, error) {
	var r Report
	if err := json.Unmarshal(report, &r); err != nil {
		return nil, fmt.Errorf("reading the check report: %w", err)
	}
	c, _ := LookupCheck(RunTestID)
	f := &facts{opts: &options{runTest: &rt}, t: &Target{}}
	res := f.evaluate(c)
	found := false
	for i := range r.Results {
		if r.Results[i].ID == RunTestID {
			r.Results[i], found = res, true
		}
	}
	if !found {
		r.Results = append(r.Results, res)
	}
	r.Summary = summarize(r.Results)
	return r.JSON()
}

// AttestedRunTest finds the build's test in an attached check report (an in-toto statement).
func AttestedRunTest(statement []byte) *RunTest {
	var st struct {
		Predicate Report `json:"predicate"`
	}
	if json.Unmarshal(statement, &st) != nil {
		return nil
	}
	for _, res := range st.Predicate.Results {
		if res.ID != RunTestID || (res.Status != StatusPass && res.Status != StatusFail) {
			continue
		}
		rt := &RunTest{Ran: res.Message, Passed: res.Status == StatusPass, attested: true}
		if len(res.Evidence) > 0 {
			rt.Problem = res.Evidence[0].Detail
		}
		return rt
	}
	return nil
}

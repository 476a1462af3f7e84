package audit_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hardenedbuild/hardened/audit"
)

// A plain image was not tested: the check is skipped, never failed; the build's test passes or fails it.
func TestRunTestCheck(t *testing.T) {
	if res := result(t, fixture{}.run(t), audit.RunTestID); res.Status != audit.StatusSkip || !strings.Contains(res.Message, "not run") {
		t.Errorf("plain image: %s %q", res.Status, res.Message)
	}
	ran := `["/app/server"] as 65532:65532, GET http://127.0.0.1:8080/healthz`
	res := result(t, fixture{}.run(t, audit.WithRunTest(&audit.RunTest{Ran: ran, Passed: true, Millis: 412})), audit.RunTestID)
	if res.Status != audit.StatusPass || !strings.Contains(res.Message, "passed in 410ms: "+ran) {
		t.Errorf("passed: %s %q", res.Status, res.Message)
	}
	res = result(t, fixture{}.run(t, audit.WithRunTest(&audit.RunTest{Ran: ran, Problem: "it exited with code 3"})), audit.RunTestID)
	if res.Status != audit.StatusFail || len(res.Evidence) != 1 || res.Evidence[0].Detail != "it exited with code 3" {
		t.Errorf("failed: %s %+v", res.Status, res.Evidence)
	}
}

// The build records its test in the report written before the test ran, and hardened check reads it back
// from the attestation.
func TestRunTestTravelsInTheReport(t *testing.T) {
	before, err := fixture{}.run(t).JSON()
	if err != nil {
		t.Fatal(err)
	}
	after, err := audit.RecordRunTest(before, audit.RunTest{Ran: `["/app/server"] as 65532:65532, until it exits`, Passed: true, Millis: 30})
	if err != nil {
		t.Fatal(err)
	}
	var r audit.Report
	if err := json.Unmarshal(after, &r); err != nil {
		t.Fatal(err)
	}
	var b audit.Report
	_ = json.Unmarshal(before, &b)
	if r.Summary.Passed != b.Summary.Passed+1 || r.Summary.Skipped != b.Summary.Skipped-1 || len(r.Results) != len(b.Results) {
		t.Errorf("summary %+v, before %+v", r.Summary, b.Summary)
	}
	statement, _ := json.Marshal(map[string]any{"_type": "https://in-toto.io/Statement/v0.1", "predicate": json.RawMessage(after)})
	rt := audit.AttestedRunTest(statement)
	if rt == nil || !rt.Passed {
		t.Fatalf("attested: %+v", rt)
	}
	tg := fixture{}.target(t)
	tg.Attestations.RunTest = rt
	rep, err := audit.Run(t.Context(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if res := result(t, rep, audit.RunTestID); res.Status != audit.StatusPass || !strings.Contains(res.Message, "until it exits") || !strings.Contains(res.Message, "from the check report") {
		t.Errorf("from the attestation: %s %q", res.Status, res.Message)
	}
	if audit.AttestedRunTest(statement[:10]) != nil || audit.AttestedRunTest(before) != nil {
		t.Error("a broken or untested report gave a test")
	}
}

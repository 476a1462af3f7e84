//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/hardenedbuild/hardened/audit"
)

// TestCheckReportTravelsWithTheImage: a build that asks for attestations carries the
// hardened check report of its own image, and the guarantees pass in it.
func TestCheckReportTravelsWithTheImage(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := filepath.Join(repoRoot, "examples", "go")
	out := filepath.Join(t.TempDir(), "app.tar")
	build(t, st.Buildx(context.Background(), "build", "--provenance=mode=min", "-f", filepath.Join(dir, "hardened.yaml"),
		"-o", "type=oci,dest="+out, dir))
	raw := attestation(t, out, audit.PredicateType)
	var report struct {
		Results []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"results"`
	}
	if err := json.Unmarshal(raw, &report); err != nil {
		t.Fatalf("report: %v", err)
	}
	status := map[string]string{}
	for _, r := range report.Results {
		status[r.ID] = r.Status
	}
	for _, id := range audit.Guarantees {
		if status[id] != "pass" {
			t.Errorf("%s = %q in the attached report, want pass", id, status[id])
		}
	}
	if len(status) < 20 {
		t.Errorf("the report has %d checks; want the whole catalogue", len(status))
	}
}

// attestation returns the predicate of the first in-toto statement of that type.
func attestation(t *testing.T, tarPath, predicateType string) []byte {
	t.Helper()
	ps := predicates(t, tarPath, predicateType)
	if len(ps) == 0 {
		t.Fatalf("no %s attestation in the output", predicateType)
	}
	return ps[0]
}

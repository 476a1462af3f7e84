package sign

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/hardenedbuild/hardened/audit"
)

// platformStatement is a check report statement about digest with the given predicate.
func platformStatement(t *testing.T, digest string, pred map[string]any) []byte {
	t.Helper()
	data, err := json.Marshal(pred)
	if err != nil {
		t.Fatal(err)
	}
	return Statement("registry.example/app", digest, PredicateCheckReport, data)
}

func indexPredicate(t *testing.T, stmt []byte) indexReport {
	t.Helper()
	var st statement
	if err := json.Unmarshal(stmt, &st); err != nil {
		t.Fatal(err)
	}
	if st.PredicateType != PredicateCheckReport || !st.names("sha256:"+strings.Repeat("f", 64)) {
		t.Fatalf("the index report statement is not a check report about the index: %s", stmt)
	}
	var r indexReport
	if err := json.Unmarshal(st.Predicate, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestIndexReportStatement: the index's report passes only when every platform's does, each
// check takes its worst status, a check one platform did not run is skipped, the waivers are
// all of theirs once, validUntil the earliest, and each platform report is named by its hash.
func TestIndexReportStatement(t *testing.T) {
	index := "sha256:" + strings.Repeat("f", 64)
	amd, arm := "sha256:"+strings.Repeat("a", 64), "sha256:"+strings.Repeat("b", 64)
	waiver := map[string]any{"id": "HX-MIN-SHELL", "reason": "r", "expires": "2030-01-01", "source": "ignore.yaml:2", "status": "active", "covered": 1}
	pass := func(until string) map[string]any {
		p := map[string]any{"schemaVersion": 1, "predicateType": PredicateCheckReport, "date": "2026-01-01T00:00:00Z",
			"gate": map[string]any{"failOn": "none", "passed": true}, "waivers": []any{waiver},
			"results": []any{
				map[string]any{"id": "HX-USER-ROOT", "severity": "high", "status": "pass", "message": "runs as 65532"},
				map[string]any{"id": "HX-MIN-SHELL", "severity": "medium", "status": "waived", "message": "a shell"},
			}}
		if until != "" {
			p["validUntil"] = until
		}
		return p
	}
	good := []PlatformReport{
		{Platform: "linux/amd64", Digest: amd, Statement: platformStatement(t, amd, pass("2030-01-02T00:00:00Z"))},
		{Platform: "linux/arm64", Digest: arm, Statement: platformStatement(t, arm, pass("2029-06-01T00:00:00Z"))},
	}
	stmt, err := IndexReportStatement("registry.example/app", index, good)
	if err != nil {
		t.Fatal(err)
	}
	r := indexPredicate(t, stmt)
	if !r.Gate.Passed || r.Gate.FailOn != "none" || r.Image.Digest != index || len(r.Waivers) != 1 ||
		r.ValidUntil == nil || !r.ValidUntil.Equal(time.Date(2029, 6, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("two passing platforms: %+v", r.Report)
	}
	if len(r.Results) != 2 || r.Results[0].Status != audit.StatusPass || r.Results[0].Message != "linux/amd64: runs as 65532; linux/arm64: runs as 65532" ||
		r.Results[1].Status != audit.StatusWaived || r.Summary.Passed != 1 || r.Summary.Waived != 1 || r.Summary.Checks != 2 {
		t.Fatalf("two passing platforms' results: %+v %+v", r.Results, r.Summary)
	}
	if len(r.Platforms) != 2 || r.Platforms[1].Digest != arm || r.Platforms[1].Report != fmt.Sprintf("sha256:%x", sha256.Sum256(good[1].Statement)) {
		t.Fatalf("platforms: %+v", r.Platforms)
	}
	again, _ := IndexReportStatement("registry.example/app", index, good)
	if string(again) != string(stmt) {
		t.Fatal("the same platform reports gave another index report")
	}

	// One platform failing fails the index, naming the platform; one that did not run a check skips it.
	failing := pass("2030-01-02T00:00:00Z")
	failing["gate"] = map[string]any{"failOn": "none", "passed": false, "reasons": []any{"1 high check failing"}}
	failing["results"] = []any{map[string]any{"id": "HX-USER-ROOT", "severity": "high", "status": "fail", "message": "root"}}
	bad := []PlatformReport{good[0], {Platform: "linux/arm64", Digest: arm, Statement: platformStatement(t, arm, failing)}}
	stmt, err = IndexReportStatement("registry.example/app", index, bad)
	if err != nil {
		t.Fatal(err)
	}
	r = indexPredicate(t, stmt)
	if r.Gate.Passed || len(r.Gate.Reasons) != 1 || r.Gate.Reasons[0] != "linux/arm64: 1 high check failing" {
		t.Fatalf("one failing platform's gate: %+v", r.Gate)
	}
	if r.Results[0].Status != audit.StatusFail || r.Results[1].Status != audit.StatusWaived || r.Summary.Failing.High != 1 {
		t.Fatalf("one failing platform's results: %+v %+v", r.Results, r.Summary)
	}
	onlyAmd := pass("")
	onlyAmd["results"] = []any{map[string]any{"id": "HX-USER-ROOT", "severity": "high", "status": "pass", "message": "ok"}}
	stmt, err = IndexReportStatement("registry.example/app", index, []PlatformReport{
		{Platform: "linux/arm64", Digest: arm, Statement: platformStatement(t, arm, onlyAmd)}, good[0]})
	if err != nil {
		t.Fatal(err)
	}
	if r = indexPredicate(t, stmt); r.Results[1].ID != "HX-MIN-SHELL" || r.Results[1].Status != audit.StatusWaived {
		t.Fatalf("a check only the second platform ran, waived there: %+v", r.Results)
	}
	stmt, _ = IndexReportStatement("registry.example/app", index, []PlatformReport{good[0],
		{Platform: "linux/arm64", Digest: arm, Statement: platformStatement(t, arm, onlyAmd)}})
	if r = indexPredicate(t, stmt); r.Results[1].Status != audit.StatusWaived {
		t.Fatalf("waived beats skipped: %+v", r.Results)
	}
	passOnly := pass("")
	passOnly["results"] = []any{map[string]any{"id": "HX-USER-ROOT", "severity": "high", "status": "pass", "message": "ok"},
		map[string]any{"id": "HX-EXTRA", "severity": "low", "status": "pass", "message": "ok"}}
	stmt, _ = IndexReportStatement("registry.example/app", index, []PlatformReport{good[0],
		{Platform: "linux/arm64", Digest: arm, Statement: platformStatement(t, arm, passOnly)}})
	if r = indexPredicate(t, stmt); r.Results[2].ID != "HX-EXTRA" || r.Results[2].Status != audit.StatusSkip {
		t.Fatalf("a check one platform did not run is skipped: %+v", r.Results)
	}

	if _, err := IndexReportStatement("registry.example/app", index, []PlatformReport{{Digest: amd, Statement: []byte("{")}}); err == nil || !strings.Contains(err.Error(), amd) {
		t.Fatalf("a broken platform statement: %v", err)
	}
}

// TestSignAttestsIndex: hardened sign attests the derived report on the index in each format,
// and verify derives it again; an index report that is not the derived one is refused.
func TestSignAttestsIndex(t *testing.T) {
	ctx := context.Background()
	for _, format := range []string{FormatBundle, FormatLegacy} {
		t.Run(format, func(t *testing.T) {
			host := newRegistry(t, true)
			key := newKey(t)
			ref := pushIndex(t, host+"/team/app:1", []string{"linux/amd64", "linux/arm64"}, passingReport())
			written, err := Sign(ctx, ref.String(), key, Options{Format: format})
			if err != nil {
				t.Fatal(err)
			}
			p, err := Inspect(ref)
			if err != nil {
				t.Fatal(err)
			}
			found, err := FindStatements(ctx, p.Repo, "", p.Digest, PredicateCheckReport, &key.PublicKey)
			if err != nil || len(found) != 1 || !found[0].Signed {
				t.Fatalf("the index's signed check report: %+v %v (wrote %v)", found, err, written)
			}
			r := indexPredicate2(t, found[0].Statement, p.Digest)
			if !r.Gate.Passed || len(r.Platforms) != 2 || r.Platforms[0].Platform != "linux/amd64" {
				t.Fatalf("the index report: %+v", r)
			}
			v, err := Verify(ctx, ref.String(), &key.PublicKey)
			if err != nil || string(v.IndexReport) != string(found[0].Statement) {
				t.Fatalf("verify: %v, index report %s", err, v.IndexReport)
			}

			// A report signed on the index by the key that the platform reports do not give.
			forged := map[string]any{}
			_ = json.Unmarshal(mustPredicate(t, found[0].Statement), &forged)
			forged["platforms"] = []any{}
			pred, _ := json.Marshal(forged)
			a := Attestation{Subject: p.Digest, PredicateType: PredicateCheckReport, Statement: Statement(p.Repo.Name(), p.Digest, PredicateCheckReport, pred)}
			pushIndexAttestation(t, p, key, a, format)
			_, err = Verify(ctx, ref.String(), &key.PublicKey)
			if err == nil || !strings.Contains(err.Error(), "index "+p.Digest+" carries a signed check report") {
				t.Fatalf("a forged index report: %v", err)
			}
		})
	}
}

// TestVerifyIndexWithoutReport: an index signed before its report was attested still verifies,
// with no index report (verify says admission by tag finds none).
func TestVerifyIndexWithoutReport(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, false)
	key := newKey(t)
	ref := pushIndex(t, host+"/team/app:1", []string{"linux/amd64"}, passingReport())
	if _, err := Sign(ctx, ref.String(), key, Options{Format: FormatLegacy}); err != nil {
		t.Fatal(err)
	}
	p, err := Inspect(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(legacyTag(p.Repo, p.Digest, "att"), empty.Image); err != nil {
		t.Fatal(err)
	}
	v, err := Verify(ctx, ref.String(), &key.PublicKey)
	if err != nil || v.IndexReport != nil {
		t.Fatalf("an index without its report: %v %s", err, v.IndexReport)
	}
}

func mustPredicate(t *testing.T, stmt []byte) []byte {
	t.Helper()
	var st statement
	if err := json.Unmarshal(stmt, &st); err != nil {
		t.Fatal(err)
	}
	return st.Predicate
}

func indexPredicate2(t *testing.T, stmt []byte, digest string) indexReport {
	t.Helper()
	var st statement
	if err := json.Unmarshal(stmt, &st); err != nil || !st.names(digest) {
		t.Fatalf("not a statement about %s: %s", digest, stmt)
	}
	var r indexReport
	if err := json.Unmarshal(st.Predicate, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// pushIndexAttestation signs a onto the index in format, as hardened sign would.
func pushIndexAttestation(t *testing.T, p *Plan, key *ecdsa.PrivateKey, a Attestation, format string) {
	t.Helper()
	desc, err := remote.Head(p.Repo.Digest(p.Digest))
	if err != nil {
		t.Fatal(err)
	}
	if format == FormatBundle {
		b, err := makeBundle(key, a.Statement)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := writeReferrer(p.Repo, *desc, b, a.PredicateType, nil); err != nil {
			t.Fatal(err)
		}
		return
	}
	ls, err := legacyAtts(key, []Attestation{a})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := appendLegacy(legacyTag(p.Repo, p.Digest, "att"), ls, &key.PublicKey, nil); err != nil {
		t.Fatal(err)
	}
}

package audit_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hardenedbuild/hardened/audit"
	. "github.com/hardenedbuild/hardened/internal/imagetest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, got)
	}
}

// mixedReport has passes, failures at every severity, a waiver, a skip, a comparison and CVEs.
func mixedReport(t *testing.T) *audit.Report {
	fx := fixture{
		cfg: func(c *v1.ConfigFile) {
			c.Config.User = "nonroot"
			c.Config.Healthcheck = nil
			c.Config.Env = append(c.Config.Env, "API_TOKEN=abc123def456")
		},
		base: add(Dir("/bin", 0o755), Reg("/bin/busybox", 0o755, "\x7fELF"), Symlink("/bin/sh", "busybox"),
			Dir("/usr/bin", 0o755), Reg("/usr/bin/su", 0o4755, "\x7fELF")),
		extra: []Step{
			{CreatedBy: "COPY id_ed25519 /root/.ssh/id_ed25519 # buildkit", Files: []File{Dir("/root", 0o700), Dir("/root/.ssh", 0o700), Reg("/root/.ssh/id_ed25519", 0o600, privateKey)}},
			{CreatedBy: "RUN /bin/sh -c rm -rf /root/.ssh # buildkit", Files: []File{Whiteout("/root/.ssh")}},
		},
	}
	ws := waivers(t, "waivers:\n  - id: HX-MIN-SHELL\n    path: /bin/**\n    reason: busybox is the debug shell\n    expires: 2026-06-30\n")
	before := audit.ImageInfo{Name: "python:3.12", Stats: audit.Stats{Layers: 9, Files: 30211, Bytes: 1_247_000_000, Packages: 412, PackageManager: "dpkg"}}
	return fx.run(t,
		audit.WithWaivers(ws...),
		audit.FailOn(audit.Medium),
		audit.WithVulnerabilities(&audit.Vulnerabilities{Scanner: "trivy", High: 3, Medium: 15}),
		audit.CompareWith(before, &audit.Vulnerabilities{Scanner: "trivy", Critical: 12, High: 45, Medium: 120, Low: 57}),
	)
}

func TestGoldenText(t *testing.T) {
	var b bytes.Buffer
	if err := mixedReport(t).WriteText(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.txt", b.Bytes())
}

func TestGoldenJSON(t *testing.T) {
	out, err := mixedReport(t).JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report.json", out)
	var back audit.Report
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("the JSON does not read back: %v", err)
	}
	if back.SchemaVersion != audit.SchemaVersion || back.PredicateType != audit.PredicateType || len(back.Results) != len(audit.Checks()) {
		t.Errorf("read back: version %d, %d results", back.SchemaVersion, len(back.Results))
	}
}

func TestGoldenSARIF(t *testing.T) {
	out, err := mixedReport(t).SARIF()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report.sarif", out)

	// What code-scanning uploads require: rules, and a location on every result.
	var log struct {
		Version string
		Runs    []struct {
			Tool struct {
				Driver struct{ Rules []struct{ ID string } }
			}
			Results []struct {
				RuleID, Level string
				RuleIndex     int
				Locations     []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
				Suppressions []struct{ Kind, Justification string }
			}
		}
	}
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("version %q, %d runs", log.Version, len(log.Runs))
	}
	run := log.Runs[0]
	suppressed := 0
	for _, r := range run.Results {
		if r.RuleIndex >= len(run.Tool.Driver.Rules) || run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s points at rule %d", r.RuleID, r.RuleIndex)
		}
		if len(r.Locations) == 0 || r.Locations[0].PhysicalLocation.ArtifactLocation.URI == "" || r.Locations[0].PhysicalLocation.Region.StartLine < 1 {
			t.Errorf("result %s has no location", r.RuleID)
		}
		if len(r.Suppressions) > 0 {
			suppressed++
		}
	}
	if suppressed != 2 {
		t.Errorf("%d suppressed results, want the 2 waived", suppressed)
	}
}

package audit_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/audit/image"
	. "github.com/hardenedbuild/hardened/internal/imagetest"
)

func TestParseWaivers(t *testing.T) {
	good := `waivers:
  - id: HX-MIN-SHELL
    path: /busybox/**
    reason: the debug variant ships busybox on purpose
    expires: 2026-12-31
  - id: HX-CFG-001
    reason: the platform probes the service over HTTP
`
	ws, err := audit.ParseWaivers("ignore.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 || ws[0].ID != "HX-MIN-SHELL" || ws[1].ID != "HX-CONFIG-HEALTHCHECK" || ws[0].Source != "ignore.yaml:2" {
		t.Errorf("waivers: %+v", ws)
	}
	if got := ws[0].Expires.Format(time.DateOnly); got != "2026-12-31" {
		t.Errorf("expires %s", got)
	}
	for _, tc := range []struct{ name, yaml, want string }{
		{"no reason", "waivers:\n  - id: HX-MIN-SHELL\n", "ignore.yaml:2:5: waivers[0]: a waiver needs a reason"},
		{"empty reason", "waivers:\n  - id: HX-MIN-SHELL\n    reason: \"  \"\n", "ignore.yaml:3:13: waivers[0].reason: a waiver needs a reason"},
		{"unknown check", "waivers:\n  - id: HX-NOPE\n    reason: x\n", `waivers[0].id: unknown check "HX-NOPE"`},
		{"no id", "waivers:\n  - reason: x\n", "waivers[0]: a waiver needs the id"},
		{"bad date", "waivers:\n  - id: HX-MIN-SHELL\n    reason: x\n    expires: next year\n", `want a date YYYY-MM-DD, got "next year"`},
		{"unknown field", "waivers:\n  - id: HX-MIN-SHELL\n    reason: x\n    until: 2026-01-01\n", `unknown field "until"`},
		{"not a list", "waivers: HX-MIN-SHELL\n", "waivers must be a list"},
		{"top level", "- id: HX-MIN-SHELL\n", "must be a mapping with a waivers: list"},
		{"bad yaml", "waivers: [\n", "ignore.yaml:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := audit.ParseWaivers("ignore.yaml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if ws, err := audit.ParseWaivers("empty.yaml", nil); err != nil || ws != nil {
		t.Errorf("empty file: %v %v", ws, err)
	}
}

func waivers(t *testing.T, y string) []audit.Waiver {
	t.Helper()
	ws, err := audit.ParseWaivers("ignore.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

func TestWaivers(t *testing.T) {
	shells := fixture{base: add(Dir("/bin", 0o755), Reg("/bin/dash", 0o755, "\x7fELF"), Symlink("/bin/sh", "dash"),
		Dir("/busybox", 0o755), Reg("/busybox/busybox", 0o755, "\x7fELF"), Symlink("/busybox/sh", "busybox"))}
	now := Epoch.Add(24 * time.Hour) // 2026-01-03

	t.Run("path glob waives part of a check", func(t *testing.T) {
		r := shells.run(t, audit.WithWaivers(waivers(t, "waivers:\n  - id: HX-MIN-SHELL\n    path: /busybox/*\n    reason: debug variant\n")...))
		res := result(t, r, "HX-MIN-SHELL")
		if res.Status != audit.StatusFail || len(res.Evidence) != 2 || len(res.Waived) != 2 {
			t.Fatalf("%s: %d left, %d waived", res.Status, len(res.Evidence), len(res.Waived))
		}
		if res.Waived[0].Waiver == nil || res.Waived[0].Waiver.Reason != "debug variant" {
			t.Errorf("waived evidence: %+v", res.Waived[0])
		}
		if r.Waivers[0].Status != audit.WaiverApplied || r.Waivers[0].Covered != 2 {
			t.Errorf("waiver status: %+v", r.Waivers[0])
		}
	})
	t.Run("a whole check, by catalogue number", func(t *testing.T) {
		r := shells.run(t, audit.WithWaivers(waivers(t, "waivers:\n  - id: HX-MIN-001\n    reason: needed\n    expires: 2026-01-03\n")...))
		if res := result(t, r, "HX-MIN-SHELL"); res.Status != audit.StatusWaived {
			t.Errorf("status %s, want waived", res.Status)
		}
		if !r.Gate.Passed {
			t.Errorf("gate: %+v", r.Gate)
		}
	})
	t.Run("an expired waiver covers nothing and fails the gate", func(t *testing.T) {
		r := shells.run(t, audit.WithTime(now), audit.WithWaivers(waivers(t, "waivers:\n  - id: HX-MIN-SHELL\n    reason: needed\n    expires: 2026-01-02\n")...))
		if res := result(t, r, "HX-MIN-SHELL"); res.Status != audit.StatusFail {
			t.Errorf("status %s, want fail", res.Status)
		}
		if r.Waivers[0].Status != audit.WaiverExpired || r.Gate.Passed || !strings.Contains(strings.Join(r.Gate.Reasons, ";"), "expired on 2026-01-02") {
			t.Errorf("waiver %+v, gate %+v", r.Waivers[0], r.Gate)
		}
	})
	t.Run("unused", func(t *testing.T) {
		r := fixture{}.run(t, audit.WithWaivers(waivers(t, "waivers:\n  - id: HX-MIN-SHELL\n    reason: needed\n")...))
		if r.Waivers[0].Status != audit.WaiverUnused {
			t.Errorf("%+v", r.Waivers[0])
		}
	})
	t.Run("config fields match by name", func(t *testing.T) {
		fx := fixture{cfg: func(c *v1.ConfigFile) { c.Config.Healthcheck = nil }}
		r := fx.run(t, audit.WithWaivers(waivers(t, "waivers:\n  - id: HX-CONFIG-HEALTHCHECK\n    path: config.Healthcheck\n    reason: probed by the platform\n")...))
		if res := result(t, r, "HX-CONFIG-HEALTHCHECK"); res.Status != audit.StatusWaived {
			t.Errorf("status %s", res.Status)
		}
	})
}

func TestGate(t *testing.T) {
	lowOnly := fixture{cfg: func(c *v1.ConfigFile) { c.Config.Healthcheck = nil }}
	for _, tc := range []struct {
		name string
		opt  audit.Option
		pass bool
	}{
		{"high", audit.FailOn(audit.High), true},
		{"medium", audit.FailOn(audit.Medium), true},
		{"low", audit.FailOn(audit.Low), false},
		{"info", audit.FailOn(audit.Info), false},
		{"none", audit.NoGate(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := lowOnly.run(t, tc.opt)
			if r.Gate.Passed != tc.pass {
				t.Errorf("gate %+v, want passed=%v", r.Gate, tc.pass)
			}
		})
	}
}

func TestOnlyAdded(t *testing.T) {
	ctx := context.Background()
	baseFiles := Replace(CleanSteps()[0].Files, Dir("/bin", 0o755), Reg("/bin/dash", 0o755, "\x7fELF"), Symlink("/bin/sh", "dash"))
	baseImg := Image(t, CleanConfig(), Step{CreatedBy: "COPY rootfs /", Files: baseFiles})
	base, err := image.FromImage(ctx, baseImg)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := baseImg.Digest()
	base.Name, base.Digest = "base:1", d.String()

	cfg := CleanConfig()
	cfg.Config.Labels["org.opencontainers.image.base.digest"] = d.String()
	app := Image(t, cfg, Step{CreatedBy: "COPY rootfs /", Files: baseFiles},
		Step{CreatedBy: "COPY app", Files: []File{Dir("/app", 0o755), Reg("/app/server", 0o755, "\x7fELF"), Dir("/usr/bin", 0o755), Reg("/usr/bin/curl", 0o755, "\x7fELF")}})
	tg, err := image.FromImage(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	r, err := audit.Run(ctx, tg, audit.OnlyAdded(base))
	if err != nil {
		t.Fatal(err)
	}
	if res := result(t, r, "HX-MIN-SHELL"); res.Status != audit.StatusPass || !strings.Contains(res.Message, "only in the base") {
		t.Errorf("shell in the base: %s %q", res.Status, res.Message)
	}
	if res := result(t, r, "HX-MIN-NETWORK-TOOLS"); res.Status != audit.StatusFail {
		t.Errorf("curl added: %s", res.Status)
	}
	if res := result(t, r, "HX-SUPPLY-BASE"); res.Status != audit.StatusPass {
		t.Errorf("base digest matches: %s %q", res.Status, res.Message)
	}
	if r.OnlyAdded == nil || r.OnlyAdded.Name != "base:1" {
		t.Errorf("report does not name the base: %+v", r.OnlyAdded)
	}

	// The label must name the base given.
	base.Digest = "sha256:" + strings.Repeat("e", 64)
	r, _ = audit.Run(ctx, tg, audit.OnlyAdded(base), audit.WithChecks("HX-SUPPLY-BASE"))
	if res := r.Results[0]; res.Status != audit.StatusFail || !strings.Contains(res.Message, "does not match the base given") {
		t.Errorf("mismatched base: %s %q", res.Status, res.Message)
	}

	// Without layer data, files are compared by metadata.
	tg.Layers = nil
	r, _ = audit.Run(ctx, tg, audit.OnlyAdded(base), audit.WithChecks("HX-MIN-SHELL", "HX-MIN-NETWORK-TOOLS"))
	if r.Results[0].Status != audit.StatusPass || r.Results[1].Status != audit.StatusFail {
		t.Errorf("by metadata: shell %s, curl %s", r.Results[0].Status, r.Results[1].Status)
	}
}

func TestEvidenceIsCapped(t *testing.T) {
	files := []File{Dir("/data", 0o755)}
	for i := 0; i < 600; i++ {
		files = append(files, Reg("/data/f"+strings.Repeat("x", 3)+strconv.Itoa(i), 0o666, ""))
	}
	r := fixture{extra: []Step{{CreatedBy: "data", Files: files}}}.run(t, audit.WithChecks("HX-PRIV-WORLD-WRITABLE"))
	res := r.Results[0]
	if len(res.Evidence) != 500 || res.Omitted != 100 {
		t.Errorf("%d evidence, %d omitted", len(res.Evidence), res.Omitted)
	}
}

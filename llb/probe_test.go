package llb_test

import (
	"context"
	"slices"
	"testing"
	"time"

	bkllb "github.com/moby/buildkit/client/llb"
	digest "github.com/opencontainers/go-digest"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/internal/llbtest"
	hllb "github.com/hardenedbuild/hardened/llb"
)

// healthcheck.http copies the probe from the frontend image to its fixed path, root's, 0555, at the epoch,
// under the app's layer; the HEALTHCHECK runs it in exec form with the port and path; the proof of no
// added setuid/setgid bit still holds.
func TestProbeCopiedAndRun(t *testing.T) {
	s := load(t, "language: go\nartifacts: [./cmd/server]\nhealthcheck:\n  http: {port: 8080, path: /healthz}\n  interval: 30s\n")
	_, files := loadExample(t)
	in := resolved(t, s, files, arm64)
	epoch := time.Unix(1700000000, 0).UTC()
	in.Epoch = &epoch
	frontend := bkllb.Image("ghcr.io/hardenedbuild/hardened:1@"+digest.FromString("frontend").String(), bkllb.Platform(arm64))
	in.Probe = &hllb.ProbeSource{State: frontend, Path: "/bin/hardened-probe"}
	res, g := convert(t, s, in)

	want := []string{"CMD", audit.ProbePath, "8080", "/healthz"}
	if hc := res.Image.Config.Healthcheck; hc == nil || !slices.Equal(hc.Test, want) || hc.Interval != 30*time.Second {
		t.Errorf("healthcheck = %+v, want %q every 30s", hc, want)
	}
	// The probe is staged in its own directory from the frontend image, and the directory copied whole, so
	// that the directory too is at the epoch.
	op := g.Named(t, "copy the health probe to "+audit.ProbePath+" (root-owned, mode 0555)")
	stage := g.Named(t, "stage the health probe")
	for _, tc := range []struct {
		op        llbtest.Op
		src, dest string
	}{{op, "/hardened", "/hardened"}, {stage, "/bin/hardened-probe", audit.ProbePath}} {
		c := findCopy(t, tc.op, tc.src)
		if c.Dest != tc.dest || c.Mode != 0o555 || c.ModeStr != "" || c.Owner == nil || c.Owner.GetUser().GetByID() != 0 || c.Owner.GetGroup().GetByID() != 0 ||
			c.Timestamp != epoch.UnixNano() {
			t.Errorf("%s: copy = %+v", tc.op.Name, c)
		}
	}
	if in := copyInput(t, g, op, "/hardened"); in.Name != "stage the health probe" {
		t.Errorf("the probe's directory is copied from %q", in.Name)
	}
	if src := copyInput(t, g, stage, "/bin/hardened-probe"); src.Op.GetSource().GetIdentifier() != "docker-image://ghcr.io/hardenedbuild/hardened:1@"+digest.FromString("frontend").String() {
		t.Errorf("the probe is copied from %v, want the frontend image", src.Op.GetSource())
	}
	if g.DependsOn(g.Named(t, "copy artifacts to /app (root-owned, modes 0644/0755)"), op.Digest) == false {
		t.Error("the app's copy is not on top of the probe's")
	}
	if err := hllb.AddsNoSetuid(context.Background(), res.Final, &in.Base.State, bkllb.Platform(arm64)); err != nil {
		t.Errorf("the probe's copy breaks the setuid proof: %v", err)
	}

	// Without the probe's source (hardened dockerfile's reading), the image copies nothing from it.
	in.Probe = nil
	_, g = convert(t, s, in)
	for _, src := range g.Sources() {
		if src == "docker-image://ghcr.io/hardenedbuild/hardened:1@"+digest.FromString("frontend").String() {
			t.Error("the frontend image is a source without a probe")
		}
	}
}

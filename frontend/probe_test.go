package frontend

import (
	"slices"
	"strings"
	"testing"

	"github.com/hardenedbuild/hardened/audit"
)

const probeSpec = goSpec + "healthcheck:\n  http: {port: 8080, path: /healthz}\n"

// With its own image, the frontend builds healthcheck.http into a HEALTHCHECK that runs the probe.
func TestProbeBuild(t *testing.T) {
	c := newFakeClient(probeSpec, goContext(), nil)
	c.self = selfState()
	res, err := Build(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CMD", audit.ProbePath, "8080", "/healthz"}
	if hc := imageConfig(t, res).Config.Healthcheck; hc == nil || !slices.Equal(hc.Test, want) {
		t.Errorf("healthcheck %+v, want %q", hc, want)
	}
}

// For another platform than the build's, the probe comes from the frontend image resolved for that platform.
func TestProbeOtherPlatform(t *testing.T) {
	c := newFakeClient(probeSpec, goContext(), map[string]string{"platform": "linux/amd64,linux/arm64", "source": "ghcr.io/hardenedbuild/hardened:1"})
	c.self = selfState()
	res, err := Build(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Refs) != 2 {
		t.Errorf("%d platform results, want 2", len(res.Refs))
	}
	if !slices.Contains(c.resolved, "ghcr.io/hardenedbuild/hardened:1") {
		t.Errorf("resolved %q, not the frontend image for arm64", c.resolved)
	}
}

// Without an image of its own to take the probe from, the build fails at healthcheck.http rather than
// write a HEALTHCHECK that runs a file the image does not have.
func TestProbeWithoutFrontendImage(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts map[string]string
		want string
	}{
		{"no image", nil, "hardened.yaml:4:9: healthcheck.http: the frontend runs without an image of its own"},
		{"no arm64 variant", map[string]string{"platform": "linux/arm64", "source": "ghcr.io/hardenedbuild/hardened:1"}, "hardened.yaml:4:9: healthcheck.http: the frontend image has no linux/arm64 variant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newFakeClient(probeSpec, goContext(), tc.opts)
			if tc.opts != nil {
				c.self = selfState()
				c.failResolve = "ghcr.io/hardenedbuild/hardened"
			}
			_, err := Build(t.Context(), c)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "write test: [...]") {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

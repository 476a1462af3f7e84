package dockerfile

import (
	"strings"
	"testing"
)

// healthcheck.http writes no HEALTHCHECK (a Dockerfile has no probe to run) but a comment saying what the
// hardened build writes and what to do instead; healthcheck.test is written as before.
func TestProbeHealthcheckIsAComment(t *testing.T) {
	s, files := load(t, "language: go\nartifacts: [./cmd/server]\nhealthcheck:\n  http: {port: 9090, path: /ready}\n  interval: 30s\n", "module x\n\ngo 1.26\n")
	out, err := Generate(s, Options{Files: files})
	if err != nil {
		t.Fatal(err)
	}
	df := string(out)
	if strings.Contains(df, "\nHEALTHCHECK") {
		t.Errorf("a HEALTHCHECK instruction for the probe:\n%s", df)
	}
	flat := strings.Join(strings.Fields(strings.ReplaceAll(df, "\n# ", " ")), " ")
	for _, want := range []string{`HEALTHCHECK CMD ["/hardened/probe", "9090", "/ready"]`, "GETs http://127.0.0.1:9090/ready",
		"A Dockerfile cannot get that probe", "hardened k8s writes an httpGet probe"} {
		if !strings.Contains(flat, want) {
			t.Errorf("missing %q in\n%s", want, df)
		}
	}
	s, files = load(t, "language: go\nartifacts: [./cmd/server]\nhealthcheck:\n  test: [/app/server, -check]\n", "module x\n\ngo 1.26\n")
	out, err = Generate(s, Options{Files: files})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "\nHEALTHCHECK CMD [\"/app/server\",\"-check\"]") && !strings.Contains(string(out), "\nHEALTHCHECK CMD [\"/app/server\", \"-check\"]") {
		t.Errorf("no HEALTHCHECK for healthcheck.test:\n%s", out)
	}
}

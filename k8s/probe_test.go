package k8s

import (
	"reflect"
	"testing"
)

// healthcheck.http, and test.http when there is no healthcheck, become httpGet liveness and readiness
// probes (no binary needed); a healthcheck command stays an exec probe; a run test makes no probe.
func TestHTTPProbes(t *testing.T) {
	const base = "language: go\nartifacts: [./cmd/a]\n"
	for _, tc := range []struct {
		name, spec string
		want       any // the liveness probe's action as written in YAML; nil: no probes
	}{
		{"healthcheck.http", base + "healthcheck:\n  http: {port: 9090, path: /ready}\n  interval: 10s\n  timeout: 2s\n",
			map[string]any{"httpGet": map[string]any{"path": "/ready", "port": 9090}}},
		{"healthcheck.http default path", base + "healthcheck:\n  http: {port: 9090}\n", map[string]any{"httpGet": map[string]any{"path": "/", "port": 9090}}},
		{"test.http alone", base + "test:\n  http: {port: 8080, path: /healthz}\n", map[string]any{"httpGet": map[string]any{"path": "/healthz", "port": 8080}}},
		{"healthcheck.test wins over test.http", base + "healthcheck:\n  test: [/app/a, -check]\ntest:\n  http: {port: 8080}\n",
			map[string]any{"exec": map[string]any{"command": []any{"/app/a", "-check"}}}},
		{"test.run", base + "test:\n  run: [--version]\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDeployment(load(t, tc.spec), Options{Name: "a", Image: "a"})
			if err != nil {
				t.Fatal(err)
			}
			out, err := Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			doc := parse(t, out)
			c := at(t, doc, "spec", "template", "spec", "containers", 0).(map[string]any)
			assertRestricted(t, at(t, doc, "spec", "template", "spec"), 65532, 65532)
			if tc.want == nil {
				if c["livenessProbe"] != nil || c["readinessProbe"] != nil {
					t.Errorf("probes without a healthcheck or an http test:\n%s", out)
				}
				return
			}
			for _, p := range []string{"livenessProbe", "readinessProbe"} {
				probe, _ := c[p].(map[string]any)
				got := map[string]any{}
				for _, k := range []string{"exec", "httpGet"} {
					if v, ok := probe[k]; ok {
						got[k] = v
					}
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("%s action = %v, want %v\n%s", p, got, tc.want, out)
				}
			}
		})
	}
	d, err := NewDeployment(load(t, base+"healthcheck:\n  http: {port: 9090}\n  interval: 10s\n  timeout: 2s\n  retries: 5\n"), Options{Name: "a", Image: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if p := d.Spec.Template.Spec.Containers[0].LivenessProbe; p.PeriodSeconds != 10 || p.TimeoutSeconds != 2 || p.FailureThreshold != 5 {
		t.Errorf("probe timing %+v, want the healthcheck's 10s/2s/5", p)
	}
}

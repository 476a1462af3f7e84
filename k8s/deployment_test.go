package k8s

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/hardenedbuild/hardened/lang/registry"
	"github.com/hardenedbuild/hardened/spec"
)

func load(t *testing.T, y string) *spec.Spec {
	t.Helper()
	s, err := spec.Load("hardened.yaml", []byte(y), registry.SpecOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// at walks a parsed YAML document by keys and list indexes, failing the test where it breaks.
func at(t *testing.T, doc any, path ...any) any {
	t.Helper()
	v := doc
	for i, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%v: not a mapping at %v", path, path[:i])
			}
			if v, ok = m[k]; !ok {
				t.Fatalf("%v: no %q", path, k)
			}
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("%v: no item %d", path, k)
			}
			v = l[k]
		}
	}
	return v
}

func parse(t *testing.T, out []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("the output is not YAML: %v\n%s", err, out)
	}
	return doc
}

// assertRestricted checks every field the restricted Pod Security Standard (and the read-only
// root this package adds) looks at, in a pod spec as written.
func assertRestricted(t *testing.T, pod any, uid, gid int) {
	t.Helper()
	want := []struct {
		path []any
		v    any
	}{
		{[]any{"automountServiceAccountToken"}, false},
		{[]any{"securityContext", "runAsNonRoot"}, true},
		{[]any{"securityContext", "runAsUser"}, uid},
		{[]any{"securityContext", "runAsGroup"}, gid},
		{[]any{"securityContext", "seccompProfile", "type"}, "RuntimeDefault"},
		{[]any{"containers", 0, "securityContext", "runAsNonRoot"}, true},
		{[]any{"containers", 0, "securityContext", "allowPrivilegeEscalation"}, false},
		{[]any{"containers", 0, "securityContext", "privileged"}, false},
		{[]any{"containers", 0, "securityContext", "readOnlyRootFilesystem"}, true},
		{[]any{"containers", 0, "securityContext", "capabilities", "drop"}, []any{"ALL"}},
		{[]any{"containers", 0, "securityContext", "seccompProfile", "type"}, "RuntimeDefault"},
		{[]any{"containers", 0, "volumeMounts"}, []any{map[string]any{"name": "tmp", "mountPath": "/tmp"}}},
		{[]any{"volumes"}, []any{map[string]any{"name": "tmp", "emptyDir": map[string]any{}}}},
	}
	for _, w := range want {
		if got := at(t, pod, w.path...); !reflect.DeepEqual(got, w.v) {
			t.Errorf("%v = %#v, want %#v", w.path, got, w.v)
		}
	}
	sc := at(t, pod, "containers", 0, "securityContext").(map[string]any)
	if _, ok := at(t, sc, "capabilities").(map[string]any)["add"]; ok {
		t.Errorf("capabilities.add is set: %v", sc)
	}
	for _, v := range at(t, pod, "volumes").([]any) {
		for k := range v.(map[string]any) {
			if k != "name" && k != "emptyDir" {
				t.Errorf("volume type %s is not one the restricted profile allows", k)
			}
		}
	}
}

func TestDeploymentExample(t *testing.T) {
	s := load(t, `language: go
artifacts: [./cmd/server]
expose: [8080, 53/udp]
healthcheck: {test: [/app/server, -check], interval: 30s, timeout: 1500ms, start_period: 10s, retries: 5}
`)
	d, err := NewDeployment(s, Options{Name: "server", Image: "registry.example/server@sha256:" + strings.Repeat("a", 64)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	doc := parse(t, out)
	for path, want := range map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
	} {
		if got := at(t, doc, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	if at(t, doc, "spec", "selector", "matchLabels", "app.kubernetes.io/name") != "server" ||
		at(t, doc, "spec", "template", "metadata", "labels", "app.kubernetes.io/name") != "server" {
		t.Errorf("the selector does not match the template's labels:\n%s", out)
	}
	pod := at(t, doc, "spec", "template", "spec")
	assertRestricted(t, pod, 65532, 65532)
	if got := at(t, pod, "securityContext", "fsGroup"); got != 65532 {
		t.Errorf("fsGroup = %v", got)
	}
	c := at(t, pod, "containers", 0)
	if at(t, c, "name") != "server" || !strings.HasPrefix(at(t, c, "image").(string), "registry.example/server@sha256:") {
		t.Errorf("container = %v", c)
	}
	wantPorts := []any{map[string]any{"containerPort": 8080, "protocol": "TCP"}, map[string]any{"containerPort": 53, "protocol": "UDP"}}
	if got := at(t, c, "ports"); !reflect.DeepEqual(got, wantPorts) {
		t.Errorf("ports = %v", got)
	}
	live := map[string]any{"exec": map[string]any{"command": []any{"/app/server", "-check"}},
		"initialDelaySeconds": 10, "periodSeconds": 30, "timeoutSeconds": 2, "failureThreshold": 5}
	if got := at(t, c, "livenessProbe"); !reflect.DeepEqual(got, live) {
		t.Errorf("livenessProbe = %v, want %v", got, live)
	}
	delete(live, "initialDelaySeconds")
	if got := at(t, c, "readinessProbe"); !reflect.DeepEqual(got, live) {
		t.Errorf("readinessProbe = %v, want %v", got, live)
	}

	again, _ := Marshal(d)
	if !bytes.Equal(out, again) {
		t.Errorf("two marshals differ")
	}
}

func TestUserAndDefaults(t *testing.T) {
	for _, tc := range []struct {
		user     string
		uid, gid int
	}{{"", 65532, 65532}, {"1000", 1000, 1000}, {"1000:2000", 1000, 2000}, {"1000:0", 1000, 0}} {
		t.Run(tc.user, func(t *testing.T) {
			y := "language: go\nartifacts: [./cmd/a]\n"
			if tc.user != "" {
				y += fmt.Sprintf("user: %q\n", tc.user)
			}
			d, err := NewDeployment(load(t, y), Options{Name: "a", Image: "a"})
			if err != nil {
				t.Fatal(err)
			}
			out, _ := Marshal(d)
			pod := at(t, parse(t, out), "spec", "template", "spec")
			assertRestricted(t, pod, tc.uid, tc.gid)
			_, hasFS := at(t, pod, "securityContext").(map[string]any)["fsGroup"]
			if hasFS != (tc.gid != 0) {
				t.Errorf("fsGroup set = %v for gid %d", hasFS, tc.gid)
			}
			c := at(t, pod, "containers", 0).(map[string]any)
			for _, k := range []string{"ports", "livenessProbe", "readinessProbe"} {
				if _, ok := c[k]; ok {
					t.Errorf("%s is set without expose or healthcheck", k)
				}
			}
		})
	}
}

func TestHealthcheckDefaults(t *testing.T) {
	d, err := NewDeployment(load(t, "language: go\nartifacts: [./cmd/a]\nhealthcheck: {test: [/app/a, -c]}\n"), Options{Name: "a", Image: "a"})
	if err != nil {
		t.Fatal(err)
	}
	p := d.Spec.Template.Spec.Containers[0].LivenessProbe
	if p.PeriodSeconds != 30 || p.TimeoutSeconds != 30 || p.FailureThreshold != 3 || p.InitialDelaySeconds != 0 {
		t.Errorf("probe = %+v, want Docker's defaults 30s/30s/3", p)
	}
}

func TestPodSpecOnly(t *testing.T) {
	p, err := NewPodSpec(load(t, "language: go\nartifacts: [./cmd/a]\nexpose: [80]\n"), "app")
	if err != nil {
		t.Fatal(err)
	}
	out, _ := Marshal(p)
	doc := parse(t, out)
	assertRestricted(t, doc, 65532, 65532)
	if c := at(t, doc, "containers", 0).(map[string]any); len(c) != 3 {
		t.Errorf("the securityContext-only container has more than name, securityContext and volumeMounts: %v", c)
	}
}

func TestRefusals(t *testing.T) {
	s := load(t, "language: go\nartifacts: [./cmd/a]\n")
	if _, err := NewDeployment(s, Options{Name: "My_App", Image: "x"}); err == nil || !strings.Contains(err.Error(), "my-app") {
		t.Errorf("a bad name gave %v", err)
	}
	if _, err := NewDeployment(s, Options{Name: "a"}); err == nil {
		t.Errorf("no image was accepted")
	}
}

func TestName(t *testing.T) {
	for in, want := range map[string]string{
		"hardened-go-example": "hardened-go-example", "My_App 2": "my-app-2", "--x--": "x", "": "app", "日本": "app",
		strings.Repeat("a", 70): strings.Repeat("a", 63),
	} {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}

// runtime.writable becomes emptyDir volumes beside /tmp, under a read-only root.
func TestWritableBecomesEmptyDirs(t *testing.T) {
	s := &spec.Spec{User: "65532:65532", Runtime: spec.Runtime{Writable: []string{"/tmp", "/var/cache/app"}}}
	pod, err := NewPodSpec(s, "app")
	if err != nil {
		t.Fatal(err)
	}
	c := pod.Containers[0]
	if len(c.VolumeMounts) != 2 || c.VolumeMounts[1] != (VolumeMount{Name: "writable-1", MountPath: "/var/cache/app"}) || len(pod.Volumes) != 2 || pod.Volumes[1].Name != "writable-1" {
		t.Errorf("mounts %+v volumes %+v", c.VolumeMounts, pod.Volumes)
	}
	if c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem {
		t.Error("the root is not read-only")
	}
}

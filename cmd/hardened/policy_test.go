package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// testPub is a fixed public key, so the golden policies do not change from run to run.
const testPub = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAECaUJXCSA+QR/GvthRtdg76AIOOkX
iCb3v9o7nXeTe7VpQzUbjq7WQgeBKF4hVytYRpUKcuzY3cmjFptukdz6Yg==
-----END PUBLIC KEY-----
`

// TestPolicyGolden: each tool's policy, as hardened policy prints it, and the YAML ones parse.
func TestPolicyGolden(t *testing.T) {
	key := filepath.Join(t.TempDir(), "cosign.pub")
	if err := os.WriteFile(key, []byte(testPub), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{forKyverno, forPolicyController, forCosign} {
		var out, errb bytes.Buffer
		if code := run([]string{"policy", "--key", key, "--for", tool, "--images", "registry.example.com/team/*"}, &out, &errb); code != exitPass {
			t.Fatalf("%s: %d %s", tool, code, errb.String())
		}
		if tool != forCosign {
			var doc map[string]any
			if err := yaml.Unmarshal(out.Bytes(), &doc); err != nil || doc["kind"] == nil {
				t.Fatalf("%s: not a YAML object: %v\n%s", tool, err, out.String())
			}
		}
		// cosign takes the key on its command line; the admission controllers read it from the policy.
		if carries := strings.Contains(out.String(), "CaUJXCSA+QR/GvthRtdg76AIOOkX"); carries != (tool != forCosign) {
			t.Errorf("%s: the policy carries the key: %v", tool, carries)
		}
		goldenFile(t, filepath.Join("policy", tool+".golden"), out.Bytes())
	}
}

// TestPolicyFixtures: --out writes the policy with what the tool's test command reads.
func TestPolicyFixtures(t *testing.T) {
	key := filepath.Join(t.TempDir(), "cosign.pub")
	os.WriteFile(key, []byte(testPub), 0o644)
	want := map[string][]string{
		forKyverno:          {"policy.yaml", "pod.yaml", "kyverno-test.yaml"},
		forPolicyController: {"policy.yaml"},
		forCosign:           {"policy.rego"},
	}
	for tool, files := range want {
		dir := filepath.Join(t.TempDir(), tool)
		var out, errb bytes.Buffer
		args := []string{"policy", "--key", key, "--for", tool, "--images", "r.example/*", "--out", dir, "--image", "r.example/app@sha256:" + strings.Repeat("a", 64)}
		if code := run(args, &out, &errb); code != exitPass {
			t.Fatalf("%s: %d %s", tool, code, errb.String())
		}
		for _, f := range files {
			data, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatalf("%s: %v", tool, err)
			}
			if f == "pod.yaml" && !strings.Contains(string(data), "r.example/app@sha256:") {
				t.Errorf("the kyverno fixture does not name the image:\n%s", data)
			}
		}
		if !strings.Contains(out.String(), "test it with") {
			t.Errorf("%s: no test command printed: %s", tool, out.String())
		}
	}
}

// TestPolicyBadInput: each missing or wrong flag is a usage error naming what to write.
func TestPolicyBadInput(t *testing.T) {
	key := filepath.Join(t.TempDir(), "cosign.pub")
	os.WriteFile(key, []byte(testPub), 0o644)
	priv, _ := writeKeys(t, t.TempDir())
	cases := map[string]struct {
		args []string
		want string
	}{
		"no key":      {[]string{"--for", "cosign"}, "want --key"},
		"unknown for": {[]string{"--key", key, "--for", "gatekeeper"}, `--for "gatekeeper": write kyverno, policy-controller or cosign`},
		"no images":   {[]string{"--key", key, "--for", "kyverno"}, "want --images"},
		"out, no image": {[]string{"--key", key, "--for", "cosign", "--out", t.TempDir()},
			"add --image REF"},
		"a private key": {[]string{"--key", priv, "--for", "cosign"}, "not a PEM public key"},
		"an argument":   {[]string{"--key", key, "--for", "cosign", "extra"}, `unexpected argument "extra"`},
	}
	for name, c := range cases {
		var out, errb bytes.Buffer
		code := run(append([]string{"policy"}, c.args...), &out, &errb)
		if code != exitUsage || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%s: %d %q, want %q", name, code, errb.String(), c.want)
		}
		if strings.Contains(errb.String(), "PRIVATE KEY") {
			t.Errorf("%s: the key reached the output", name)
		}
	}
}

//go:build integration

package integration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
)

// TestHostileSpecSecretsRefused: a secret-looking env value fails the build at its line, as
// hardened check's HX-SEC-ENV fails the image, never printing it, and builds once waived; a
// secret-looking build.env value fails, pointing to build.secrets.
func TestHostileSpecSecretsRefused(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	ctx := context.Background()
	dir := copyExample(t, "go")
	spec := filepath.Join(dir, "hardened.yaml")
	base := string(readHost(t, spec))
	const token = "ghp_0123456789abcdefghijABCDEFGHIJ012345" // a fake in GitHub's format
	withEnv := strings.Replace(base, "env:\n", "env:\n  GH_AUTH: "+token+"\n", 1)
	writeFile(t, spec, withEnv)
	out := buildFails(t, st.Buildx(ctx, "build", "-f", spec, dir))
	msg := errorLine(out)
	if !strings.Contains(msg, "hardened.yaml:7:12: env.GH_AUTH: the value looks like a secret (github-token: ghp_****") || !strings.Contains(msg, "HX-SEC-ENV") {
		t.Errorf("the error does not name the variable, its line and the check:\n%s", tail(out, 20))
	}
	if strings.Contains(out, token) {
		t.Errorf("the build's output prints the token (the error, or a frame of the spec's lines):\n%s", tail(out, 20))
	}
	writeFile(t, spec, withEnv+"waivers:\n  - {id: HX-SEC-ENV, path: config.Env.GH_AUTH, reason: a revoked token the tests use}\n")
	build(t, st.Buildx(ctx, "build", "-f", spec, dir))

	writeFile(t, spec, base+"build:\n  env:\n    GIT_URL: https://ci:hunter2secret@git.example.com/x.git\n")
	out = buildFails(t, st.Buildx(ctx, "build", "-f", spec, dir))
	if msg := errorLine(out); !strings.Contains(msg, "build.env.GIT_URL: the value looks like a secret") || !strings.Contains(msg, "build secret") || strings.Contains(out, "hunter2secret") {
		t.Errorf("build.env's secret is not refused as it should be:\n%s", tail(out, 20))
	}
	assertNoGoStack(t, out)
}

// TestHostileRequirementsIncludeRefused: `-r /run/secrets/netrc` in requirements.txt, which made
// pip print the netrc's password, fails before anything runs, naming the file and line.
func TestHostileRequirementsIncludeRefused(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	ctx := context.Background()
	dir := copyExample(t, "python")
	spec := filepath.Join(dir, "hardened.yaml")
	writeFile(t, spec, string(readHost(t, spec))+"build:\n  secrets:\n    - {id: netrc}\n")
	reqs := filepath.Join(dir, "requirements.txt")
	writeFile(t, reqs, string(readHost(t, reqs))+"-r /run/secrets/netrc\n--requirement=/proc/self/environ\n")
	password := randomToken(t)
	netrc := filepath.Join(t.TempDir(), "netrc")
	writeFile(t, netrc, "machine example.com login ci password "+password+"\n")
	out := buildFails(t, st.Buildx(ctx, "build", "--progress", "plain", "--secret", "id=netrc,src="+netrc, "-f", spec, dir))
	for _, want := range []string{"requirements.txt:", "-r /run/secrets/netrc, a file outside the build context", "--requirement /proc/self/environ"} {
		if !strings.Contains(out, want) {
			t.Errorf("the error lacks %q:\n%s", want, tail(out, 20))
		}
	}
	if strings.Contains(out, password) || strings.Contains(out, "pip install") {
		t.Errorf("pip ran, or the password is in the log:\n%s", tail(out, 20))
	}
	assertNoGoStack(t, out)
}

// TestHostileStepLeaksSecret: a build step that copies a mounted secret (file or variable) into the
// image fails the build, naming the secret's id and the path, with the value nowhere in the log.
func TestHostileStepLeaksSecret(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	ctx := context.Background()
	dir := copyExample(t, "python") // python ships all of /out; go only the artifacts
	spec := filepath.Join(dir, "hardened.yaml")
	password, token := randomToken(t), randomToken(t)
	// BuildKit keys no step by a secret's value: a step of the run's own (the nonce) writes these secrets,
	// not one cached from a run that leaked other values.
	writeFile(t, spec, string(readHost(t, spec))+`build:
  secrets:
    - {id: netrc, target: /root/.netrc}
    - {id: api_token, env: API_TOKEN}
  steps:
    - name: leak the secrets
      run: [sh, -c, 'cp /root/.netrc /out/leak; mkdir -p /out/conf; echo "token=$API_TOKEN" > /out/conf/app.ini', `+randomToken(t)+`]
`)
	netrc := filepath.Join(t.TempDir(), "netrc")
	writeFile(t, netrc, "machine example.com login ci password "+password+"\n")
	cmd := st.Buildx(ctx, "build", "--progress", "plain", "--secret", "id=netrc,src="+netrc, "--secret", "id=api_token,env=API_TOKEN", "-f", spec, dir)
	cmd.Env = append(cmd.Env, "API_TOKEN="+token)
	out := buildFails(t, cmd)
	for _, want := range []string{`the value of build secret "netrc"`, "/app/leak", `the value of build secret "api_token"`, "/app/conf/app.ini"} {
		if !strings.Contains(out, want) {
			t.Errorf("the error lacks %q:\n%s", want, tail(out, 25))
		}
	}
	if strings.Contains(out, password) || strings.Contains(out, token) {
		t.Error("the log holds a secret's value")
	}
	assertNoGoStack(t, out)
}

// errorLine is the build's ERROR: line, the message itself (not BuildKit's frame of the spec's lines).
func errorLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "ERROR:") {
			return l
		}
	}
	return ""
}

func randomToken(t *testing.T) string {
	t.Helper()
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	return "hbtok-" + hex.EncodeToString(raw)
}

//go:build integration

package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// admissionCase is one image an admission tool is asked about, with the key its policy trusts,
// and, for a refusal, what each tool's output says (so a refusal for another reason fails).
type admissionCase struct {
	what, ref, pub string
	admit          bool
	why            map[string]string
	by             string // how the pod names the image: byPlatform (default), byTag or byIndex
}

// How an admission case's pod names the image.
const (
	byPlatform = ""             // the first platform image, by digest
	byTag      = "tag"          // the multi-platform index, by tag
	byIndex    = "index digest" // the multi-platform index, by digest
)

// TestAdmissionTools holds the policies `hardened policy` writes to the admission tools
// themselves, built from tools/kyverno and tools/policy-tester: each tool, with its policy
// and the fixtures hardened writes, admits a two-platform image `hardened sign` signed on the
// stack's registry, named by a platform digest, by tag and by index digest (the check report
// signed on the index), and refuses a failing report, an expired waiver, a validUntil passed,
// another key and an unsigned image, each for its own reason, however the pod names it.
func TestAdmissionTools(t *testing.T) {
	t.Parallel() // its own repositories and keys
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	kyverno := toolBinary(t, ctx, "kyverno", "kyverno", "github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno")
	tester := toolBinary(t, ctx, "policy-tester", "policy-tester", "github.com/sigstore/policy-controller/cmd/tester")
	hardened := hardenedBinary(t)
	keys := t.TempDir()
	key, pub := writeKeyPair(t, keys)
	_, wrongPub := writeKeyPair(t, t.TempDir())

	dir := copyExample(t, "go")
	base := fmt.Sprintf("%s/admission-e2e/go-%d", st.Registry, time.Now().UnixNano())
	good := pushSigned(t, ctx, dir, base+"/good:1", "--platform", "linux/amd64,linux/arm64")
	unsigned := copyIndex(t, good, base+"/unsigned:1")
	signRun(t, ctx, keys, hardened, "sign", good, "--key", key)
	failing := pushAlteredReport(t, good, base+"/failing:1", func(p map[string]any) {
		setResult(p, "HX-USER-ROOT", "fail")
		p["summary"].(map[string]any)["failing"].(map[string]any)["high"] = 1
		p["gate"].(map[string]any)["passed"] = false
	})
	expired := pushAlteredReport(t, good, base+"/expired:1", func(p map[string]any) {
		p["waivers"] = []any{map[string]any{"id": "HX-MIN-SHELL", "reason": "e2e", "expires": "2020-01-01", "source": "ignore.yaml:2", "status": "expired"}}
	})
	stale := pushAlteredReport(t, good, base+"/stale:1", func(p map[string]any) { p["validUntil"] = "2020-01-02T00:00:00Z" })
	for _, ref := range []string{failing, expired, stale} {
		signRun(t, ctx, keys, hardened, "sign", ref, "--key", key)
	}
	refusals := map[string]map[string]string{
		// The signature verifies; the report's conditions do not hold, and the refusal says which.
		"failing": {"kyverno": "the signed check report's gate did not pass",
			"policy-controller": "HX-USER-ROOT did not pass: no proof the image runs as a non-root user; a high-severity check failed in the signed check report; the signed check report's gate did not pass"},
		"expired": {"kyverno": "a waiver of the signed check report has expired; renew it and rebuild",
			"policy-controller": "with errors: waiver HX-MIN-SHELL expired on 2020-01-01; renew it and rebuild"},
		"stale": {"kyverno": "the signed check report's validUntil has passed; rebuild",
			"policy-controller": "with errors: the signed check report is valid until 2020-01-02T00:00:00Z, which has passed; rebuild"},
	}
	var cases []admissionCase
	for _, by := range []string{byPlatform, byTag, byIndex} {
		cases = append(cases,
			admissionCase{"the signed build", good, pub, true, nil, by},
			admissionCase{"a failing report", failing, pub, false, refusals["failing"], by},
			admissionCase{"an expired waiver", expired, pub, false, refusals["expired"], by},
			admissionCase{"a validUntil passed", stale, pub, false, refusals["stale"], by},
			admissionCase{"another key", good, wrongPub, false, map[string]string{"kyverno": "no matching signatures",
				"policy-controller": "accepted signatures do not match threshold"}, by},
			admissionCase{"an unsigned image", unsigned, pub, false, map[string]string{"kyverno": "no signatures found",
				"policy-controller": "no matching attestations"}, by})
	}
	tools := map[string]func(t *testing.T, policyDir, img string) (string, error){
		"kyverno": func(t *testing.T, policyDir, _ string) (string, error) {
			return admissionRun(ctx, policyDir, kyverno, "test", ".", "--remove-color", "--detailed-results")
		},
		"policy-controller": func(t *testing.T, policyDir, img string) (string, error) {
			return admissionRun(ctx, policyDir, tester, "--policy", "policy.yaml", "--image", img)
		},
	}
	for tool, admit := range tools {
		t.Run(tool, func(t *testing.T) {
			for _, c := range cases {
				img := admissionImage(t, c)
				policyDir := t.TempDir()
				signRun(t, ctx, keys, hardened, "policy", "--key", c.pub, "--for", tool, "--images", base+"/*",
					"--out", policyDir, "--image", img)
				out, err := admit(t, policyDir, img)
				switch {
				case c.admit && err != nil:
					t.Errorf("%s: %s, by %s, refused %s: %v\n%s", tool, c.what, orPlatform(c.by), img, err, tail(out, 30))
				case !c.admit && err == nil:
					t.Errorf("%s: %s, by %s, was admitted: %s\n%s", tool, c.what, orPlatform(c.by), img, tail(out, 30))
				case !c.admit && !strings.Contains(out, c.why[tool]):
					t.Errorf("%s: %s, by %s, was refused without saying %q:\n%s", tool, c.what, orPlatform(c.by), c.why[tool], tail(out, 30))
				}
				t.Logf("%s, %s, by %s:\n%s", tool, c.what, orPlatform(c.by), tail(out, 12))
			}
		})
	}
}

// admissionImage is the reference the case's pod names.
func admissionImage(t *testing.T, c admissionCase) string {
	t.Helper()
	switch c.by {
	case byTag:
		return c.ref
	case byIndex:
		r, err := name.ParseReference(c.ref)
		if err != nil {
			t.Fatal(err)
		}
		d, err := remote.Head(r)
		if err != nil {
			t.Fatal(err)
		}
		return r.Context().Digest(d.Digest.String()).String()
	}
	return platformImage(t, c.ref)
}

func orPlatform(by string) string {
	if by == byPlatform {
		return "platform digest"
	}
	return by
}

// admissionRun runs an admission tool in the policy's directory, offline but for the stack.
func admissionRun(ctx context.Context, dir, bin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir, cmd.Env = dir, signEnv()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// copyIndex pushes src's index, unchanged, to dst: the same image with none of src's signatures.
func copyIndex(t *testing.T, src, dst string) string {
	t.Helper()
	s, err := name.ParseReference(src)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(s)
	if err != nil {
		t.Fatal(err)
	}
	d, err := name.ParseReference(dst)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(d, idx); err != nil {
		t.Fatal(err)
	}
	return dst
}

// toolBinary builds pkg from the tools module tools/MOD into the stack's tools cache, keyed by
// that module's go.mod, go.sum and the Go that builds it, as cosignBinary does: a machine that
// built it once does not build it again.
func toolBinary(t *testing.T, ctx context.Context, mod, bin, pkg string) string {
	t.Helper()
	modDir := filepath.Join(repoRoot, "tools", mod)
	h := sha256.New()
	for _, f := range []string{"go.mod", "go.sum"} {
		data := readHost(t, filepath.Join(modDir, f))
		fmt.Fprintf(h, "%s %d\n", f, len(data))
		h.Write(data)
	}
	v, err := exec.CommandContext(ctx, "go", "env", "GOVERSION", "GOOS", "GOARCH").Output()
	if err != nil {
		t.Fatal(err)
	}
	h.Write(v)
	dir := filepath.Join(st.CacheDir, "tools", mod+"-"+hex.EncodeToString(h.Sum(nil))[:16])
	path := filepath.Join(dir, bin)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := path + fmt.Sprintf(".tmp-%d", os.Getpid())
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", tmp, pkg)
	cmd.Dir = modDir
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		t.Fatalf("building %s in tools/%s: %v\n%s", pkg, mod, err, tail(string(out), 20))
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	t.Logf("built %s in tools/%s in %s", bin, mod, time.Since(start).Round(time.Second))
	return path
}

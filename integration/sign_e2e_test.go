//go:build integration

package integration

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
)

const checkPredicate = "https://github.com/hardenedbuild/hardened/attestations/check/v1"

// TestSignCosignOracle holds `hardened sign` and `hardened verify` to cosign, built from
// tools/cosign: what hardened signs verifies with cosign in both of its formats (bundle
// referrers, legacy .sig/.att tags), and what cosign signs verifies with hardened, offline,
// with a key pair cosign made. A wrong key and an unsigned image are refused by both.
func TestSignCosignOracle(t *testing.T) {
	t.Parallel() // its own repositories and keys
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cosign := cosignBinary(t, ctx)
	hardened := hardenedBinary(t)
	keys := t.TempDir()
	signRun(t, ctx, keys, cosign, "generate-key-pair")
	other := t.TempDir()
	signRun(t, ctx, other, cosign, "generate-key-pair")
	key, pub, wrongPub := filepath.Join(keys, "cosign.key"), filepath.Join(keys, "cosign.pub"), filepath.Join(other, "cosign.pub")

	dir := copyExample(t, "go")
	base := fmt.Sprintf("%s/sign-e2e/go-%d", st.Registry, time.Now().UnixNano())
	offline := []string{"--insecure-ignore-tlog", "--allow-http-registry"}

	signed := base + "/hardened:1"
	t.Run("hardened signs, cosign verifies", func(t *testing.T) {
		ref := pushSigned(t, ctx, dir, signed)
		out := signRun(t, ctx, keys, hardened, "sign", ref, "--key", key)
		if !strings.Contains(out, ".att") || !strings.Contains(out, "(bundle)") {
			t.Fatalf("hardened sign wrote no .att or no bundle:\n%s", out)
		}
		img := platformImage(t, ref)
		// cosign 3 reads bundles by default and the legacy tags with --new-bundle-format=false.
		for _, format := range [][]string{nil, {"--new-bundle-format=false"}} {
			args := append(append([]string{"verify", "--key", pub}, offline...), format...)
			got := signRun(t, ctx, keys, cosign, append(args, ref)...)
			wantType := map[bool]string{true: "https://sigstore.dev/cosign/sign/v1", false: "cosign container image signature"}[format == nil]
			if !strings.Contains(got, wantType) {
				t.Errorf("cosign %v: no %q signature:\n%s", format, wantType, tail(got, 10))
			}
			signRunFails(t, ctx, keys, cosign, append(append([]string{"verify", "--key", wrongPub}, args[3:]...), ref)...)
			att := append(append([]string{"verify-attestation", "--key", pub, "--type", checkPredicate}, offline...), format...)
			assertCheckStatement(t, signStdout(t, ctx, keys, cosign, append(att, img)...), img)
		}
		signRun(t, ctx, keys, hardened, "verify", ref, "--key", pub, "--recheck")
		signRunFails(t, ctx, keys, hardened, "verify", ref, "--key", wrongPub)
	})

	t.Run("cosign signs, hardened verifies", func(t *testing.T) {
		config := filepath.Join(t.TempDir(), "signing-config.json")
		// A signing config with no services: a key, no transparency log, as air-gapped teams sign.
		signRun(t, ctx, keys, cosign, "signing-config", "create", "--out", config)
		modes := map[string][]string{
			"bundle": {"--signing-config", config},
			"legacy": {"--new-bundle-format=false", "--use-signing-config=false", "--tlog-upload=false"},
		}
		for mode, flags := range modes {
			ref := pushSigned(t, ctx, dir, base+"/cosign-"+mode+":1")
			args := append([]string{"sign", "--key", key, "--recursive", "--allow-http-registry", "-y"}, flags...)
			signRun(t, ctx, keys, cosign, append(args, ref)...)
			out := signRun(t, ctx, keys, hardened, "verify", ref, "--key", pub, "--recheck")
			if !strings.Contains(out, "("+mode+")") || !strings.Contains(out, "verified ") {
				t.Errorf("hardened verify of a cosign %s signature:\n%s", mode, out)
			}
			signRunFails(t, ctx, keys, hardened, "verify", ref, "--key", wrongPub)
		}
	})

	// hardened policy --for cosign is held to cosign itself: the built image is admitted, and the
	// same image with its report changed (then signed) is refused, as hardened verify refuses it.
	t.Run("policy", func(t *testing.T) {
		policy := t.TempDir()
		signRun(t, ctx, keys, hardened, "policy", "--key", pub, "--for", "cosign", "--out", policy, "--image", signed)
		admit := func(ref string) (string, error) {
			args := append(append([]string{"verify-attestation", "--key", pub, "--type", checkPredicate, "--new-bundle-format=false",
				"--policy", filepath.Join(policy, "policy.rego")}, offline...), platformImage(t, ref))
			cmd := exec.CommandContext(ctx, cosign, args...)
			cmd.Env = signEnv()
			out, err := cmd.CombinedOutput()
			return string(out), err
		}
		if out, err := admit(signed); err != nil {
			t.Fatalf("the signed build was refused: %v\n%s", err, tail(out, 10))
		}
		bad := map[string]struct {
			alter func(p map[string]any)
			why   string
		}{
			"an expired waiver": {func(p map[string]any) {
				p["waivers"] = []any{map[string]any{"id": "HX-MIN-SHELL", "reason": "e2e", "expires": "2020-01-01", "source": "ignore.yaml:2", "status": "expired"}}
			}, "expired on 2020-01-01"},
			"validUntil passed": {func(p map[string]any) { p["validUntil"] = "2020-01-02T00:00:00Z" }, "valid until 2020-01-02"},
			"root":              {func(p map[string]any) { setResult(p, "HX-USER-ROOT", "fail") }, "HX-USER-ROOT (high)"},
		}
		for what, c := range bad {
			ref := pushAlteredReport(t, signed, base+"/altered-"+strings.ToLower(strings.ReplaceAll(what, " ", "-"))+":1", c.alter)
			signRun(t, ctx, keys, hardened, "sign", ref, "--key", key)
			if out, err := admit(ref); err == nil {
				t.Errorf("%s: the cosign policy admitted it:\n%s", what, tail(out, 10))
			}
			if out := signRunFails(t, ctx, keys, hardened, "verify", ref, "--key", pub); !strings.Contains(out, c.why) {
				t.Errorf("%s: hardened verify did not say %q:\n%s", what, c.why, out)
			}
		}
	})

	// The ignore file's vulnerabilities, held to the image's packages, signed as OpenVEX that
	// cosign verifies in both formats; a false component_not_present is refused unsigned.
	t.Run("vex", func(t *testing.T) {
		ref := pushSigned(t, ctx, dir, base+"/vex:1")
		ignore := filepath.Join(t.TempDir(), "ignore.yaml")
		writeFile(t, ignore, "vulnerabilities:\n  - id: CVE-2024-0002\n    package: gcc-14\n    reason: the compiler is in the builder only\n"+
			"  - id: CVE-2024-0001\n    package: tzdata\n    justification: vulnerable_code_not_in_execute_path\n    reason: the server reads no time zone\n")
		out := signRun(t, ctx, keys, hardened, "sign", ref, "--key", key, "--vex", ignore)
		if !strings.Contains(out, "https://openvex.dev/ns/v0.2.0 attestation") {
			t.Fatalf("no VEX signed:\n%s", out)
		}
		img := platformImage(t, ref)
		for _, format := range [][]string{nil, {"--new-bundle-format=false"}} {
			args := append(append([]string{"verify-attestation", "--key", pub, "--type", "https://openvex.dev/ns/v0.2.0"}, offline...), format...)
			got := signStdout(t, ctx, keys, cosign, append(args, img)...)
			if !strings.Contains(got, "payload") {
				t.Errorf("cosign %v printed no VEX envelope:\n%.500s", format, got)
			}
		}
		writeFile(t, ignore, "vulnerabilities:\n  - id: CVE-2024-0003\n    package: tzdata\n    justification: component_not_present\n    reason: wrong\n")
		if out := signRunFails(t, ctx, keys, hardened, "sign", ref, "--key", key, "--vex", ignore); !strings.Contains(out, "tzdata is in the image") {
			t.Errorf("a false component_not_present:\n%s", out)
		}
	})

	t.Run("unsigned", func(t *testing.T) {
		ref := pushSigned(t, ctx, dir, base+"/unsigned:1")
		if out := signRunFails(t, ctx, keys, hardened, "verify", ref, "--key", pub); !strings.Contains(out, "no signature that verifies with this key") {
			t.Errorf("hardened verify of an unsigned image:\n%s", out)
		}
		signRunFails(t, ctx, keys, cosign, append(append([]string{"verify", "--key", pub}, offline...), ref)...)
	})
}

// pushAlteredReport copies src's index to dst with each check report's predicate changed by
// alter: the same platform images, a report that says something else.
func pushAlteredReport(t *testing.T, src, dst string, alter func(map[string]any)) string {
	t.Helper()
	r, err := name.ParseReference(src)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(r)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var out v1.ImageIndex = mutate.IndexMediaType(empty.Index, im.MediaType)
	for _, m := range im.Manifests {
		img, err := idx.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if m.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
			img = alterAttestation(t, img, alter)
		}
		out = mutate.AppendManifests(out, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: m.Platform, Annotations: m.Annotations}})
	}
	d, err := name.ParseReference(dst)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(d, out); err != nil {
		t.Fatal(err)
	}
	return dst
}

// alterAttestation rebuilds an attestation manifest with its check report's predicate altered.
func alterAttestation(t *testing.T, img v1.Image, alter func(map[string]any)) v1.Image {
	t.Helper()
	mf, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	var att v1.Image = mutate.ConfigMediaType(mutate.MediaType(empty.Image, mf.MediaType), mf.Config.MediaType)
	for _, l := range mf.Layers {
		layer, err := img.LayerByDigest(l.Digest)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := layer.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if l.Annotations["in-toto.io/predicate-type"] == checkPredicate {
			var st map[string]any
			if err := json.Unmarshal(data, &st); err != nil {
				t.Fatal(err)
			}
			alter(st["predicate"].(map[string]any))
			data, _ = json.Marshal(st)
		}
		att, err = mutate.Append(att, mutate.Addendum{Layer: static.NewLayer(data, l.MediaType), MediaType: l.MediaType, Annotations: l.Annotations})
		if err != nil {
			t.Fatal(err)
		}
	}
	return att
}

// setResult sets one check's status in a report predicate.
func setResult(p map[string]any, id, status string) {
	for _, r := range p["results"].([]any) {
		if res := r.(map[string]any); res["id"] == id {
			res["status"] = status
		}
	}
}

// pushSigned builds the example with its attestations (the check report rides on provenance)
// and pushes it to ref in the stack's registry; extra are more build flags (--platform).
func pushSigned(t *testing.T, ctx context.Context, dir, ref string, extra ...string) string {
	t.Helper()
	args := append([]string{"build", "--provenance=true", "-f", filepath.Join(dir, "hardened.yaml")}, extra...)
	build(t, st.Buildx(ctx, append(args, "-o", "type=image,name="+ref+",push=true,registry.insecure=true", dir)...))
	return ref
}

// platformImage is the repository@digest of the index's first platform image.
func platformImage(t *testing.T, ref string) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(r)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range im.Manifests {
		if m.Annotations["vnd.docker.reference.type"] == "" {
			return r.Context().Digest(m.Digest.String()).String()
		}
	}
	t.Fatalf("%s has no platform image", ref)
	return ""
}

// assertCheckStatement reads the DSSE envelopes cosign printed and wants the check report
// about img among them, with its gate passed.
func assertCheckStatement(t *testing.T, out, img string) {
	t.Helper()
	digest := img[strings.LastIndex(img, "@sha256:")+len("@sha256:"):]
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var env struct {
			Payload string `json:"payload"`
		}
		if json.Unmarshal([]byte(line), &env) != nil {
			continue
		}
		payload, _ := base64.StdEncoding.DecodeString(env.Payload)
		var st struct {
			PredicateType string `json:"predicateType"`
			Subject       []struct {
				Digest map[string]string `json:"digest"`
			} `json:"subject"`
			Predicate struct {
				Gate struct {
					Passed bool `json:"passed"`
				} `json:"gate"`
			} `json:"predicate"`
		}
		if json.Unmarshal(payload, &st) == nil && st.PredicateType == checkPredicate &&
			len(st.Subject) > 0 && st.Subject[0].Digest["sha256"] == digest && st.Predicate.Gate.Passed {
			return
		}
	}
	t.Errorf("cosign printed no passing check report about %s:\n%.2000s", img, out)
}

// signEnv is the environment of the key commands: the test's passphrase, the stack's docker config.
func signEnv() []string {
	return append(os.Environ(), append(st.Env(), "COSIGN_PASSWORD=e2e-passphrase")...)
}

// signCmd runs bin with args in dir under the signing tests' environment.
func signCmd(ctx context.Context, dir, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir, cmd.Env = dir, signEnv()
	return cmd
}

func signRun(t *testing.T, ctx context.Context, dir, bin string, args ...string) string {
	t.Helper()
	out, err := signCmd(ctx, dir, bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, tail(string(out), 30))
	}
	return string(out)
}

func signStdout(t *testing.T, ctx context.Context, dir, bin string, args ...string) string {
	t.Helper()
	out, err := signCmd(ctx, dir, bin, args...).Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, tail(string(out), 30))
	}
	return string(out)
}

func signRunFails(t *testing.T, ctx context.Context, dir, bin string, args ...string) string {
	t.Helper()
	out, err := signCmd(ctx, dir, bin, args...).CombinedOutput()
	if err == nil {
		t.Fatalf("%s %s succeeded, want a refusal:\n%s", filepath.Base(bin), strings.Join(args, " "), tail(string(out), 20))
	}
	return string(out)
}

// hardenedBinary builds the CLI from the working tree into the test's temporary directory.
func hardenedBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hardened")
	if out, err := exec.Command("go", "build", "-o", bin, filepath.Join(repoRoot, "cmd", "hardened")).CombinedOutput(); err != nil {
		t.Fatalf("building hardened: %v\n%s", err, out)
	}
	return bin
}

// cosignBinary builds cosign from tools/cosign into the stack's tools cache, keyed by that
// module's go.mod, go.sum and the Go that builds it, as the stack caches buildkitd: a machine
// that built it once does not build it again (about four minutes on two CPUs).
func cosignBinary(t *testing.T, ctx context.Context) string {
	t.Helper()
	mod := filepath.Join(repoRoot, "tools", "cosign")
	h := sha256.New()
	for _, f := range []string{"go.mod", "go.sum"} {
		data := readHost(t, filepath.Join(mod, f))
		fmt.Fprintf(h, "%s %d\n", f, len(data))
		h.Write(data)
	}
	v, err := exec.CommandContext(ctx, "go", "env", "GOVERSION", "GOOS", "GOARCH").Output()
	if err != nil {
		t.Fatal(err)
	}
	h.Write(v)
	dir := filepath.Join(st.CacheDir, "tools", "cosign-"+hex.EncodeToString(h.Sum(nil))[:16])
	bin := filepath.Join(dir, "cosign")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := bin + fmt.Sprintf(".tmp-%d", os.Getpid())
	cmd := exec.CommandContext(ctx, "go", "build", "-o", tmp, "github.com/sigstore/cosign/v3/cmd/cosign")
	cmd.Dir = mod
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		t.Fatalf("building cosign in tools/cosign: %v\n%s", err, tail(string(out), 20))
	}
	if err := os.Rename(tmp, bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildSecretsReachNoOutput: a build that uses a netrc file secret and a token as an
// environment secret gets both in its steps, and the token is in no output a build
// leaves: not in any layer or blob of the image, its config and history, the SBOM and
// provenance attestations, the exported build cache, or the build's log.
func TestBuildSecretsReachNoOutput(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	ctx := context.Background()
	dir := copyExample(t, "go")
	spec := filepath.Join(dir, "hardened.yaml")
	writeFile(t, spec, string(readHost(t, spec))+`build:
  env: {GOPRIVATE: example.com/private}
  secrets:
    - {id: netrc, target: /root/.netrc}
    - {id: npm_token, env: NPM_TOKEN}
  steps:
    - name: use the build secrets
      run: [sh, -c, 'grep -q "^machine example.com" /root/.netrc && test "${#NPM_TOKEN}" -gt 20']
`)
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	token := "hbtok-" + hex.EncodeToString(raw)
	tmp := t.TempDir()
	netrc := filepath.Join(tmp, "netrc")
	writeFile(t, netrc, "machine example.com login ci password "+token+"\n")

	// Without the secrets the build stops at the first step that needs one, naming it.
	out := buildFails(t, st.Buildx(ctx, "build", "-f", spec, "-o", "type=oci,dest="+filepath.Join(tmp, "none.tar"), dir))
	if !strings.Contains(out, "netrc") {
		t.Errorf("a build without --secret id=netrc does not name the secret:\n%s", tail(out, 20))
	}

	image := filepath.Join(tmp, "app.tar")
	cache := filepath.Join(tmp, "cache")
	cmd := st.Buildx(ctx, "build", "--secret", "id=netrc,src="+netrc, "--secret", "id=npm_token,env=NPM_TOKEN",
		"--sbom=true", "--provenance=mode=max", "--cache-to", "type=local,mode=max,dest="+cache,
		"-f", spec, "-o", "type=oci,dest="+image, dir)
	cmd.Env = append(cmd.Env, "NPM_TOKEN="+token)
	log := build(t, cmd)
	if !strings.Contains(log, "use the build secrets") {
		t.Fatalf("the step that uses the secrets did not run:\n%s", tail(log, 30))
	}

	if strings.Contains(log, token) {
		t.Error("the build log holds the token")
	}
	scanned := scanForSecret(t, image, token) + scanForSecret(t, cache, token)
	if scanned < 5 {
		t.Errorf("scanned %d blobs; want the image's layers, config, attestations and the cache", scanned)
	}
	// The attestations were really there to scan.
	if len(predicates(t, image, "https://spdx.dev/Document")) == 0 {
		t.Error("no SBOM in the output to scan")
	}
	if len(predicates(t, image, "https://slsa.dev/provenance/v0.2")) == 0 && len(predicates(t, image, "https://slsa.dev/provenance/v1")) == 0 {
		t.Error("no provenance in the output to scan")
	}
}

// scanForSecret fails the test for every file (an OCI tar's entries, a cache directory's
// blobs), decompressed when gzipped and looked into when a tar, that holds secret; it
// returns how many blobs it read.
func scanForSecret(t *testing.T, path, secret string) int {
	t.Helper()
	n := 0
	check := func(name string, r io.Reader) {
		dt, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		n++
		for _, found := range containsSecret(dt, []byte(secret)) {
			t.Errorf("%s holds the secret (%s)", name, found)
		}
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !info.IsDir() {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		tr := tar.NewReader(f)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Typeflag == tar.TypeReg {
				check(path+":"+h.Name, tr)
			}
		}
		return n
	}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		check(p, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// containsSecret looks for secret in a blob as it is, gunzipped, and in each file of it
// when it is a tar (a layer); it says where it found it.
func containsSecret(dt, secret []byte) []string {
	var found []string
	if bytes.Contains(dt, secret) {
		found = append(found, "raw")
	}
	if zr, err := gzip.NewReader(bytes.NewReader(dt)); err == nil {
		if plain, err := io.ReadAll(zr); err == nil {
			dt = plain
			if bytes.Contains(plain, secret) {
				found = append(found, "gunzipped")
			}
		}
	}
	tr := tar.NewReader(bytes.NewReader(dt))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if strings.Contains(h.Name, string(secret)) {
			found = append(found, "file name "+h.Name)
		}
		if body, err := io.ReadAll(tr); err == nil && bytes.Contains(body, secret) {
			found = append(found, "file "+h.Name)
		}
	}
	return found
}

//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
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
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/audit/image"
	"github.com/hardenedbuild/hardened/lockfile"
)

// TestRebase builds examples/go on the distroless static stand-in (base X, pinned by its lock), makes a
// second digest of that base (Y: one more file and a label, pushed under another tag of the same
// repository), and runs `hardened rebase --lock` onto Y: the result runs as 65532, has no setuid file,
// its labels name Y, `hardened check` passes, and a rebuild with the lock rebase updated gives the same
// platform image, digest for digest. A base that gains a setuid file (Y2) has its setuid-clearing layer
// made again by rebase. The VEX the original was signed with is carried to the rebased image.
func TestRebase(t *testing.T) {
	t.Parallel() // its own repositories and tags
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	hardened := hardenedBinary(t)
	dir := copyExample(t, "go")
	spec := filepath.Join(dir, "hardened.yaml")
	lockPath := filepath.Join(dir, lockfile.Filename)
	lockExample(t, dir)
	run := fmt.Sprintf("%d", time.Now().UnixNano())
	repo := st.Registry + "/rebase-e2e/go-" + run
	pushWith := func(tag string, attest ...string) string {
		args := append(append([]string{"build"}, attest...), "-f", spec, "-o", "type=image,name="+repo+":"+tag+",push=true,registry.insecure=true", dir)
		build(t, st.Buildx(ctx, args...))
		return repo + ":" + tag
	}
	push := func(tag string) string { return pushWith(tag, "--provenance=true", "--sbom=true") }
	built := push("on-x")
	key, pub := pemKeyPair(t)
	signWithVEX(t, ctx, hardened, built, key)

	baseRepo := st.Registry + "/distroless/static-debian13"
	for _, c := range []struct {
		name  string
		extra extraFile
	}{
		{"plain", extraFile{path: "etc/rebase-e2e", mode: 0o644}},
		{"setuid", extraFile{path: "usr/bin/rebase-e2e-su", mode: 0o4755}},
	} {
		t.Run(c.name, func(t *testing.T) {
			y := derivedBase(t, baseRepo+":nonroot", baseRepo+":rebase-e2e-"+c.name+"-"+run, c.extra, run)
			rebased := repo + ":rebased-" + c.name
			start := time.Now()
			out := runHardened(t, ctx, hardened, "rebase", built, "--base", baseRepo+"@"+y, "--from", baseRepo, "--lock", lockPath, "--tag", rebased, "--key", key)
			t.Logf("hardened rebase (and sign) took %v:\n%s", time.Since(start).Round(10*time.Millisecond), out)
			// Signed as hardened sign signs, with attestations that hold for the new image's bytes.
			runHardened(t, ctx, hardened, "verify", rebased, "--key", pub, "--recheck")
			assertCarriedVEX(t, ctx, out, rebased, pub)
			if c.extra.mode&0o6000 != 0 && !strings.Contains(out, "/"+c.extra.path) {
				t.Errorf("rebase did not clear %s again:\n%s", c.extra.path, out)
			}
			l, err := lockfile.Parse(lockPath, readHost(t, lockPath))
			if err != nil {
				t.Fatal(err)
			}
			if ref, dgst, _ := l.Entry("linux/amd64", "base"); ref != "gcr.io/distroless/static-debian13:nonroot" || dgst != y {
				t.Fatalf("the lock's base entry is %s@%s, want gcr.io/distroless/static-debian13:nonroot@%s", ref, dgst, y)
			}
			img := remoteImage(t, platformImage(t, rebased))
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if got := cf.Config.Labels["org.opencontainers.image.base.digest"]; got != y {
				t.Errorf("base.digest label %s, want %s", got, y)
			}
			if cf.Config.Labels["io.hardenedbuild.e2e.base"] != run {
				t.Errorf("the new base's label is not inherited: %v", cf.Config.Labels)
			}
			assertNoSpecialFiles(t, ctx, platformImage(t, rebased))
			assertRebasedSBOMs(t, rebased)
			assertServes(t, img)
			runHardened(t, ctx, hardened, "check", rebased)

			// A rebuild on Y, from the lock rebase wrote, is the same platform image.
			rebuilt := push("rebuilt-" + c.name)
			got, want := platformImage(t, rebased), platformImage(t, rebuilt)
			if digestPart(got) != digestPart(want) {
				t.Errorf("rebase gave %s, a rebuild on the same base %s", digestPart(got), digestPart(want))
				diffImages(t, img, remoteImage(t, want))
			}
			if c.extra.mode&0o6000 == 0 {
				return
			}
			// Without attestations the build proves the rest instead of walking the image, and clears the
			// base's bits in a copy step of another name: rebase matches the attested build, not this one.
			plain := remoteImage(t, pushWith("unattested-"+c.name, "--provenance=false"))
			pcf, err := plain.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			last := pcf.History[len(pcf.History)-1].CreatedBy
			if d, _ := plain.Digest(); d.String() == digestPart(got) || last != "strip setuid/setgid bits from the base" {
				t.Errorf("a build without attestations: %s, last layer %q; want another digest than the rebase's and llb.StripSetuid's layer", d, last)
			}
		})
	}
}

type extraFile struct {
	path string
	mode int64
}

// derivedBase pushes every platform image of from with one more file and a label, as another digest of
// the same base, and returns the index digest.
func derivedBase(t *testing.T, from, to string, f extraFile, label string) string {
	t.Helper()
	src, err := name.ParseReference(from)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(src)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var adds []mutate.IndexAddendum
	for _, m := range im.Manifests {
		img, err := idx.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		layer := tarLayer(t, f.path, f.mode, "rebase e2e "+label+"\n")
		img, err = mutate.Append(img, mutate.Addendum{Layer: layer, MediaType: types.OCILayer,
			History: v1.History{Created: v1.Time{Time: time.Unix(0, 0).UTC()}, CreatedBy: "rebase e2e: " + f.path}})
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf = cf.DeepCopy()
		if cf.Config.Labels == nil {
			cf.Config.Labels = map[string]string{}
		}
		cf.Config.Labels["io.hardenedbuild.e2e.base"] = label
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			t.Fatal(err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: m.Platform}})
	}
	out := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...)
	dst, err := name.ParseReference(to)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(dst, out); err != nil {
		t.Fatal(err)
	}
	d, err := out.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func runHardened(t *testing.T, ctx context.Context, bin string, args ...string) string {
	t.Helper()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("hardened %s: %v\n%s", strings.Join(args, " "), err, tail(string(out), 40))
	}
	return string(out)
}

func remoteImage(t *testing.T, ref string) v1.Image {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func digestPart(ref string) string { return ref[strings.LastIndex(ref, "@")+1:] }

// diffImages says what differs between two platform images: their layers and their configs.
func diffImages(t *testing.T, a, b v1.Image) {
	t.Helper()
	ma, _ := a.Manifest()
	mb, _ := b.Manifest()
	for i := 0; i < max(len(ma.Layers), len(mb.Layers)); i++ {
		var da, db string
		if i < len(ma.Layers) {
			da = ma.Layers[i].Digest.String() + " " + string(ma.Layers[i].MediaType)
		}
		if i < len(mb.Layers) {
			db = mb.Layers[i].Digest.String() + " " + string(mb.Layers[i].MediaType)
		}
		if da != db {
			t.Logf("layer %d: rebase %s, rebuild %s", i, da, db)
		}
	}
	ca, _ := a.RawConfigFile()
	cb, _ := b.RawConfigFile()
	if string(ca) != string(cb) {
		t.Logf("config:\nrebase  %s\nrebuild %s", ca, cb)
	}
}

// assertNoSpecialFiles reads the image as hardened check does (its layers merged) and wants no setuid or
// setgid file: a base's own layer may hold one that a layer above clears.
func assertNoSpecialFiles(t *testing.T, ctx context.Context, ref string) {
	t.Helper()
	tg, err := image.Load(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	special, err := audit.SpecialFiles(ctx, tg.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range special {
		t.Errorf("%s: %s has mode %v", ref, e.Path, e.Mode)
	}
}

// tarLayer is a layer of one file at p with its parent directories, root's, at the epoch.
func tarLayer(t *testing.T, p string, mode int64, content string) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	parts := strings.Split(p, "/")
	for i := 1; i < len(parts); i++ {
		_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: strings.Join(parts[:i], "/") + "/", Mode: 0o755, ModTime: time.Unix(0, 0), Format: tar.FormatPAX})
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: p, Mode: mode, Size: int64(len(content)), ModTime: time.Unix(0, 0), Format: tar.FormatPAX}); err != nil {
		t.Fatal(err)
	}
	_, _ = tw.Write([]byte(content))
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	dt := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(dt)), nil }, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// pemKeyPair writes a PKCS#8 ECDSA P-256 private key and its public key as openssl writes them.
func pemKeyPair(t *testing.T) (key, pub string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	key, pub = filepath.Join(dir, "key.pem"), filepath.Join(dir, "key.pub")
	writeFile(t, key, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
	writeFile(t, pub, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})))
	return key, pub
}

// assertRebasedSBOMs wants the rebased image's two SPDX documents: the image's, with the new base's Debian
// packages and the app's Go modules, and the builder stage's, carried over.
func assertRebasedSBOMs(t *testing.T, ref string) {
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
	docs := map[string]string{}
	for _, m := range im.Manifests {
		if m.Annotations["vnd.docker.reference.type"] != "attestation-manifest" {
			continue
		}
		att, err := idx.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		am, err := att.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range am.Layers {
			if l.Annotations["in-toto.io/predicate-type"] != "https://spdx.dev/Document" {
				continue
			}
			layer, err := att.LayerByDigest(l.Digest)
			if err != nil {
				t.Fatal(err)
			}
			rc, err := layer.Compressed()
			if err != nil {
				t.Fatal(err)
			}
			dt, _ := io.ReadAll(rc)
			rc.Close()
			var st struct {
				Predicate struct {
					Name string `json:"name"`
				} `json:"predicate"`
			}
			if err := json.Unmarshal(dt, &st); err != nil {
				t.Fatal(err)
			}
			docs[st.Predicate.Name] = string(dt)
		}
	}
	if !strings.Contains(docs["image"], "pkg:deb/debian/base-files@") || !strings.Contains(docs["image"], "pkg:golang/") {
		t.Errorf("the image SBOM lacks the base's packages or the app's modules:\n%s", tail(docs["image"], 20))
	}
	if docs["builder"] == "" {
		t.Errorf("the builder stage's SBOM was not carried over (documents: %v)", len(docs))
	}
}

package rebase

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// file is one entry of a test layer.
type file struct {
	path string
	mode int64
	data string
	dir  bool
}

func layerOf(t *testing.T, files ...file) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.path, Mode: f.mode, Size: int64(len(f.data)), Typeflag: tar.TypeReg, ModTime: time.Unix(1700000000, 0), Format: tar.FormatPAX}
		if f.dir {
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	dt := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(dt)), nil },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// debianBase is a distroless-like base: os-release and libc6's status.d entry at glibc, plus extra files.
func debianBase(t *testing.T, glibcVersion string, extra ...file) v1.Image {
	t.Helper()
	files := []file{
		{path: "etc/", mode: 0o755, dir: true},
		{path: "etc/os-release", mode: 0o644, data: "ID=debian\nVERSION_ID=\"13\"\n"},
		{path: "etc/passwd", mode: 0o644, data: "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"},
	}
	if glibcVersion != "" {
		files = append(files, file{path: "var/lib/dpkg/status.d/libc6", mode: 0o644,
			data: "Package: libc6\nVersion: " + glibcVersion + "\nArchitecture: amd64\n"})
	}
	return imageOf(t, nil, "distroless: base-files", map[string]string{"base.vendor": "test"}, []string{"PATH=/usr/bin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}, append(files, extra...)...)
}

// imageOf is base (or nothing) with one more layer of files, made by step.
func imageOf(t *testing.T, base v1.Image, step string, labels map[string]string, env []string, files ...file) v1.Image {
	t.Helper()
	img := base
	comment := exporterComment
	if img == nil {
		img = mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
		comment = ""
	}
	epoch := v1.Time{Time: time.Unix(0, 0).UTC()}
	img, err := mutate.Append(img, mutate.Addendum{Layer: layerOf(t, files...), MediaType: types.OCILayer,
		History: v1.History{Created: epoch, CreatedBy: step, Comment: comment}})
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = "linux", "amd64", epoch
	if cf.Config.Labels == nil {
		cf.Config.Labels = map[string]string{}
	}
	for k, v := range labels {
		cf.Config.Labels[k] = v
	}
	if env != nil {
		cf.Config.Env = env
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// appImage is what the frontend builds on base (pushed at baseRef): /app/server, running as 65532.
func appImage(t *testing.T, base v1.Image, baseRef string, server []byte) v1.Image {
	t.Helper()
	d, err := base.Digest()
	if err != nil {
		t.Fatal(err)
	}
	img := imageOf(t, base, "copy artifacts to /app (root-owned, modes 0644/0755)",
		map[string]string{"org.opencontainers.image.base.name": baseRef, "org.opencontainers.image.base.digest": d.String(), "org.opencontainers.image.title": "app"},
		[]string{"PATH=/usr/bin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "ADDR=:8080"},
		file{path: "app/", mode: 0o755, dir: true}, file{path: "app/server", mode: 0o755, data: string(server)})
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.Config.User, cf.Config.Entrypoint, cf.Config.WorkingDir = "65532:65532", []string{"/app/server"}, "/app"
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// elfBinary is a minimal x86-64 ELF executable: static, or dynamic naming interp as its interpreter.
func elfBinary(interp string) []byte {
	var b bytes.Buffer
	phnum := uint16(0)
	if interp != "" {
		phnum = 1
	}
	le := binary.LittleEndian
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	for _, v := range []any{uint16(2), uint16(62), uint32(1), uint64(0x401000), uint64(64), uint64(0), uint32(0),
		uint16(64), uint16(56), phnum, uint16(64), uint16(0), uint16(0)} {
		_ = binary.Write(&b, le, v)
	}
	if interp != "" {
		s := append([]byte(interp), 0)
		off := uint64(64 + 56)
		for _, v := range []any{uint32(3), uint32(4), off, off, off, uint64(len(s)), uint64(len(s)), uint64(1)} {
			_ = binary.Write(&b, le, v)
		}
		b.Write(s)
	}
	return b.Bytes()
}

// testRegistry is an in-memory registry; push writes img at repo:tag and returns the reference.
type testRegistry struct {
	t    *testing.T
	host string
}

func newRegistry(t *testing.T) *testRegistry {
	t.Helper()
	s := httptest.NewServer(registry.New(registry.Logger(nilLogger())))
	t.Cleanup(s.Close)
	return &testRegistry{t: t, host: strings.TrimPrefix(s.URL, "http://")}
}

func (r *testRegistry) push(repoTag string, img v1.Image) (tag, pinned string) {
	r.t.Helper()
	ref, err := name.ParseReference(r.host + "/" + repoTag)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		r.t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		r.t.Fatal(err)
	}
	return ref.String(), ref.Context().String() + "@" + d.String()
}

func nilLogger() *log.Logger { return log.New(io.Discard, "", 0) }

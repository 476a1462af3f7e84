package image_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/audit/image"
	. "github.com/hardenedbuild/hardened/internal/imagetest"
)

var ctx = context.Background()

func load(t *testing.T, img v1.Image, opts ...image.Option) *audit.Target {
	t.Helper()
	tg, err := image.FromImage(ctx, img, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// index loads an image and reads its layers, where most problems show.
func index(img v1.Image, opts ...image.Option) error {
	tg, err := image.FromImage(ctx, img, opts...)
	if err != nil {
		return err
	}
	_, err = tg.FS.ReadDir(ctx, "/")
	return err
}

func read(t *testing.T, fsys audit.FS, p string) string {
	t.Helper()
	d, err := fsys.ReadFile(ctx, p)
	if err != nil {
		t.Fatalf("ReadFile(%s): %v", p, err)
	}
	return string(d)
}

func absent(t *testing.T, fsys audit.FS, p string) {
	t.Helper()
	if e, err := fsys.Stat(ctx, p); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s: %+v, %v; want it absent", p, e, err)
	}
}

func TestMergedFilesystem(t *testing.T) {
	img := Image(t, v1.ConfigFile{OS: "linux", Architecture: "amd64"},
		Step{Files: []File{
			Dir("/etc", 0o755), Reg("/etc/a", 0o644, "a1"), Reg("/etc/b", 0o644, "b"),
			Dir("/data", 0o755), Reg("/data/old", 0o644, "old"), Dir("/data/sub", 0o755), Reg("/data/sub/x", 0o644, "x"),
			Dir("/usr", 0o755), Dir("/usr/lib", 0o755), Symlink("/lib", "usr/lib"),
			Reg("/bin-target", 0o755, "binary"),
		}},
		Step{Files: []File{
			Reg("/etc/a", 0o600, "a2"),                                           // replaced
			Whiteout("/etc/b"),                                                   // deleted
			Reg("/data/.wh..wh..opq", 0o644, ""), Reg("/data/new", 0o644, "new"), // opaque: only new stays
			Reg("/lib/libfoo.so", 0o644, "lib"),             // written through the /lib symlink
			Hardlink("/hard", "/bin-target"),                // a hard link shares content
			Reg("/implicit/parent/file", 0o644, "implicit"), // parents made on the way
		}},
	)
	fsys := load(t, img).FS
	if got := read(t, fsys, "/etc/a"); got != "a2" {
		t.Errorf("/etc/a = %q, want the upper layer's", got)
	}
	if e, _ := fsys.Stat(ctx, "/etc/a"); e.Mode.Perm() != 0o600 {
		t.Errorf("/etc/a mode %v", e.Mode)
	}
	absent(t, fsys, "/etc/b")
	absent(t, fsys, "/data/old")
	absent(t, fsys, "/data/sub")
	if got := read(t, fsys, "/data/new"); got != "new" {
		t.Errorf("/data/new = %q", got)
	}
	if got := read(t, fsys, "/usr/lib/libfoo.so"); got != "lib" {
		t.Errorf("through the symlinked parent: %q", got)
	}
	if got := read(t, fsys, "/lib/libfoo.so"); got != "lib" {
		t.Errorf("reading through /lib: %q", got)
	}
	if e, err := fsys.Stat(ctx, "/lib"); err != nil || e.Mode&fs.ModeSymlink == 0 || e.Linkname != "usr/lib" {
		t.Errorf("Stat does not follow the last link: %+v %v", e, err)
	}
	if got := read(t, fsys, "/hard"); got != "binary" {
		t.Errorf("hard link: %q", got)
	}
	if got := read(t, fsys, "/implicit/parent/file"); got != "implicit" {
		t.Errorf("implicit parents: %q", got)
	}
	var paths []string
	if err := audit.Walk(ctx, fsys, "/", func(e audit.Entry) error { paths = append(paths, e.Path); return nil }); err != nil {
		t.Fatal(err)
	}
	want := "/bin-target /data /data/new /etc /etc/a /hard /implicit /implicit/parent /implicit/parent/file /lib /usr /usr/lib /usr/lib/libfoo.so"
	if got := strings.Join(paths, " "); got != want {
		t.Errorf("walk:\n got %s\nwant %s", got, want)
	}
}

func TestHostileNamesStayInside(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(dir, "escaped")
	img := Image(t, v1.ConfigFile{OS: "linux", Architecture: "amd64"}, Step{Files: []File{
		Reg("../../../../"+strings.TrimPrefix(outside, "/"), 0o644, "nope"),
		Reg("/abs/file", 0o644, "abs"),
		Symlink("/link", "../../../../../etc/passwd"),
		Symlink("/loop1", "loop2"), Symlink("/loop2", "loop1"),
		Hardlink("/hl", "../../../../etc/shadow"),
	}})
	fsys := load(t, img).FS
	if _, err := os.Stat(outside); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("something was written outside: %v", err)
	}
	if got := read(t, fsys, outside); got != "nope" {
		t.Errorf("a ../ name lands under the root: %q", got)
	}
	if got := read(t, fsys, "/abs/file"); got != "abs" {
		t.Errorf("absolute name: %q", got)
	}
	if _, err := fsys.ReadFile(ctx, "/link"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a link out of the root must resolve inside it (to nothing here): %v", err)
	}
	if _, err := fsys.ReadFile(ctx, "/loop1"); err == nil || !strings.Contains(err.Error(), "too many levels") {
		t.Errorf("a link loop: %v", err)
	}
	if _, err := fsys.ReadFile(ctx, "/hl"); err == nil {
		t.Errorf("a hard link to nothing read as a file")
	}
}

func TestLazyContent(t *testing.T) {
	big := strings.Repeat("0123456789", 1000)
	img := Image(t, v1.ConfigFile{OS: "linux", Architecture: "amd64"}, Step{Files: []File{Reg("/big", 0o644, big), Reg("/small", 0o644, "s")}})
	tg := load(t, img, image.WithLimits(image.Limits{MaxInline: 100}))
	if got := read(t, tg.FS, "/big"); got != big {
		t.Errorf("a file over the inline limit reads back %d bytes", len(got))
	}
	tg = load(t, img, image.WithLimits(image.Limits{MaxInline: 100, MaxReadFile: 1000}))
	var le *image.LimitError
	if _, err := tg.FS.ReadFile(ctx, "/big"); !errors.As(err, &le) {
		t.Errorf("over MaxReadFile: %v", err)
	}
}

func TestLimits(t *testing.T) {
	var files []File
	for i := 0; i < 20; i++ {
		files = append(files, Reg("/f"+strings.Repeat("x", i), 0o644, strings.Repeat("y", 1000)))
	}
	img := Image(t, v1.ConfigFile{OS: "linux", Architecture: "amd64"}, Step{Files: files}, Step{Files: files[:1]})
	for _, tc := range []struct {
		name string
		lim  image.Limits
		want string
	}{
		{"entries", image.Limits{MaxEntries: 10}, "more tar entries in its layers than the limit of 10"},
		{"bytes", image.Limits{MaxBytes: 5000}, "more uncompressed bytes in its layers than the limit of 5000"},
		{"layers", image.Limits{MaxLayers: 1}, "more layers than the limit of 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := index(img, image.WithLimits(tc.lim))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCorruptLayers(t *testing.T) {
	notTar := Image(t, v1.ConfigFile{OS: "linux", Architecture: "amd64"}, Step{Raw: bytes.Repeat([]byte("garbage!"), 200)})
	if err := index(notTar); err == nil || !strings.Contains(err.Error(), "the blob is corrupt or not a tar") {
		t.Errorf("garbage layer: %v", err)
	}

	// A config whose diff id does not match its layer.
	img := Image(t, v1.ConfigFile{OS: "linux", Architecture: "amd64"}, Step{Files: []File{Reg("/a", 0o644, "a")}})
	cf, _ := img.ConfigFile()
	cf.RootFS.DiffIDs[0] = v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("0", 64)}
	bad, err := mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	if err := index(bad); err == nil || !strings.Contains(err.Error(), "not to the config's diff id") {
		t.Errorf("diff id mismatch: %v", err)
	}

	// A blob changed on disk in a layout.
	dir := writeLayout(t, Clean(t), "v1")
	blobs, _ := filepath.Glob(filepath.Join(dir, "blobs", "sha256", "*"))
	for _, b := range blobs {
		if fi, _ := os.Stat(b); fi.Size() > 400 { // a layer, not a manifest or config
			if err := os.WriteFile(b, append([]byte{0x1f, 0x8b}, bytes.Repeat([]byte{0}, int(fi.Size())-2)...), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	tg, err := image.Load(ctx, dir)
	if err == nil {
		_, err = audit.Run(ctx, tg)
	}
	if err == nil || !(strings.Contains(err.Error(), "corrupt") || strings.Contains(err.Error(), "gzip")) {
		t.Errorf("corrupt blob in a layout: %v", err)
	}
}

func writeLayout(t *testing.T, img v1.Image, tag string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "layout")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": tag})); err != nil {
		t.Fatal(err)
	}
	return dir
}

// tarDir packs a directory into a tar file, as an OCI archive is.
func tarDir(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "image.tar")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	err = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if err := tw.WriteHeader(&tar.Header{Name: rel, Mode: 0o644, Size: fi.Size(), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		d, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = tw.Write(d)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return out
}

func TestSources(t *testing.T) {
	img := Clean(t)
	digest, _ := img.Digest()
	dir := writeLayout(t, img, "v1")
	archive := tarDir(t, dir)
	dockerTar := filepath.Join(t.TempDir(), "docker.tar")
	tag, _ := name.NewTag("example.com/app:v1")
	if err := tarball.WriteToFile(dockerTar, tag, img); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		src        string
		name       string
		withDigest bool
	}{
		{dir, dir, true},
		{"oci:" + dir + ":v1", dir + ":v1", true},
		{archive, archive, true},
		{"oci-archive:" + archive, archive, true},
		{dockerTar, dockerTar, false},
		{"docker-archive:" + dockerTar + ":example.com/app:v1", dockerTar + ":example.com/app:v1", false},
	} {
		t.Run(tc.src, func(t *testing.T) {
			tg, err := image.Load(ctx, tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if tg.Name != tc.name {
				t.Errorf("name %q, want %q", tg.Name, tc.name)
			}
			if tc.withDigest && tg.Digest != digest.String() {
				t.Errorf("digest %q, want %s", tg.Digest, digest)
			}
			if got := read(t, tg.FS, "/etc/os-release"); !strings.Contains(got, `ID="debian"`) {
				t.Errorf("os-release: %q", got)
			}
			if tg.Config.Config.User != "65532:65532" || tg.Layers == nil {
				t.Errorf("config user %q, layers %v", tg.Config.Config.User, tg.Layers)
			}
		})
	}
	for _, tc := range []struct{ src, want string }{
		{"oci:" + dir + ":v2", `no image tagged "v2" in the layout (it has tags v1)`},
		{t.TempDir(), "not an OCI image layout"},
		{"oci-archive:" + dockerTar, "not an OCI archive"},
		{"Not A Reference!", "neither a file, a directory nor an image reference"},
	} {
		if _, err := image.Load(ctx, tc.src); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%s): %v, want %q", tc.src, err, tc.want)
		}
	}
}

func TestIndexPlatformsAndAttestations(t *testing.T) {
	amd, arm := Clean(t), Image(t, v1.ConfigFile{OS: "linux", Architecture: "arm64"}, Step{Files: []File{Reg("/arm", 0o644, "arm")}})
	idx := Index(t,
		IndexEntry{Image: amd, OS: "linux", Arch: "amd64", PredicateTypes: []string{audit.PredicateSPDX, audit.PredicateSLSA1}},
		IndexEntry{Image: arm, OS: "linux", Arch: "arm64"},
	)
	idxDigest, _ := idx.Digest()
	amdDigest, _ := amd.Digest()

	// Served by a real registry, in process.
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	ref := strings.TrimPrefix(srv.URL, "http://") + "/app:v1"
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatal(err)
	}
	// And in a layout.
	dir := filepath.Join(t.TempDir(), "layout")
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendIndex(idx); err != nil {
		t.Fatal(err)
	}

	for _, src := range []string{ref, dir} {
		t.Run(src, func(t *testing.T) {
			tg, err := image.Load(ctx, src, image.WithPlatform(v1.Platform{OS: "linux", Architecture: "amd64"}))
			if err != nil {
				t.Fatal(err)
			}
			if tg.Digest != amdDigest.String() || tg.IndexDigest != idxDigest.String() {
				t.Errorf("digest %s index %s", tg.Digest, tg.IndexDigest)
			}
			want := []string{audit.PredicateSLSA1, audit.PredicateSPDX}
			if !tg.Attestations.Known || strings.Join(tg.Attestations.PredicateTypes, " ") != strings.Join(want, " ") {
				t.Errorf("attestations %+v", tg.Attestations)
			}
			if tg.CompressedSize == 0 {
				t.Error("no compressed size from the manifest")
			}

			tg, err = image.Load(ctx, src, image.WithPlatform(v1.Platform{OS: "linux", Architecture: "arm64"}))
			if err != nil {
				t.Fatal(err)
			}
			if got := read(t, tg.FS, "/arm"); got != "arm" || len(tg.Attestations.PredicateTypes) != 0 || !tg.Attestations.Known {
				t.Errorf("arm64: %q %+v", got, tg.Attestations)
			}

			_, err = image.Load(ctx, src, image.WithPlatform(v1.Platform{OS: "linux", Architecture: "s390x"}))
			if err == nil || !strings.Contains(err.Error(), "no image for linux/s390x in the index (it has linux/amd64, linux/arm64)") {
				t.Errorf("missing platform: %v", err)
			}
		})
	}
}

func TestLayersWalk(t *testing.T) {
	img := Image(t, v1.ConfigFile{OS: "linux", Architecture: "amd64"},
		Step{Files: []File{Reg("/secret", 0o600, "s3cr3t"), Reg("/setuid", 0o4755, "x")}},
		Step{Files: []File{Whiteout("/secret"), Reg("/d/.wh..wh..opq", 0o644, "")}},
	)
	tg := load(t, img)
	var got []string
	err := tg.Layers.Walk(ctx, func(layer int, e audit.LayerEntry, r io.Reader) error {
		s := e.Path
		switch {
		case e.Whiteout:
			s = "-" + s
		case e.Opaque:
			s = "opaque:" + s
		case r != nil:
			d, _ := io.ReadAll(r)
			s += "=" + string(d)
		}
		if e.Mode&fs.ModeSetuid != 0 {
			s += " setuid"
		}
		got = append(got, string(rune('0'+layer))+s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "0/secret=s3cr3t 0/setuid=x setuid 1-/secret 1opaque:/d"; strings.Join(got, " ") != want {
		t.Errorf("walk:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

func TestParseSource(t *testing.T) {
	for _, tc := range []struct {
		in   string
		kind image.Kind
		ref  string
		tag  string
	}{
		{"docker://alpine:3", image.Registry, "alpine:3", ""},
		{"ghcr.io/org/app@sha256:" + strings.Repeat("a", 64), image.Registry, "ghcr.io/org/app@sha256:" + strings.Repeat("a", 64), ""},
		{"oci:/tmp/no/such/layout:v1", image.Layout, "/tmp/no/such/layout", "v1"},
		{"oci:/tmp/no/such/layout", image.Layout, "/tmp/no/such/layout", ""},
		{"oci-archive:app.tar:v2", image.OCIArchive, "app.tar", "v2"},
		{"docker-archive:app.tar", image.DockerArchive, "app.tar", ""},
	} {
		s, err := image.ParseSource(tc.in)
		if err != nil || s.Kind != tc.kind || s.Ref != tc.ref || s.Tag != tc.tag {
			t.Errorf("ParseSource(%q) = %+v, %v", tc.in, s, err)
		}
	}
}

// FuzzLayer feeds arbitrary bytes as a layer: reading must fail cleanly or succeed, never panic.
func FuzzLayer(f *testing.F) {
	f.Add(Tar(f, Reg("/a", 0o644, "a"), Whiteout("/b"), Symlink("/c", "../../d"), Hardlink("/e", "/a")))
	f.Add(Tar(f, Reg("/x/.wh..wh..opq", 0o644, ""), Reg("../../../etc/passwd", 0o4755, "root")))
	f.Add([]byte("not a tar at all"))
	f.Fuzz(func(t *testing.T, data []byte) {
		img := Image(t, v1.ConfigFile{OS: "linux", Architecture: "amd64"}, Step{Raw: data})
		tg, err := image.FromImage(ctx, img, image.WithLimits(image.Limits{MaxEntries: 1000, MaxBytes: 1 << 20}))
		if err != nil {
			return
		}
		if _, err := audit.Run(ctx, tg); err != nil {
			return
		}
		_ = audit.Walk(ctx, tg.FS, "/", func(e audit.Entry) error {
			_, _ = tg.FS.ReadFile(ctx, e.Path)
			return nil
		})
	})
}

// countingImage counts how often its layers are read.
type countingImage struct {
	v1.Image
	reads *int
}

type countingLayer struct {
	v1.Layer
	reads *int
}

func (c countingImage) Layers() ([]v1.Layer, error) {
	ls, err := c.Image.Layers()
	for i := range ls {
		ls[i] = countingLayer{ls[i], c.reads}
	}
	return ls, err
}

func (c countingLayer) Uncompressed() (io.ReadCloser, error) {
	*c.reads++
	return c.Layer.Uncompressed()
}

func TestAnAuditReadsEachLayerOnce(t *testing.T) {
	reads := 0
	tg := load(t, countingImage{Clean(t), &reads})
	if reads != 0 {
		t.Errorf("loading read %d layers", reads)
	}
	err := tg.Layers.Walk(ctx, func(int, audit.LayerEntry, io.Reader) error {
		if _, err := tg.FS.Stat(ctx, "/etc"); err == nil {
			return errors.New("the filesystem answered during the walk that builds it")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, tg.FS, "/etc/passwd"); !strings.Contains(got, "nonroot") {
		t.Errorf("passwd %q", got)
	}
	if reads != 2 {
		t.Errorf("the first walk and the lookups read %d layers, want each of the 2 once", reads)
	}
	reads = 0
	if _, err := audit.Run(ctx, load(t, countingImage{Clean(t), &reads})); err != nil {
		t.Fatal(err)
	}
	if reads != 2 {
		t.Errorf("an audit read %d layers, want each of the 2 once", reads)
	}
}

// Package imagetest builds container images in memory for tests: layers from a list of files,
// images from layers and a config, and a clean hardened image that passes every check of
// package audit, to break one way at a time.
package imagetest

import (
	"archive/tar"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Epoch is every fixture's SOURCE_DATE_EPOCH: the created time and every file's mtime.
var Epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// BaseDigest is the digest the clean image's base.digest label names.
const BaseDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// File is one tar entry.
type File struct {
	Path    string
	Type    byte // tar.TypeReg when zero
	Mode    int64
	Body    string
	Link    string
	UID     int
	GID     int
	ModTime time.Time // Epoch when zero
	PAX     map[string]string
}

// Reg is a root-owned regular file.
func Reg(p string, mode int64, body string) File { return File{Path: p, Mode: mode, Body: body} }

// Dir is a root-owned directory.
func Dir(p string, mode int64) File { return File{Path: p, Type: tar.TypeDir, Mode: mode} }

// Symlink is a symbolic link.
func Symlink(p, target string) File {
	return File{Path: p, Type: tar.TypeSymlink, Mode: 0o777, Link: target}
}

// Hardlink is a hard link to target.
func Hardlink(p, target string) File {
	return File{Path: p, Type: tar.TypeLink, Mode: 0o644, Link: target}
}

// Whiteout deletes p from the layers below.
func Whiteout(p string) File {
	i := strings.LastIndex(p, "/")
	return Reg(p[:i+1]+".wh."+p[i+1:], 0o644, "")
}

// Owned returns f owned by uid:gid.
func (f File) Owned(uid, gid int) File { f.UID, f.GID = uid, gid; return f }

// Tar writes files as a tar stream, in order.
func Tar(t testing.TB, files ...File) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		hdr := &tar.Header{
			Name: strings.TrimPrefix(f.Path, "/"), Typeflag: f.Type, Mode: f.Mode, Linkname: f.Link,
			Uid: f.UID, Gid: f.GID, ModTime: f.ModTime, PAXRecords: f.PAX, Format: tar.FormatPAX,
		}
		if hdr.Typeflag == 0 {
			hdr.Typeflag = tar.TypeReg
		}
		if hdr.ModTime.IsZero() {
			hdr.ModTime = Epoch
		}
		if hdr.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(f.Body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := io.WriteString(tw, f.Body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Layer is a gzip-compressed layer of files.
func Layer(t testing.TB, files ...File) v1.Layer {
	t.Helper()
	return RawLayer(t, Tar(t, files...))
}

// RawLayer is a layer of any bytes, meant to be a tar.
func RawLayer(t testing.TB, data []byte) v1.Layer {
	t.Helper()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Step is one layer of an image with the history entry that made it.
type Step struct {
	CreatedBy string
	Files     []File
	// Raw, when set, is the layer's bytes instead of Files.
	Raw []byte
}

// Image builds an OCI image of cfg and the steps' layers; each step adds a history entry
// created at Epoch.
func Image(t testing.TB, cfg v1.ConfigFile, steps ...Step) v1.Image {
	t.Helper()
	img, err := mutate.ConfigFile(mutate.MediaType(empty.Image, types.OCIManifestSchema1), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	for _, s := range steps {
		l := RawLayer(t, s.Raw)
		if s.Raw == nil {
			l = Layer(t, s.Files...)
		}
		img, err = mutate.Append(img, mutate.Addendum{Layer: l, History: v1.History{
			Created: v1.Time{Time: Epoch}, CreatedBy: s.CreatedBy,
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	return img
}

// CleanFiles are the files of a hardened image on distroless static-debian13, the base the
// frontend builds on (Debian 12's distroless images have ended).
func CleanFiles() []File {
	return []File{
		Dir("/app", 0o755),
		Reg("/app/server", 0o755, "\x7fELF\x02\x01\x01\x00 a static server"),
		Dir("/etc", 0o755),
		Reg("/etc/debian_version", 0o644, "13.1\n"),
		Reg("/etc/group", 0o644, "root:x:0:\nnonroot:x:65532:\n"),
		Symlink("/etc/os-release", "../usr/lib/os-release"),
		Reg("/etc/passwd", 0o644, "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"),
		Dir("/home", 0o755),
		Dir("/home/nonroot", 0o700).Owned(65532, 65532),
		Dir("/tmp", 0o1777),
		Dir("/usr", 0o755),
		Dir("/usr/lib", 0o755),
		Reg("/usr/lib/os-release", 0o644, OSRelease),
		Dir("/usr/share", 0o755),
		Dir("/usr/share/doc", 0o755),
		Dir("/usr/share/doc/base-files", 0o755),
		Reg("/usr/share/doc/base-files/copyright", 0o644, "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"),
		Dir("/var", 0o755),
		Dir("/var/lib", 0o755),
		Dir("/var/lib/dpkg", 0o755),
		Dir("/var/lib/dpkg/status.d", 0o755),
		Reg("/var/lib/dpkg/status.d/base-files", 0o644, "Package: base-files\nVersion: 13.8+deb13u1\nArchitecture: amd64\n"),
		Reg("/var/lib/dpkg/status.d/base-files.md5sums", 0o644, "d41d8cd98f00b204e9800998ecf8427e  etc/debian_version\n1f2e3d4c5b6a79880f1e2d3c4b5a6978  usr/share/doc/base-files/copyright\n"),
	}
}

// OSRelease is distroless debian13's /usr/lib/os-release: Debian's ID and VERSION_ID, its own PRETTY_NAME.
const OSRelease = "PRETTY_NAME=\"Distroless\"\nNAME=\"Debian GNU/Linux\"\nID=\"debian\"\nVERSION_ID=\"13\"\n" +
	"VERSION=\"Debian GNU/Linux 13 (trixie)\"\nHOME_URL=\"https://github.com/GoogleContainerTools/distroless\"\n"

// CleanConfig is the config of a hardened image.
func CleanConfig() v1.ConfigFile {
	return v1.ConfigFile{
		Architecture: "amd64",
		OS:           "linux",
		Created:      v1.Time{Time: Epoch},
		Config: v1.Config{
			User:       "65532:65532",
			Entrypoint: []string{"/app/server"},
			WorkingDir: "/app",
			Env:        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "ADDR=:8080"},
			ExposedPorts: map[string]struct{}{
				"8080/tcp": {},
			},
			Healthcheck: &v1.HealthConfig{Test: []string{"CMD", "/app/server", "-check"}},
			Labels: map[string]string{
				"org.opencontainers.image.source":      "https://github.com/example/app",
				"org.opencontainers.image.revision":    "0123456789abcdef0123456789abcdef01234567",
				"org.opencontainers.image.version":     "1.2.3",
				"org.opencontainers.image.licenses":    "Apache-2.0",
				"org.opencontainers.image.base.name":   "gcr.io/distroless/static-debian13:nonroot",
				"org.opencontainers.image.base.digest": BaseDigest,
			},
		},
		RootFS: v1.RootFS{Type: "layers"},
	}
}

// Clean is a hardened image: the clean files in a base layer and the app in a second one.
func Clean(t testing.TB) v1.Image {
	t.Helper()
	return Image(t, CleanConfig(), CleanSteps()...)
}

// CleanSteps split the clean files into a base layer and the application's layer.
func CleanSteps() []Step {
	var base, app []File
	for _, f := range CleanFiles() {
		if strings.HasPrefix(f.Path, "/app") {
			app = append(app, f)
		} else {
			base = append(base, f)
		}
	}
	return []Step{
		{CreatedBy: "COPY rootfs / # distroless base", Files: base},
		{CreatedBy: "COPY /out/server /app/server # buildkit", Files: app},
	}
}

// Replace returns files with each of with replacing the file of the same path, or added.
func Replace(files []File, with ...File) []File {
	out := append([]File(nil), files...)
	for _, w := range with {
		found := false
		for i := range out {
			if out[i].Path == w.Path {
				out[i], found = w, true
			}
		}
		if !found {
			out = append(out, w)
		}
	}
	return out
}

// Without returns files without the given paths (and what is below them).
func Without(files []File, paths ...string) []File {
	var out []File
next:
	for _, f := range files {
		for _, p := range paths {
			if f.Path == p || strings.HasPrefix(f.Path, p+"/") {
				continue next
			}
		}
		out = append(out, f)
	}
	return out
}

// Index builds an OCI index of images for their platforms; each image with predicate types gets
// an attestation manifest, as BuildKit attaches them.
func Index(t testing.TB, entries ...IndexEntry) v1.ImageIndex {
	t.Helper()
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, e := range entries {
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: e.Image, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: e.OS, Architecture: e.Arch},
		}})
		if len(e.PredicateTypes) == 0 {
			continue
		}
		d, err := e.Image.Digest()
		if err != nil {
			t.Fatal(err)
		}
		att := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
		for _, pt := range e.PredicateTypes {
			att, err = mutate.Append(att, mutate.Addendum{
				Layer:       static.NewLayer([]byte(`{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"`+pt+`"}`), "application/vnd.in-toto+json"),
				Annotations: map[string]string{"in-toto.io/predicate-type": pt},
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{
			Platform:    &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": d.String()},
		}})
	}
	return idx
}

// IndexEntry is one image of an index.
type IndexEntry struct {
	Image          v1.Image
	OS, Arch       string
	PredicateTypes []string
}

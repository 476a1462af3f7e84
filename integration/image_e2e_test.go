//go:build integration

package integration

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// ociImages opens an OCI-layout tarball (buildx/buildctl -o type=oci) and returns its
// images by platform ("linux/amd64"), skipping attestation manifests.
func ociImages(t *testing.T, tarPath string) map[string]v1.Image {
	t.Helper()
	idx := openLayout(t, tarPath)
	out := map[string]v1.Image{}
	var collect func(v1.ImageIndex)
	collect = func(idx v1.ImageIndex) {
		m, err := idx.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range m.Manifests {
			if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
				continue
			}
			if d.MediaType.IsIndex() {
				child, err := idx.ImageIndex(d.Digest)
				if err != nil {
					t.Fatal(err)
				}
				collect(child)
				continue
			}
			img, err := idx.Image(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			key := cf.OS + "/" + cf.Architecture
			out[key] = img
		}
	}
	collect(idx)
	return out
}

// openLayout unpacks an OCI-layout tarball and returns its index.
func openLayout(t *testing.T, tarPath string) v1.ImageIndex {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("tar", "-xf", tarPath, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("untar %s: %v\n%s", tarPath, err, out)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

// predicates returns the predicates of every in-toto statement of one type in the
// attestation manifests of an OCI-layout tarball.
func predicates(t *testing.T, tarPath, predicateType string) [][]byte {
	t.Helper()
	var out [][]byte
	var walk func(v1.ImageIndex)
	walk = func(idx v1.ImageIndex) {
		m, err := idx.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range m.Manifests {
			if d.MediaType.IsIndex() {
				child, err := idx.ImageIndex(d.Digest)
				if err != nil {
					t.Fatal(err)
				}
				walk(child)
				continue
			}
			if d.Annotations["vnd.docker.reference.type"] != "attestation-manifest" {
				continue
			}
			img, err := idx.Image(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			mf, _ := img.Manifest()
			layers, _ := img.Layers()
			for i, l := range layers {
				if mf.Layers[i].Annotations["in-toto.io/predicate-type"] != predicateType {
					continue
				}
				rc, err := l.Uncompressed()
				if err != nil {
					t.Fatal(err)
				}
				dt, _ := io.ReadAll(rc)
				rc.Close()
				var stmt struct {
					Predicate json.RawMessage `json:"predicate"`
				}
				if err := json.Unmarshal(dt, &stmt); err != nil {
					t.Fatal(err)
				}
				out = append(out, stmt.Predicate)
			}
		}
	}
	walk(openLayout(t, tarPath))
	return out
}

// only returns the single image of an output, failing if there are several.
func only(t *testing.T, imgs map[string]v1.Image) v1.Image {
	t.Helper()
	if len(imgs) != 1 {
		t.Fatalf("want one image, got %d", len(imgs))
	}
	for _, img := range imgs {
		return img
	}
	return nil
}

// layerHeaders lists every tar header of every layer, so a bit set in a lower layer
// and hidden by a later one is still seen.
func layerHeaders(t *testing.T, img v1.Image) []*tar.Header {
	t.Helper()
	var out []*tar.Header
	for _, l := range imageLayers(t, img) {
		out = append(out, headersOf(t, l)...)
	}
	return out
}

// topLayerHeaders lists the tar headers of the image's last layer.
func topLayerHeaders(t *testing.T, img v1.Image) []*tar.Header {
	t.Helper()
	layers := imageLayers(t, img)
	if len(layers) == 0 {
		t.Fatal("the image has no layer")
	}
	return headersOf(t, layers[len(layers)-1])
}

// imageLayers lists the image's layers, lowest first.
func imageLayers(t *testing.T, img v1.Image) []v1.Layer {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	return layers
}

func headersOf(t *testing.T, l v1.Layer) []*tar.Header {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var out []*tar.Header
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h)
	}
}

// flatFiles is the merged filesystem: path -> header.
func flatFiles(t *testing.T, img v1.Image) map[string]*tar.Header {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	out := map[string]*tar.Header{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out["/"+strings.TrimPrefix(filepath.Clean("/"+h.Name), "/")] = h
	}
}

// assertEpoch fails unless each path is in files with SOURCE_DATE_EPOCH as its mtime.
func assertEpoch(t *testing.T, files map[string]*tar.Header, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if h := files[p]; h == nil || h.ModTime.Unix() != epoch {
			t.Errorf("%s mtime is not SOURCE_DATE_EPOCH %d: %+v", p, epoch, h)
		}
	}
}

// unpack writes the merged filesystem of img under dir, for runc to run.
func unpack(t *testing.T, img v1.Image, dir string) {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(dir, filepath.Clean("/"+h.Name))
		if !strings.HasPrefix(name, dir) {
			t.Fatalf("layer entry %q escapes the root", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(name, os.FileMode(h.Mode).Perm()); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode).Perm())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(f, tr); err != nil {
				t.Fatal(err)
			}
			f.Close()
		case tar.TypeSymlink:
			_ = os.MkdirAll(filepath.Dir(name), 0o755)
			_ = os.Symlink(h.Linkname, name)
		case tar.TypeLink:
			_ = os.MkdirAll(filepath.Dir(name), 0o755)
			_ = os.Link(filepath.Join(dir, filepath.Clean("/"+h.Linkname)), name)
		default:
			continue
		}
		if h.Typeflag != tar.TypeSymlink {
			_ = os.Lchown(name, h.Uid, h.Gid)
			_ = os.Chmod(name, os.FileMode(h.Mode).Perm())
		}
	}
}

// assertDepsLayer holds a Runtime language's image to its two layers over the base: the dependency tree at
// deps (/app/node_modules, /app/.venv) in one, the app in the one on top, which holds nothing of the tree, so
// a node that has the image before a source change pulls only the app's layer after it. Every entry of
// both carries SOURCE_DATE_EPOCH, /app in the tree's layer too (the copy makes it).
func assertDepsLayer(t *testing.T, img v1.Image, deps string) {
	t.Helper()
	layers := imageLayers(t, img)
	if len(layers) < 3 {
		t.Fatalf("%d layers, want the base's, the dependency tree's and the app's", len(layers))
	}
	prefix := strings.TrimPrefix(deps, "/") + "/"
	for i, l := range layers[len(layers)-2:] {
		has := false
		for _, h := range headersOf(t, l) {
			name := strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")
			if name+"/" == prefix || strings.HasPrefix(name, prefix) {
				has = true
			}
			if strings.HasPrefix(name, "app") && h.ModTime.Unix() != epoch {
				t.Errorf("layer %d: %s mtime %v, not SOURCE_DATE_EPOCH %d", len(layers)-2+i, name, h.ModTime, epoch)
			}
		}
		if want := i == 0; has != want {
			t.Errorf("layer %d (the %s layer) holds %s: %v, want %v", len(layers)-2+i, map[bool]string{true: "dependency tree's", false: "app's"}[i == 0], deps, has, want)
		}
	}
}

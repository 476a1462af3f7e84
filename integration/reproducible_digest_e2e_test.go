//go:build integration

package integration

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hardenedbuild/hardened/integration/stack"
)

// TestWhichDigestRepeats tests the reproducibility sentence of README.md and docs/security.md as written:
// two --no-cache builds give the same platform image manifest digest; the digest buildx reports (and
// pushes) for a default build, an index that also holds BuildKit's provenance attestation (invocation id,
// start and finish times), differs; with --provenance=false the digest buildx reports repeats too, and
// is that image manifest's.
func TestWhichDigestRepeats(t *testing.T) {
	t.Parallel() // --no-cache builds compared with each other; what else runs beside them changes neither
	dir := copyExample(t, "static")
	buildStaticServer(t, dir, filepath.Join(dir, "hello-server"))
	type digests struct{ image, reported, top string }
	noCache := func(args ...string) digests {
		out := filepath.Join(t.TempDir(), "app.tar")
		md := filepath.Join(t.TempDir(), "metadata.json")
		cmd := append([]string{"build", "--no-cache", "--metadata-file", md, "-f", filepath.Join(dir, "hardened.yaml"), "-o", "type=oci,dest=" + out}, args...)
		build(t, st.Buildx(context.Background(), append(cmd, dir)...))
		reported, err := stack.MetadataDigest(md)
		if err != nil {
			t.Fatal(err)
		}
		m, err := openLayout(t, out).IndexManifest()
		if err != nil || len(m.Manifests) != 1 {
			t.Fatalf("the layout's index.json: %v, %v", m, err)
		}
		return digests{image: ociDigest(t, out), reported: reported, top: m.Manifests[0].Digest.String()}
	}

	a, b := noCache(), noCache()
	if a.image != b.image {
		t.Errorf("the image manifest digest differs between two --no-cache builds: %s and %s", a.image, b.image)
	}
	if a.reported != a.top {
		t.Errorf("buildx reports %s, the layout's top manifest is %s", a.reported, a.top)
	}
	if a.reported == a.image {
		t.Errorf("a default build reports the image manifest %s, not an index with provenance: update the docs' sentence", a.image)
	}
	if a.reported == b.reported {
		t.Errorf("a default build's reported digest %s repeated: the docs say provenance makes it differ", a.reported)
	}

	c, d := noCache("--provenance=false"), noCache("--provenance=false")
	if c.reported != d.reported {
		t.Errorf("with --provenance=false the reported digest differs: %s and %s", c.reported, d.reported)
	}
	if c.reported != c.image || c.image != a.image {
		t.Errorf("with --provenance=false buildx reports %s; want the image manifest %s (the default build's %s)", c.reported, c.image, a.image)
	}
}

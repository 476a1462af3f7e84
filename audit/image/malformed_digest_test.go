package image_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hardenedbuild/hardened/audit/image"
	"github.com/hardenedbuild/hardened/internal/imagetest"
)

// An OCI layout whose index is JSON with a malformed digest says so, not "not valid JSON".
func TestIndexWithMalformedDigest(t *testing.T) {
	for digest, want := range map[string]string{
		"sha256:xyz": "found non-hex character in hash",
		"nocolon":    `cannot parse hash: "nocolon"`,
	} {
		dir := writeLayout(t, imagetest.Clean(t), "v1")
		index := `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + digest + `","size":1}]}`
		if err := os.WriteFile(filepath.Join(dir, "index.json"), []byte(index), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := image.Load(ctx, dir)
		if err == nil || !strings.Contains(err.Error(), "the index is JSON but not a valid OCI index") || !strings.Contains(err.Error(), want) ||
			strings.Contains(err.Error(), "not valid JSON") {
			t.Errorf("digest %q: %v", digest, err)
		}
	}
	dir := writeLayout(t, imagetest.Clean(t), "v1")
	if err := os.WriteFile(filepath.Join(dir, "index.json"), []byte(`{"schemaVersion":2,`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := image.Load(ctx, dir); err == nil || !strings.Contains(err.Error(), "the index is not valid JSON") {
		t.Errorf("truncated index: %v", err)
	}
}

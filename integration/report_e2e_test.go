//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"io"
	"os/exec"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/hardenedbuild/hardened/audit"
)

// TestCheckReportTravelsWithTheImage: a build that asks for attestations carries the
// hardened check report of its own image, and the guarantees pass in it.
func TestCheckReportTravelsWithTheImage(t *testing.T) {
	dir := filepath.Join(repoRoot, "examples", "go")
	out := filepath.Join(t.TempDir(), "app.tar")
	build(t, st.Buildx(context.Background(), "build", "--provenance=mode=min", "-f", filepath.Join(dir, "hardened.yaml"),
		"-o", "type=oci,dest="+out, dir))
	raw := attestation(t, out, audit.PredicateType)
	var report struct {
		Results []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"results"`
	}
	if err := json.Unmarshal(raw, &report); err != nil {
		t.Fatalf("report: %v", err)
	}
	status := map[string]string{}
	for _, r := range report.Results {
		status[r.ID] = r.Status
	}
	for _, id := range audit.Guarantees {
		if status[id] != "pass" {
			t.Errorf("%s = %q in the attached report, want pass", id, status[id])
		}
	}
	if len(status) < 20 {
		t.Errorf("the report has %d checks; want the whole catalogue", len(status))
	}
}

// attestation returns the predicate of the first in-toto statement of that type.
func attestation(t *testing.T, tarPath, predicateType string) []byte {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("tar", "-xf", tarPath, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("untar: %v %s", err, out)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	var found []byte
	var walk func(v1.ImageIndex)
	walk = func(idx v1.ImageIndex) {
		m, _ := idx.IndexManifest()
		for _, d := range m.Manifests {
			if d.MediaType.IsIndex() {
				child, _ := idx.ImageIndex(d.Digest)
				walk(child)
				continue
			}
			if d.Annotations["vnd.docker.reference.type"] != "attestation-manifest" {
				continue
			}
			img, _ := idx.Image(d.Digest)
			mf, _ := img.Manifest()
			layers, _ := img.Layers()
			for i, l := range layers {
				if found != nil || mf.Layers[i].Annotations["in-toto.io/predicate-type"] != predicateType {
					continue
				}
				rc, _ := l.Uncompressed()
				dt, _ := io.ReadAll(rc)
				rc.Close()
				var stmt struct {
					Predicate json.RawMessage `json:"predicate"`
				}
				if err := json.Unmarshal(dt, &stmt); err != nil {
					t.Fatal(err)
				}
				found = stmt.Predicate
			}
		}
	}
	walk(idx)
	if found == nil {
		t.Fatalf("no %s attestation in the output", predicateType)
	}
	return found
}

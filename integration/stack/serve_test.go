package stack

import (
	"context"
	"io"
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
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// A registry restarted from the same blob directory and journal serves what was pushed before.
func TestJournalReplay(t *testing.T) {
	dir := t.TempDir()
	blobs := filepath.Join(dir, "blobs")
	j := &journal{file: filepath.Join(dir, "manifests.jsonl")}
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		t.Fatal(err)
	}
	start := func() *httptest.Server {
		reg := registry.New(registry.WithBlobHandler(registry.NewDiskBlobHandler(blobs)), registry.Logger(discardLogger()))
		if _, err := j.replay(reg); err != nil {
			t.Fatal(err)
		}
		return httptest.NewServer(j.wrap(reg))
	}
	ctx := context.Background()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.MediaType(img, "application/vnd.oci.image.manifest.v1+json")
	idx := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &linuxAMD64}})

	srv := start()
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, tag := range []string{"one", "two", "one"} {
		if _, err := pushIndex(ctx, host, "ghcr.io/x/y:"+tag, idx); err != nil {
			t.Fatal(err)
		}
	}
	srv.Close()

	srv = start()
	defer srv.Close()
	host = strings.TrimPrefix(srv.URL, "http://")
	want, _ := idx.Digest()
	for _, tag := range []string{"one", "two"} {
		ref, _ := name.NewTag(host+"/x/y:"+tag, name.Insecure)
		d, err := remote.Head(ref)
		if err != nil || d.Digest != want {
			t.Errorf("after restart, %s: %v %v", tag, d, err)
		}
	}
}

func TestManifestPath(t *testing.T) {
	for p, want := range map[string][2]string{
		"/v2/library/golang/manifests/1.26-bookworm": {"library/golang", "1.26-bookworm"},
		"/v2/a/manifests/sha256:abc":                 {"a", "sha256:abc"},
	} {
		repo, ref, ok := manifestPath(p)
		if !ok || repo != want[0] || ref != want[1] {
			t.Errorf("manifestPath(%s) = %s %s %v", p, repo, ref, ok)
		}
	}
	if _, _, ok := manifestPath("/v2/a/blobs/sha256:abc"); ok {
		t.Error("a blob path is not a manifest path")
	}
}

func TestBuildkitdConfigMirrors(t *testing.T) {
	cfg := string(BuildkitdConfig("127.0.0.1:5000"))
	for _, want := range []string{
		"[registry.\"127.0.0.1:5000\"]\n  http = true\n  insecure = true",
		"[registry.\"docker.io\"]\n  mirrors = [\"127.0.0.1:5000\"]",
		"[registry.\"gcr.io\"]\n  mirrors = [\"127.0.0.1:5000\"]",
		"[registry.\"ghcr.io\"]\n  mirrors = [\"127.0.0.1:5000\"]",
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("buildkitd.toml lacks %q:\n%s", want, cfg)
		}
	}
}

func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }

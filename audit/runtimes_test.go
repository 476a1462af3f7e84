package audit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// eolOn runs HX-SUPPLY-EOL alone on an unpacked root, on a day.
func eolOn(t *testing.T, root string, baseName string, day time.Time) Result {
	t.Helper()
	img := &dockerspec.DockerOCIImage{}
	img.Config.Labels = map[string]string{LabelBaseName: baseName}
	r, err := Run(context.Background(), &Target{FS: DirFS(root), Config: img}, WithChecks("HX-SUPPLY-EOL"), WithTime(day))
	if err != nil {
		t.Fatal(err)
	}
	return r.Results[0]
}

// TestEndOfLifeOnUnpackedRoots holds unpacked roots (testdata/eol, laid out as the images are) to the table.
func TestEndOfLifeOnUnpackedRoots(t *testing.T) {
	day := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		root, base string
		status     Status
		says       string
	}{
		{"distroless-nodejs22-debian12", "gcr.io/distroless/nodejs22-debian12:nonroot", StatusFail, `/etc/os-release: PRETTY_NAME="Distroless", VERSION_ID="12" with /nodejs/bin/node: distroless Debian 12 (nodejs) reached end of life on 2026-01-31`},
		{"distroless-nodejs24-debian13", "gcr.io/distroless/nodejs24-debian13:nonroot", StatusPass, "distroless Debian 13 (nodejs) is supported (no end of life announced); Node.js 24 is supported until 2028-04-30"},
		{"debian12", "docker.io/library/debian:12", StatusPass, "Debian 12 is supported until 2028-06-30"},
		{"debian13", "docker.io/library/debian:13", StatusPass, "Debian 13 is supported until 2030-06-30"},
		{"scratch", "scratch", StatusPass, "no OS release, base or runtime the lifecycle table lists"},
	} {
		t.Run(tc.root, func(t *testing.T) {
			res := eolOn(t, filepath.Join("testdata/eol", tc.root), tc.base, day)
			got := res.Message
			if len(res.Evidence) > 0 {
				got = res.Evidence[0].String()
			}
			if res.Status != tc.status || !strings.HasPrefix(got, tc.says) {
				t.Errorf("%s: %s\nwant %s: %s", res.Status, got, tc.status, tc.says)
			}
		})
	}
}

// TestNodeVersionAcrossChunks: a node binary larger than a read, its version string split by the
// chunk boundary, is read in pieces from a view that reads ranges, and the version still found.
func TestNodeVersionAcrossChunks(t *testing.T) {
	root := t.TempDir()
	bin := filepath.Join(root, "usr/local/bin/node")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	marker := "node.js/v20.19.5"
	body := make([]byte, 2*readChunk+1000)
	copy(body, "\x7fELF")
	copy(body[readChunk-7:], marker)
	if err := os.WriteFile(bin, body, 0o755); err != nil {
		t.Fatal(err)
	}
	res := eolOn(t, root, "", time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC))
	want := "/usr/local/bin/node: Node.js 20.19.5 (node.js/v20.19.5 in the binary): Node.js 20 reached end of life on 2026-04-30"
	if res.Status != StatusFail || len(res.Evidence) != 1 || !strings.HasPrefix(res.Evidence[0].String(), want) {
		t.Errorf("%s %s %v, want %s", res.Status, res.Message, res.Evidence, want)
	}
}

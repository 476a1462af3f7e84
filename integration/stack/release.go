package stack

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// SBOMScannerRef is the scanner BuildKit runs for `--sbom=true` when none is named.
const SBOMScannerRef = "docker.io/docker/buildkit-syft-scanner:stable-1"

// PushSBOMScanner serves a stand-in for BuildKit's default SBOM scanner (integration/cmd/sbom-scanner, built with
// the host's Go from repoRoot, default the stack's) under its real name, so a Dockerfile build with `--sbom=true`
// runs here as it does in CI.
func (s *Stack) PushSBOMScanner(ctx context.Context, repoRoot string) error {
	if repoRoot == "" {
		repoRoot = s.RepoRoot
	}
	dir, err := os.MkdirTemp(s.StateDir, "sbom-scanner-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "sbom-scanner")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, "./integration/cmd/sbom-scanner")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the SBOM scanner stand-in: %w\n%s", err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	layer, err := binaryLayer("sbom-scanner", data)
	if err != nil {
		return err
	}
	img, err := newImage(linuxAMD64, v1.Config{Entrypoint: []string{"/sbom-scanner"}},
		[]mutate.Addendum{{Layer: layer, MediaType: types.OCILayer}})
	if err != nil {
		return err
	}
	target, err := mirroredTag(s.Registry, SBOMScannerRef)
	if err != nil {
		return err
	}
	if err := remote.Write(target, img, remote.WithContext(ctx)); err != nil {
		return fmt.Errorf("pushing the SBOM scanner stand-in as %s: %w", target, err)
	}
	return nil
}

// binaryLayer is a gzip layer holding one executable at the root.
func binaryLayer(name string, data []byte) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(data)), ModTime: epoch, Typeflag: tar.TypeReg}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
		tarball.WithMediaType(types.OCILayer))
}

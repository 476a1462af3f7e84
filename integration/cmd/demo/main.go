// Command demo is `make demo`: it brings the local build stack up, builds examples/go
// the way a user does (docker buildx build -f hardened.yaml), and prints what was hardened.
package main

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/hardenedbuild/hardened/integration/stack"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	fmt.Println("==> bringing the local build stack up (first run builds stand-in images; later runs reuse them)")
	st, err := stack.Up(ctx, stack.Options{RepoRoot: root, StateDir: os.Getenv("HARDENED_STACK_DIR")})
	if err != nil {
		return err
	}
	fmt.Println("==> building the frontend image from ./frontend.Dockerfile as ghcr.io/hardenedbuild/hardened:1")
	if _, err := st.BuildFrontend(ctx, root); err != nil {
		return err
	}
	example := filepath.Join(root, "examples", "go")
	outDir := filepath.Join(st.StateDir, "out")
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	out := filepath.Join(outDir, "examples-go.oci.tar")
	fmt.Println("==> docker buildx build -f examples/go/hardened.yaml -o type=oci,dest=" + out + " examples/go")
	start := time.Now()
	cmd := st.Buildx(ctx, "build", "-f", filepath.Join(example, "hardened.yaml"), "-o", "type=oci,dest="+out, example)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build failed: %w", err)
	}
	took := time.Since(start).Round(100 * time.Millisecond)
	return summarize(out, took)
}

func summarize(tarPath string, took time.Duration) error {
	dir, err := os.MkdirTemp("", "hardened-demo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if out, err := exec.Command("tar", "-xf", tarPath, "-C", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("untar: %v %s", err, out)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		return err
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return err
	}
	img, err := platformImage(idx)
	if err != nil {
		return fmt.Errorf("%s: %w", tarPath, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	dgst, err := img.Digest()
	if err != nil {
		return err
	}
	files, size, special, shells, err := scan(img)
	if err != nil {
		return err
	}
	layers, _ := img.Layers()
	c := cf.Config
	fmt.Printf(`
==> built in %s: %s
    image          %s (%s/%s)
    base           %s@%s
    user           %s (non-root, numeric)
    entrypoint     %q (exec form)
    size           %.1f MB uncompressed, %d files, %d layers
    setuid/setgid  %d files
    shell          %s
    labels         %d (OCI base name and digest recorded)
`, took, tarPath, dgst, cf.OS, cf.Architecture,
		c.Labels["org.opencontainers.image.base.name"], c.Labels["org.opencontainers.image.base.digest"],
		c.User, c.Entrypoint, float64(size)/1e6, files, len(layers), special, shellLine(shells), len(c.Labels))
	return nil
}

func shellLine(shells []string) string {
	if len(shells) == 0 {
		return "none"
	}
	return strings.Join(shells, ", ")
}

func scan(img v1.Image) (files int, size int64, special int, shells []string, err error) {
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, size, special, shells, nil
		}
		if err != nil {
			return 0, 0, 0, nil, err
		}
		files++
		size += h.Size
		if h.Mode&0o6000 != 0 {
			special++
		}
		switch "/" + strings.TrimPrefix(h.Name, "/") {
		case "/bin/sh", "/bin/bash", "/usr/bin/sh", "/bin/busybox":
			shells = append(shells, h.Name)
		}
	}
}

// platformImage is the image of an OCI layout's index, inside the manifest list a build with
// attestations writes, skipping the attestation manifests.
func platformImage(idx v1.ImageIndex) (v1.Image, error) {
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, d := range m.Manifests {
		if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
			continue
		}
		if d.MediaType.IsIndex() {
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return nil, err
			}
			return platformImage(child)
		}
		return idx.Image(d.Digest)
	}
	return nil, fmt.Errorf("no image in the index")
}

//go:build integration

package stack_test

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/hardenedbuild/hardened/integration/stack"
	"github.com/hardenedbuild/hardened/integration/stack/stacktest"
)

func TestStack(t *testing.T) {
	s := stacktest.Get(t)
	ctx := context.Background()
	goMinor := strings.Join(strings.SplitN(strings.TrimPrefix(runtime.Version(), "go"), ".", 3)[:2], ".")

	t.Run("Load attaches to the running stack", func(t *testing.T) {
		got, err := stack.Load(s.StateDir)
		if err != nil {
			t.Fatal(err)
		}
		if got.Registry != s.Registry || got.BuildkitAddr != s.BuildkitAddr {
			t.Errorf("Load = %s %s, want %s %s", got.Registry, got.BuildkitAddr, s.Registry, s.BuildkitAddr)
		}
	})

	t.Run("registry serves the stand-ins under their mirrored names", func(t *testing.T) {
		for _, repo := range []string{
			"library/golang:" + goMinor + "-trixie",
			"distroless/static-debian13:nonroot",
			"distroless/base-debian13:nonroot",
			"distroless/cc-debian13:nonroot",
		} {
			ref, err := name.ParseReference(s.Registry+"/"+repo, name.Insecure)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := remote.Head(ref, remote.WithContext(ctx)); err != nil {
				t.Errorf("%s: %v", repo, err)
			}
		}
	})

	for _, platform := range []string{"linux/amd64", "linux/arm64"} {
		t.Run("FROM distroless static for "+platform, func(t *testing.T) {
			dir := dockerfileDir(t, "FROM gcr.io/distroless/static-debian13:nonroot\n")
			out := filepath.Join(t.TempDir(), "oci")
			run(t, s.Buildctl(ctx, "build", "--frontend", "dockerfile.v0",
				"--local", "context="+dir, "--local", "dockerfile="+dir, "--opt", "platform="+platform,
				"--output", "type=oci,dest="+out+",tar=false"))
			img := ociImage(t, out)
			cfg, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Config.User != "65532" || cfg.OS+"/"+cfg.Architecture != platform {
				t.Errorf("config: user %q, platform %s/%s; want 65532 and %s", cfg.Config.User, cfg.OS, cfg.Architecture, platform)
			}
			files := imageFiles(t, img)
			for _, f := range []string{"etc/passwd", "etc/ssl/certs/ca-certificates.crt", "etc/os-release", "var/lib/dpkg/status.d/base-files", "home/nonroot"} {
				if _, ok := files[f]; !ok {
					t.Errorf("%s is missing", f)
				}
			}
			if h := files["home/nonroot"]; h != nil && (h.Uid != 65532 || h.Mode&0o777 != 0o700) {
				t.Errorf("/home/nonroot: uid %d mode %o, want 65532 and 0700", h.Uid, h.Mode)
			}
			for n, h := range files {
				if h.Mode&0o6000 != 0 {
					t.Errorf("%s has setuid or setgid bits (mode %o)", n, h.Mode)
				}
			}
		})
	}

	t.Run("RUN in the golang stand-in", func(t *testing.T) {
		dir := dockerfileDir(t, "FROM docker.io/library/golang:"+goMinor+"-trixie\n"+
			"RUN go version > /version && gcc --version && git --version\n"+
			// Reaching the module proxy over TLS needs the machine's trust roots in the image.
			"RUN cd /tmp && go mod init example.com/m && go mod download -json golang.org/x/text@v0.14.0 >/dev/null\n"+
			"FROM scratch\nCOPY --from=0 /version /version\n")
		out := t.TempDir()
		run(t, s.Buildctl(ctx, "build", "--frontend", "dockerfile.v0", "--no-cache",
			"--local", "context="+dir, "--local", "dockerfile="+dir, "--output", "type=local,dest="+out))
		got, err := os.ReadFile(filepath.Join(out, "version"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(got), runtime.Version()+" linux/amd64") {
			t.Errorf("go version in the image = %q, want %s linux/amd64", strings.TrimSpace(string(got)), runtime.Version())
		}
	})

	t.Run("stand-ins run their toolchains and interpreters", func(t *testing.T) { standInsRun(ctx, t, s) })

	t.Run("buildx drives the stack", func(t *testing.T) {
		dir := dockerfileDir(t, "FROM gcr.io/distroless/base-debian13:nonroot\n")
		out := filepath.Join(t.TempDir(), "oci")
		run(t, s.Buildx(ctx, "build", "--output", "type=oci,dest="+out+",tar=false", dir))
		if cfg, err := ociImage(t, out).ConfigFile(); err != nil || cfg.Config.User != "65532" {
			t.Errorf("buildx output: %v %v", cfg, err)
		}
		// The standalone binary, for machines without the docker CLI.
		standalone := exec.CommandContext(ctx, s.BuildxBin, "build", "--output", "type=oci,dest="+out+"2,tar=false", dir)
		standalone.Env = append(os.Environ(), s.Env()...)
		run(t, standalone)
	})
}

func dockerfileDir(t *testing.T, dockerfile string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func run(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	out, err := cmd.CombinedOutput()
	if err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) > 40 {
			lines = lines[len(lines)-40:]
		}
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, strings.Join(lines, "\n"))
	}
}

// ociImage reads the single image of an OCI layout directory written by the oci exporter.
func ociImage(t *testing.T, dir string) v1.Image {
	t.Helper()
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 1 {
		t.Fatalf("OCI layout %s: %v, %d manifests", dir, err, len(im.Manifests))
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// imageFiles lists the flattened filesystem of an image by clean path ("etc/passwd").
func imageFiles(t *testing.T, img v1.Image) map[string]*tar.Header {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	files := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		files[strings.Trim(path.Clean("/"+h.Name), "/")] = h
	}
}

// standInsRun: each stand-in runs what the real image is for, from where the real image has it.
func standInsRun(ctx context.Context, t *testing.T, s *stack.Stack) {
	stages := []string{
		"FROM docker.io/library/node:22-trixie-slim\nRUN node --version && npm --version && corepack --version && yarn --version && id node && docker-entrypoint.sh -e 0",
		"FROM docker.io/library/node:26-trixie-slim\nRUN node --version && npx --version && ! command -v corepack && ! command -v yarn",
		"FROM docker.io/library/python:3.13-trixie\nRUN test \"$(python3 -c 'import sys; print(sys.prefix)')\" = /usr/local && pip --version && python3 -m venv /v && /v/bin/pip --version",
		"FROM docker.io/library/eclipse-temurin:25-jdk-noble\nRUN test \"$(command -v javac)\" = /opt/java/openjdk/bin/javac && java -version && jshell --version",
		"FROM docker.io/library/rust:1-trixie\nRUN rustup show active-toolchain && cargo new /h && cd /h && cargo run --offline",
		"FROM gcr.io/distroless/java21-debian13:nonroot\nRUN [\"/usr/lib/jvm/temurin-21-jre-amd64/bin/java\", \"-version\"]",
		"FROM gcr.io/distroless/nodejs26-debian13:nonroot\nRUN [\"/nodejs/bin/node\", \"-e\", \"require('crypto')\"]",
		"FROM gcr.io/distroless/python3-debian13:nonroot\nRUN [\"/usr/bin/python3\", \"-c\", \"import ssl, sqlite3\"]",
	}
	var df strings.Builder
	for _, st := range stages {
		df.WriteString(st + "\n")
	}
	df.WriteString("FROM scratch\n")
	for i := range stages {
		fmt.Fprintf(&df, "COPY --from=%d /etc/os-release /%d\n", i, i)
	}
	dir := dockerfileDir(t, df.String())
	run(t, s.Buildctl(ctx, "build", "--frontend", "dockerfile.v0", "--local", "context="+dir, "--local", "dockerfile="+dir))
}

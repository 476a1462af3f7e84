package stack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// recipeVersion is part of every stand-in's cache key: bump it when this code changes what the images contain.
const recipeVersion = "2"

var (
	linuxAMD64 = v1.Platform{OS: "linux", Architecture: "amd64"}
	linuxARM64 = v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
)

// hostGo is the Go toolchain of this machine, which the golang stand-in carries.
type hostGo struct {
	version string // "1.26.8"
	goroot  string
}

// standIns lists every stand-in image: the builder images, then the distroless runtimes.
func standIns(g hostGo, r hostRust) []standIn {
	// Longest first (toolchains take the most packages and bytes), so the short ones fill the workers' gaps at
	// the end instead of a long one starting last.
	out := []standIn{rustStandIn(r), golangStandIn(g)}
	for _, j := range javaReleases {
		out = append(out, mavenStandIn(j), jdkStandIn(j))
	}
	out = append(out, pythonStandIn())
	for _, n := range nodeReleases {
		out = append(out, nodeStandIn(n))
	}
	out = append(out, debianStandIn())
	for _, j := range javaReleases {
		out = append(out, distrolessJavaStandIn(j))
	}
	for _, n := range nodeReleases {
		out = append(out, distrolessNodeStandIn(n))
	}
	out = append(out, distrolessPythonStandIn())
	for _, f := range []distrolessFlavor{ccFlavor, baseFlavor, staticFlavor} {
		out = append(out, distrolessStandIn(trixie, f), distrolessDebugStandIn(f))
	}
	return append(out, distrolessStandIn(bookworm, staticFlavor))
}

// buildTools are the Debian packages the golang and rust stand-ins share in one layer: the C toolchain cgo and
// rustc link with, and git (the official images build on buildpack-deps, which has them).
var buildTools = aptInstall{packages: []string{"gcc", "libc6-dev", "git", "make", "pkg-config"}}

// golangStandIn is docker.io/library/golang:<version>-trixie, :<minor>-trixie and :1-trixie (the newest Go's,
// as official-images' library/golang tags it): Debian trixie with the C toolchain and git, and the host's Go
// toolchain in /usr/local/go, configured like the official image.
func golangStandIn(g hostGo) standIn {
	minor := g.version
	if parts := strings.SplitN(g.version, ".", 3); len(parts) == 3 {
		minor = parts[0] + "." + parts[1]
	}
	config := func(v1.Platform) v1.Config {
		return v1.Config{
			Env: []string{
				"PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				"GOLANG_VERSION=" + g.version,
				"GOTOOLCHAIN=local",
				"GOPATH=/go",
			},
			WorkingDir: "/go",
			Cmd:        []string{"bash"},
		}
	}
	return standIn{
		name:      "golang-" + g.version + "-trixie",
		platforms: []v1.Platform{linuxAMD64},
		layers: func(ctx context.Context, b *builder, p v1.Platform) ([]layerRecipe, error) {
			return withBase(ctx, b, p, buildTools, goToolchainLayer(g))
		},
		tags: []tag{
			{ref: "docker.io/library/golang:" + g.version + "-trixie", config: config},
			{ref: "docker.io/library/golang:" + minor + "-trixie", config: config},
			{ref: "docker.io/library/golang:1-trixie", config: config},
		},
	}
}

// withBase is the shared base layer, an apt layer on it when the install has packages or a script, then the given
// layers.
func withBase(ctx context.Context, b *builder, p v1.Platform, in aptInstall, more ...layerRecipe) ([]layerRecipe, error) {
	base, err := debootstrapLayer(ctx, b, p)
	if err != nil {
		return nil, err
	}
	out := []layerRecipe{base}
	if len(in.packages) > 0 || in.script != "" {
		l, err := aptLayer(ctx, b, p, in)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return append(out, more...), nil
}

// cleanRootfs removes what a bootstrapped system should not ship in an image and writes the apt sources.
func cleanRootfs(rootfs string, m debianMirrors, suite string) error {
	for _, pattern := range []string{
		"var/lib/apt/lists/*", "var/cache/apt/*.bin", "var/cache/apt/archives/*.deb", "var/log/*.log", "var/log/apt/*",
		"etc/hostname", "etc/resolv.conf", "etc/apt/sources.list",
	} {
		matches, err := globIn(rootfs, pattern)
		if err != nil {
			return err
		}
		for _, f := range matches {
			if fi, err := os.Lstat(f); err == nil && fi.IsDir() && strings.HasSuffix(f, "/partial") {
				continue
			}
			if err := os.RemoveAll(f); err != nil {
				return err
			}
		}
	}
	return os.WriteFile(rootfs+"/etc/apt/sources.list.d/debian.sources", m.debianSourcesFile(suite), 0o644)
}

// hostCABundle is the host's trust store. Where outbound TLS is intercepted (as on the machines this runs on), it
// holds the interception CA that RUN steps need to reach the Go module proxy or npm.
const hostCABundle = "/etc/ssl/certs/ca-certificates.crt"

// trustHostCAs adds the certificates of the host's trust store that the root filesystem does not trust yet, the
// way update-ca-certificates would for files in /usr/local/share/ca-certificates, and returns how many it added.
func trustHostCAs(rootfs string) (int, error) {
	host, err := os.ReadFile(hostCABundle)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	bundle := filepath.Join(rootfs, "etc/ssl/certs/ca-certificates.crt")
	own, err := os.ReadFile(bundle)
	if err != nil {
		return 0, fmt.Errorf("the root filesystem has no CA bundle: %w", err)
	}
	known := map[string]bool{}
	for rest := own; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		known[string(b.Bytes)] = true
	}
	added := 0
	for rest := host; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" || known[string(b.Bytes)] {
			continue
		}
		known[string(b.Bytes)] = true
		cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b.Bytes})
		sum := sha256.Sum256(b.Bytes)
		name := filepath.Join(rootfs, "usr/local/share/ca-certificates", "host-"+hex.EncodeToString(sum[:4])+".crt")
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return added, err
		}
		if err := os.WriteFile(name, cert, 0o644); err != nil {
			return added, err
		}
		if len(own) > 0 && own[len(own)-1] != '\n' {
			own = append(own, '\n')
		}
		own = append(own, cert...)
		added++
	}
	if added == 0 {
		return 0, nil
	}
	return added, os.WriteFile(bundle, own, 0o644)
}

// fileDigest is the hex SHA-256 of a file, or "none" when it cannot be read.
func fileDigest(file string) string {
	data, err := os.ReadFile(file)
	if err != nil {
		return "none"
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// goToolchainLayer is the host's GOROOT at /usr/local/go (without the toolchain's own test suite and tools for
// other platforms) and an empty GOPATH at /go, world-writable like the official image's.
func goToolchainLayer(g hostGo) layerRecipe {
	versionFile, _ := os.ReadFile(g.goroot + "/VERSION")
	return layerRecipe{
		key:       []string{"go " + g.version, "goroot " + g.goroot, "VERSION " + string(bytes.TrimSpace(versionFile))},
		createdBy: "COPY GOROOT /usr/local/go (go" + g.version + ")",
		build: func(ctx context.Context, b *builder, scratch string) (*tree, writeOptions, error) {
			t := newTree()
			toolDir := "pkg/tool/linux_" + hostArch()
			err := t.addHostDir(g.goroot, dirOptions{
				prefix: "usr/local/go",
				owner:  &[2]int{0, 0},
				skip: func(rel string, d fs.DirEntry) bool {
					return rel == "test" || rel == "pkg/obj" ||
						(strings.HasPrefix(rel, "pkg/tool/") && strings.Count(rel, "/") == 2 && rel != toolDir)
				},
			})
			for _, d := range []string{"go", "go/bin", "go/src"} {
				t.addDir(d, 0o1777, 0, 0)
			}
			return t, writeOptions{}, err
		},
	}
}

func hostGoToolchain(ctx context.Context) (hostGo, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "-json", "GOVERSION", "GOROOT").Output()
	if err != nil {
		return hostGo{}, fmt.Errorf("go env: %w (the golang stand-in carries the host's Go toolchain)", err)
	}
	var env struct{ GOVERSION, GOROOT string }
	if err := json.Unmarshal(out, &env); err != nil {
		return hostGo{}, fmt.Errorf("go env: %w", err)
	}
	v := strings.TrimPrefix(strings.Fields(env.GOVERSION + " ")[0], "go")
	if v == "" || env.GOROOT == "" {
		return hostGo{}, fmt.Errorf("go env printed no GOVERSION or GOROOT: %s", out)
	}
	return hostGo{version: v, goroot: env.GOROOT}, nil
}

// hostArch is the architecture of this machine in OCI terms (the binary runs natively).
func hostArch() string { return runtime.GOARCH }

// globIn expands a glob pattern relative to root.
func globIn(root, pattern string) ([]string, error) {
	return filepath.Glob(filepath.Join(root, pattern))
}

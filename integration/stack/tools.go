package stack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// toolPaths are the binaries the stack runs, built from the tools/ modules into <repo>/bin.
type toolPaths struct {
	buildkitd, buildctl, buildx string
}

// toolModule is one tools/ module and what it builds.
type toolModule struct {
	dir  string   // relative to the repository root
	bins []string // names in bin/, in the order of pkgs
	pkgs []string
}

var toolModules = []toolModule{
	{dir: "tools/buildkit", bins: []string{"buildkitd", "buildctl"},
		pkgs: []string{"github.com/moby/buildkit/cmd/buildkitd", "github.com/moby/buildkit/cmd/buildctl"}},
	{dir: "tools/buildx", bins: []string{"docker-buildx"}, pkgs: []string{"github.com/docker/buildx/cmd/buildx"}},
}

// ensureTools makes bin/buildkitd, bin/buildctl and bin/docker-buildx current: kept when newer than their
// module's go.mod and go.sum, else copied from the tools cache (cacheDir/tools, keyed by the module's go.mod,
// go.sum and the Go version), else built and stored there, so a fresh clone on a machine that built them once
// does not build them again.
func ensureTools(ctx context.Context, repo, cacheDir string, log *logWriter) (toolPaths, error) {
	bin := filepath.Join(repo, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return toolPaths{}, err
	}
	for _, m := range toolModules {
		if !toolsStale(repo, m) {
			continue
		}
		key, err := toolsKey(ctx, repo, m)
		if err != nil {
			return toolPaths{}, err
		}
		cached := filepath.Join(cacheDir, "tools", filepath.Base(m.dir)+"-"+key)
		if !haveAll(cached, m.bins) {
			done := log.step("building %s from %s", strings.Join(m.bins, ", "), m.dir)
			if err := os.MkdirAll(filepath.Join(cacheDir, "tools"), 0o755); err != nil {
				return toolPaths{}, err
			}
			tmp, err := os.MkdirTemp(filepath.Join(cacheDir, "tools"), "build-")
			if err != nil {
				return toolPaths{}, err
			}
			out := tmp + "/"
			if len(m.bins) == 1 {
				out = filepath.Join(tmp, m.bins[0])
			}
			cmd := exec.CommandContext(ctx, "go", append([]string{"build", "-o", out}, m.pkgs...)...)
			cmd.Dir = filepath.Join(repo, m.dir)
			if output, err := cmd.CombinedOutput(); err != nil {
				os.RemoveAll(tmp)
				return toolPaths{}, fmt.Errorf("building %s in %s: %w\n%s", strings.Join(m.bins, ", "), m.dir, err, tail(output, 20))
			}
			os.RemoveAll(cached)
			if err := os.Rename(tmp, cached); err != nil && !haveAll(cached, m.bins) {
				return toolPaths{}, err
			}
			done()
		} else {
			log.Printf("%s from the tools cache (%s)", strings.Join(m.bins, ", "), cached)
		}
		now := time.Now()
		for _, b := range m.bins {
			if err := copyExecutable(filepath.Join(cached, b), filepath.Join(bin, b)); err != nil {
				return toolPaths{}, err
			}
			// The new mtime records that the binary is current for its go.mod and go.sum.
			os.Chtimes(filepath.Join(bin, b), now, now)
		}
	}
	return toolPaths{
		buildkitd: filepath.Join(bin, "buildkitd"),
		buildctl:  filepath.Join(bin, "buildctl"),
		buildx:    filepath.Join(bin, "docker-buildx"),
	}, nil
}

// toolsKey is what decides a tools module's binaries: its go.mod and go.sum and the Go that builds them.
func toolsKey(ctx context.Context, repo string, m toolModule) (string, error) {
	h := sha256.New()
	for _, f := range []string{"go.mod", "go.sum"} {
		data, err := os.ReadFile(filepath.Join(repo, m.dir, f))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", f, len(data))
		h.Write(data)
	}
	v, err := exec.CommandContext(ctx, "go", "env", "GOVERSION", "GOOS", "GOARCH").Output()
	if err != nil {
		return "", fmt.Errorf("go env: %w", err)
	}
	h.Write(v)
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func haveAll(dir string, names []string) bool {
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			return false
		}
	}
	return true
}

// copyExecutable copies src to dst through a temporary file, so a running binary at dst is replaced, not
// overwritten.
func copyExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

func toolsStale(repo string, m toolModule) bool {
	var newest time.Time
	for _, f := range []string{"go.mod", "go.sum"} {
		if fi, err := os.Stat(filepath.Join(repo, m.dir, f)); err == nil && fi.ModTime().After(newest) {
			newest = fi.ModTime()
		}
	}
	for _, b := range m.bins {
		fi, err := os.Stat(filepath.Join(repo, "bin", b))
		if err != nil || fi.ModTime().Before(newest) {
			return true
		}
	}
	return false
}

// buildStackCommand builds integration/cmd/stack into <repo>/bin/stack (the binary Up starts as "serve").
func buildStackCommand(ctx context.Context, repo string) (string, error) {
	exe := filepath.Join(repo, "bin", "stack")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", exe, "./integration/cmd/stack")
	cmd.Dir = repo
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the stack command: %w\n%s", err, tail(out, 20))
	}
	return exe, nil
}

// hostPackages maps the commands the stack needs to the Debian packages providing them.
var hostPackages = map[string]string{"runc": "runc", "debootstrap": "debootstrap", "dpkg-deb": "dpkg"}

// ensureHostPackages installs the Debian packages of missing commands with apt-get (as root).
func ensureHostPackages(ctx context.Context, log *logWriter, commands ...string) error {
	var missing []string
	for _, c := range commands {
		if !onPathOrSbin(c) {
			missing = append(missing, hostPackages[c])
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("%s missing: install with apt-get install -y %s (the stack runs buildkitd and debootstrap as root)",
			strings.Join(missing, ", "), strings.Join(missing, " "))
	}
	done := log.step("installing %s with apt-get", strings.Join(missing, " "))
	for _, args := range [][]string{{"update"}, append([]string{"install", "-y", "--no-install-recommends"}, missing...)} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("apt-get %s: %w\n%s", strings.Join(args, " "), err, tail(out.Bytes(), 20))
		}
	}
	done()
	return nil
}

func onPathOrSbin(name string) bool {
	if _, err := exec.LookPath(name); err == nil {
		return true
	}
	for _, d := range []string{"/usr/local/sbin", "/usr/sbin", "/sbin"} {
		if fi, err := os.Stat(filepath.Join(d, name)); err == nil && fi.Mode()&0o111 != 0 {
			return true
		}
	}
	return false
}

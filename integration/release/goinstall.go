package release

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

const modulePath = "github.com/hardenedbuild/hardened"

// GoInstall runs `go install MODULE/cmd/hardened@latest` from a clean module cache, with the module served as
// vVERSION from a proxy directory made from git HEAD (what the tag will point at): a replace or exclude directive,
// or a file the module zip leaves out, fails here before users meet it. Other modules come from the machine's
// module cache, else the public proxy.
func GoInstall(ctx context.Context, root, version string) error {
	tmp, err := os.MkdirTemp("", "release-goinstall-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	v := module.Version{Path: modulePath, Version: "v" + version}
	dir := filepath.Join(tmp, "proxy", modulePath, "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	zf, err := os.Create(filepath.Join(dir, v.Version+".zip"))
	if err != nil {
		return err
	}
	err = modzip.CreateFromVCS(zf, v, root, "HEAD", "")
	if cerr := zf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("module zip of HEAD: %w", err)
	}
	mod, err := exec.CommandContext(ctx, "git", "-C", root, "show", "HEAD:go.mod").Output()
	if err != nil {
		return fmt.Errorf("git show HEAD:go.mod: %w", err)
	}
	info := fmt.Sprintf(`{"Version":%q,"Time":%q}`, v.Version, time.Now().UTC().Format(time.RFC3339))
	for name, data := range map[string]string{"list": v.Version + "\n", v.Version + ".info": info, v.Version + ".mod": string(mod)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			return err
		}
	}
	return goInstallFrom(ctx, tmp)
}

// goInstallFrom installs from the proxy under tmp into a module cache and GOBIN of its own, then runs the binary.
func goInstallFrom(ctx context.Context, tmp string) error {
	hostCache, err := exec.CommandContext(ctx, "go", "env", "GOMODCACHE").Output()
	if err != nil {
		return err
	}
	modcache, gobin := filepath.Join(tmp, "modcache"), filepath.Join(tmp, "bin")
	env := append(os.Environ(),
		// -trimpath as the CLI step built: the compile then comes from the build cache, only the module cache is new.
		"GOMODCACHE="+modcache, "GOBIN="+gobin, "GOFLAGS=-trimpath", "GOWORK=off",
		"GOPROXY=file://"+filepath.Join(tmp, "proxy")+",file://"+filepath.Join(strings.TrimSpace(string(hostCache)), "cache", "download")+",https://proxy.golang.org",
		"GONOSUMDB="+modulePath, "CGO_ENABLED=0")
	// Module caches are read-only; go clean removes this one (deferred before anything can fail).
	defer func() {
		c := exec.Command("go", "clean", "-modcache")
		c.Env = env
		_ = c.Run()
	}()
	cmd := exec.CommandContext(ctx, "go", "install", modulePath+"/cmd/hardened@latest")
	cmd.Dir = tmp // outside any module
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go install %s/cmd/hardened@latest: %w\n%s", modulePath, err, out)
	}
	if out, err := exec.CommandContext(ctx, filepath.Join(gobin, "hardened"), "help").CombinedOutput(); err != nil {
		return fmt.Errorf("the installed hardened: %w\n%s", err, out)
	}
	return nil
}

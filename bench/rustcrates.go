package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/hardenedbuild/hardened/integration/stack"
)

// rustsvc's crates are not committed and crates.io is out of reach: the bench lays out its vendor/ as
// `cargo vendor` does, from the sources Debian's librust-*-dev packages ship, at the versions its committed
// Cargo.lock names. The result is cached under the cache directory, keyed by the packages and their versions.

// rustCratesRecipe changes whenever the layout below does, so no older cached vendor directory is reused.
const rustCratesRecipe = "rust-crates 1"

// debianCrateDir is where a librust-*-dev package puts its crate's source.
const debianCrateDir = "usr/share/cargo/registry"

type lockedCrate struct{ Name, Version string }

// lockedCrates are the registry packages of a Cargo.lock (the package itself, with no source, is left out).
func lockedCrates(lock []byte) ([]lockedCrate, error) {
	var out []lockedCrate
	var cur map[string]string
	flush := func() {
		if cur != nil && strings.HasPrefix(cur["source"], "registry+") {
			out = append(out, lockedCrate{Name: cur["name"], Version: cur["version"]})
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(lock))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "[[package]]" {
			flush()
			cur = map[string]string{}
			continue
		}
		if k, v, ok := strings.Cut(line, " = "); ok && cur != nil && strings.HasPrefix(v, `"`) {
			cur[k] = strings.Trim(v, `"`)
		}
	}
	flush()
	if len(out) == 0 {
		return nil, fmt.Errorf("Cargo.lock names no registry package")
	}
	return out, sc.Err()
}

// debianCratePackage is the Debian package that ships a crate's newest version: librust-NAME-dev, with
// underscores as dashes and lower case, as Debian's Rust team names them.
func debianCratePackage(crate string) string {
	return "librust-" + strings.ReplaceAll(strings.ToLower(crate), "_", "-") + "-dev"
}

// upstreamVersion is a Debian version without its epoch and Debian revision: the crate's version.
func upstreamVersion(v string) string {
	if _, after, ok := strings.Cut(v, ":"); ok {
		v = after
	}
	if i := strings.LastIndex(v, "-"); i > 0 {
		v = v[:i]
	}
	return v
}

// vendoredCrates memoises rustVendorDir by the lock's content: each workspace reset lays vendor/ out again.
var vendoredCrates = map[string]string{}

// rustVendorDir returns the cached vendor directory for a Cargo.lock, making it when the cache lacks it.
func rustVendorDir(ctx context.Context, cacheDir string, lock []byte) (string, error) {
	if dir, ok := vendoredCrates[string(lock)]; ok {
		return dir, nil
	}
	crates, err := lockedCrates(lock)
	if err != nil {
		return "", err
	}
	names := make([]string, len(crates))
	for i, c := range crates {
		names[i] = debianCratePackage(c.Name)
	}
	debs, err := stack.FetchDebs(ctx, cacheDir, names, os.Stderr)
	if err != nil {
		return "", fmt.Errorf("fetching the crates' Debian packages: %w", err)
	}
	h := sha256.New()
	fmt.Fprintln(h, rustCratesRecipe)
	for i, d := range debs {
		if upstreamVersion(d.Version) != crates[i].Version {
			return "", fmt.Errorf("Cargo.lock pins %s %s but Debian's %s is %s: run `cargo generate-lockfile --offline` "+
				"against the new vendor directory and commit the lock", crates[i].Name, crates[i].Version, d.Name, d.Version)
		}
		fmt.Fprintf(h, "%s=%s\n", d.Name, d.Version)
	}
	dir := filepath.Join(cacheDir, "rust-crates", hex.EncodeToString(h.Sum(nil))[:16])
	vendor := filepath.Join(dir, "vendor")
	if _, err := os.Stat(vendor); err != nil {
		if err := layOutVendor(ctx, dir, crates, debs); err != nil {
			return "", err
		}
	}
	vendoredCrates[string(lock)] = vendor
	return vendor, nil
}

// layOutVendor unpacks the packages and writes dir/vendor as `cargo vendor` does: a directory per crate,
// named by the crate (with its version when two versions are locked), with a .cargo-checksum.json.
func layOutVendor(ctx context.Context, dir string, crates []lockedCrate, debs []stack.DebFile) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(dir, "tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	root := filepath.Join(tmp, "root")
	for _, d := range debs {
		if out, err := exec.CommandContext(ctx, "dpkg-deb", "-x", d.Path, root).CombinedOutput(); err != nil {
			return fmt.Errorf("dpkg-deb -x %s: %w: %s", d.Path, err, out)
		}
	}
	count := map[string]int{}
	for _, c := range crates {
		count[c.Name]++
	}
	vendor := filepath.Join(tmp, "vendor")
	for _, c := range crates {
		name := c.Name
		if count[c.Name] > 1 {
			name += "-" + c.Version
		}
		src := filepath.Join(root, debianCrateDir, c.Name+"-"+c.Version)
		if err := vendorCrate(src, filepath.Join(vendor, name)); err != nil {
			return fmt.Errorf("crate %s %s: %w", c.Name, c.Version, err)
		}
	}
	return os.Rename(vendor, filepath.Join(dir, "vendor"))
}

// vendorCrate copies one crate's source, without Debian's own debian/ directory and checksum file, and
// writes the .cargo-checksum.json cargo checks a directory source against: each file's SHA-256, and no
// package checksum, since there is no .crate file to hash (as `cargo vendor` writes for a git source).
func vendorCrate(src, dst string) error {
	if _, err := os.Stat(filepath.Join(src, "Cargo.toml")); err != nil {
		return fmt.Errorf("the Debian package has no source at %s: %w", src, err)
	}
	files := map[string]string{}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir() && rel == "debian":
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		case rel == ".cargo-checksum.json" || !d.Type().IsRegular():
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		files[rel] = hex.EncodeToString(sum[:])
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		return err
	}
	sum, err := json.Marshal(struct {
		Files   map[string]string `json:"files"`
		Package *string           `json:"package"`
	}{Files: files})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dst, ".cargo-checksum.json"), sum, 0o644)
}

// prepareRustVendor writes rustsvc's vendor/ into the workspace from the cache.
func prepareRustVendor(w *workspace) error {
	vendor, err := rustVendorDir(context.Background(), stack.DefaultCacheDir(), w.orig["Cargo.lock"])
	if err != nil {
		return fmt.Errorf("%s: laying out vendor/: %w", w.ex.dir(), err)
	}
	n := 0
	err = copyFiles(vendor, filepath.Join(w.ctx, "vendor"), "", func(rel string, data []byte, perm fs.FileMode) error {
		n++
		return os.WriteFile(filepath.Join(w.ctx, "vendor", rel), data, perm)
	})
	if err == nil && n == 0 {
		err = fmt.Errorf("%s: the cached vendor directory %s is empty", w.ex.dir(), vendor)
	}
	return err
}

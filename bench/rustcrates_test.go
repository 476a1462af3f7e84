package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// rustsvc's committed lock is a real graph of registry crates, proc macros included, each of which the
// bench can map to the Debian package it takes the crate from.
func TestRustsvcLockIsARealCrateGraph(t *testing.T) {
	lock, err := os.ReadFile(filepath.Join("apps", "rustsvc", "Cargo.lock"))
	if err != nil {
		t.Fatal(err)
	}
	crates, err := lockedCrates(lock)
	if err != nil {
		t.Fatal(err)
	}
	if len(crates) < 12 {
		t.Errorf("Cargo.lock has %d registry crates, want a dozen or more: %v", len(crates), crates)
	}
	var names []string
	for _, c := range crates {
		if c.Version == "" {
			t.Errorf("crate %s has no version", c.Name)
		}
		names = append(names, c.Name)
	}
	for _, want := range []string{"serde_derive", "thiserror-impl", "syn", "regex", "sha2"} {
		if !slices.Contains(names, want) {
			t.Errorf("Cargo.lock lacks %s: %v", want, names)
		}
	}
	if slices.Contains(names, "server") {
		t.Errorf("the package itself is taken for a registry crate: %v", names)
	}
}

func TestLockedCratesRefusesAnEmptyLock(t *testing.T) {
	if _, err := lockedCrates([]byte("version = 4\n\n[[package]]\nname = \"server\"\nversion = \"0.1.0\"\n")); err == nil {
		t.Error("a lock with no registry package gave no error")
	}
}

func TestDebianCratePackageAndVersion(t *testing.T) {
	for crate, want := range map[string]string{
		"serde_derive": "librust-serde-derive-dev", "thiserror-impl": "librust-thiserror-impl-dev", "syn": "librust-syn-dev",
	} {
		if got := debianCratePackage(crate); got != want {
			t.Errorf("debianCratePackage(%q) = %q, want %q", crate, got, want)
		}
	}
	for deb, want := range map[string]string{"0.10.8-1+b2": "0.10.8", "1:2.0.1-3": "2.0.1", "1.0.217-1": "1.0.217"} {
		if got := upstreamVersion(deb); got != want {
			t.Errorf("upstreamVersion(%q) = %q, want %q", deb, got, want)
		}
	}
}

// A vendored crate is laid out as `cargo vendor` does: Debian's debian/ and its placeholder checksum
// file gone, and a .cargo-checksum.json with each file's SHA-256.
func TestVendorCrateLayout(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "demo")
	write := func(rel, content string) {
		p := filepath.Join(src, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Cargo.toml", "[package]\nname = \"demo\"\n")
	write("src/lib.rs", "pub fn f() {}\n")
	write("debian/patches/series", "relax-deps.patch\n")
	write(".cargo-checksum.json", `{"package":"Could not get crate checksum","files":{}}`)
	if err := vendorCrate(src, dst); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dst, "debian")); err == nil {
		t.Error("debian/ was vendored")
	}
	data, err := os.ReadFile(filepath.Join(dst, ".cargo-checksum.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Files   map[string]string `json:"files"`
		Package *string           `json:"package"`
	}
	if err := json.Unmarshal(data, &sum); err != nil {
		t.Fatal(err)
	}
	lib := sha256.Sum256([]byte("pub fn f() {}\n"))
	if sum.Files["src/lib.rs"] != hex.EncodeToString(lib[:]) {
		t.Errorf("src/lib.rs checksum %q, want its SHA-256", sum.Files["src/lib.rs"])
	}
	if len(sum.Files) != 2 || sum.Package != nil {
		t.Errorf("checksum file %s: want Cargo.toml and src/lib.rs only, and no package checksum", data)
	}
	if err := vendorCrate(filepath.Join(src, "src"), filepath.Join(t.TempDir(), "x")); err == nil {
		t.Error("a directory without Cargo.toml was vendored")
	}
}

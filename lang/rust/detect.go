package rust

import (
	"github.com/hardenedbuild/hardened/lang"

	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// defaultRustVersion is written only when the build cannot start without a version line: the
// first release with the 2024 edition.
const defaultRustVersion = "1.85"

// cargoManifest is what init reads of a Cargo.toml.
type cargoManifest struct {
	Package   *cargoPackage
	Workspace *struct{ Members []string }
	Bin       []struct {
		Name             string
		RequiredFeatures any `toml:"required-features"`
	}
}

type cargoPackage struct {
	Name     string
	Autobins *bool
}

// rustBin is one binary of a package and how init found it.
type rustBin struct{ name, why string }

// detectRust lists the binaries cargo build --bin takes: the package's src/main.rs (named
// after the package), its [[bin]] targets and src/bin/, or those of a workspace's members.
func (Language) Detect(dir string) (*lang.Detection, error) {
	manifest, err := os.ReadFile(filepath.Join(dir, "Cargo.toml"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	det := &lang.Detection{Marker: "Cargo.toml", Comments: map[string]string{},
		FallbackVersion: defaultRustVersion,
		FallbackComment: "No rust-toolchain.toml names a release: the Rust release to build with\n(rust:<version>-trixie)."}
	var m cargoManifest
	if _, err := toml.Decode(string(manifest), &m); err != nil {
		return nil, fmt.Errorf("rust: Cargo.toml does not parse: %v", err)
	}
	if lang.IsFile(filepath.Join(dir, "rust-toolchain.toml")) || lang.IsFile(filepath.Join(dir, "rust-toolchain")) {
		det.VersionFrom = "rust-toolchain.toml's channel (else the newest stable release)"
	} else {
		det.VersionFrom = "the newest stable release\n(Cargo.toml's rust-version is only the oldest Rust the package accepts)"
	}
	var bins []rustBin
	if m.Package != nil {
		bins = rustPackageBins(dir, m, det)
	}
	if m.Workspace != nil {
		for _, pattern := range m.Workspace.Members {
			matches, _ := filepath.Glob(filepath.Join(dir, filepath.FromSlash(pattern)))
			for _, match := range matches {
				var member cargoManifest
				if _, err := toml.DecodeFile(filepath.Join(match, "Cargo.toml"), &member); err != nil {
					continue
				}
				rel, _ := filepath.Rel(dir, match)
				for _, b := range rustPackageBins(match, member, det) {
					bins = append(bins, rustBin{b.name, b.why + " of member " + filepath.ToSlash(rel)})
				}
			}
		}
	}
	seen := map[string]bool{}
	var whys []string
	for _, b := range bins {
		if seen[b.name] {
			continue
		}
		seen[b.name] = true
		det.Artifacts = append(det.Artifacts, b.name)
		whys = append(whys, b.name+": "+b.why)
	}
	if len(det.Artifacts) == 0 {
		return nil, errors.New("rust: Cargo.toml found, but no binary: no src/main.rs, src/bin/ or [[bin]] (a library has nothing to run); write the spec by hand (docs/languages.md)")
	}
	c := "Binary names, as cargo build --bin takes them (" + strings.Join(whys, "; ") + ")."
	if len(det.Artifacts) > 1 {
		c += "\nThe first is the entrypoint; write entrypoint: [/app/NAME] to run another."
	}
	det.Comments["artifacts"] = c
	return det, nil
}

// rustPackageBins are a package's binaries in cargo's order: the package's src/main.rs,
// [[bin]] targets, then src/bin/*.rs and src/bin/*/main.rs unless autobins = false.
// Binaries that need features are left out with a warning: the build enables none.
func rustPackageBins(dir string, m cargoManifest, det *lang.Detection) []rustBin {
	var pkg cargoPackage
	if m.Package != nil {
		pkg = *m.Package
	}
	auto := pkg.Autobins == nil || *pkg.Autobins
	var bins []rustBin
	if auto && pkg.Name != "" && lang.IsFile(filepath.Join(dir, "src", "main.rs")) {
		bins = append(bins, rustBin{pkg.Name, "the package of src/main.rs"})
	}
	for _, t := range m.Bin {
		name := t.Name
		if name == "" {
			continue
		}
		if t.RequiredFeatures != nil {
			det.Warnings = append(det.Warnings, fmt.Sprintf("left out binary %s: it needs features (required-features), and the build enables none", name))
			continue
		}
		if slices.ContainsFunc(bins, func(b rustBin) bool { return b.name == name }) {
			continue
		}
		bins = append(bins, rustBin{name, "[[bin]]"})
	}
	if !auto {
		return bins
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "src", "bin"))
	for _, e := range entries {
		name := ""
		switch {
		case !e.IsDir() && strings.HasSuffix(e.Name(), ".rs"):
			name = strings.TrimSuffix(e.Name(), ".rs")
		case e.IsDir() && lang.IsFile(filepath.Join(dir, "src", "bin", e.Name(), "main.rs")):
			name = e.Name()
		}
		if name != "" && !slices.ContainsFunc(bins, func(b rustBin) bool { return b.name == name }) {
			bins = append(bins, rustBin{name, "src/bin"})
		}
	}
	return bins
}

package rust

import (
	"net/url"
	"path"

	"github.com/BurntSushi/toml"
	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/sbom"
)

// Packages are the crates the builder's Cargo.lock pins: Rust binaries carry no metadata of
// their own, so the lock the build used names what was compiled in, the workspace's own included.
func (Language) Packages(_, builder sbom.FS) []sbom.Package {
	lock := path.Join(llb.SrcDir, "Cargo.lock")
	return cargoLock(lock, sbom.ReadSmall(builder, lock))
}

// cargoLock lists the crates a Cargo.lock pins: registry crates as pkg:cargo purls, path and git
// crates (the workspace's own) as pkg:cargo too, without a registry.
func cargoLock(location string, data []byte) []sbom.Package {
	var lock struct {
		Package []struct{ Name, Version string }
	}
	if _, err := toml.Decode(string(data), &lock); err != nil {
		return nil
	}
	var out []sbom.Package
	for _, p := range lock.Package {
		if p.Name != "" && p.Version != "" {
			out = append(out, sbom.Package{Name: p.Name, Version: p.Version, Location: location,
				PURL: "pkg:cargo/" + url.PathEscape(p.Name) + "@" + url.PathEscape(p.Version)})
		}
	}
	return out
}

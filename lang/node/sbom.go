package node

import (
	"encoding/json"
	"net/url"
	"path"
	"strings"

	"github.com/hardenedbuild/hardened/sbom"
)

// Packages are the npm packages the image's node_modules holds.
func (Language) Packages(image, _ sbom.FS) []sbom.Package {
	return npmPackages(image, path.Join(sbom.AppDir, "node_modules"))
}

// npmPackages reads every package under a node_modules directory, scoped and nested ones too.
func npmPackages(fsys sbom.FS, nm string) []sbom.Package {
	names, err := fsys.ReadDir(nm)
	if err != nil {
		return nil
	}
	var out []sbom.Package
	for _, n := range names {
		if strings.HasPrefix(n, ".") {
			continue
		}
		dirs := []string{path.Join(nm, n)}
		if strings.HasPrefix(n, "@") {
			scoped, err := fsys.ReadDir(path.Join(nm, n))
			if err != nil {
				continue
			}
			dirs = dirs[:0]
			for _, s := range scoped {
				dirs = append(dirs, path.Join(nm, n, s))
			}
		}
		for _, d := range dirs {
			if p, ok := npmPackage(path.Join(d, "package.json"), sbom.ReadSmall(fsys, path.Join(d, "package.json"))); ok {
				out = append(out, p)
			}
			out = append(out, npmPackages(fsys, path.Join(d, "node_modules"))...)
		}
	}
	return out
}

// npmPackage is the package a package.json describes.
func npmPackage(location string, data []byte) (sbom.Package, bool) {
	var m struct {
		Name    string          `json:"name"`
		Version string          `json:"version"`
		License json.RawMessage `json:"license"`
	}
	if json.Unmarshal(data, &m) != nil || m.Name == "" || m.Version == "" {
		return sbom.Package{}, false
	}
	var license string
	_ = json.Unmarshal(m.License, &license) // an old-style {"type": ...} object stays unknown
	name := m.Name
	if scope, rest, ok := strings.Cut(name, "/"); ok && strings.HasPrefix(scope, "@") {
		name = "%40" + url.PathEscape(strings.TrimPrefix(scope, "@")) + "/" + url.PathEscape(rest) // purl encodes the scope's @
	} else {
		name = url.PathEscape(name)
	}
	return sbom.Package{Name: m.Name, Version: m.Version, License: license, Location: location,
		PURL: "pkg:npm/" + name + "@" + url.PathEscape(m.Version)}, true
}

package python

import (
	"bufio"
	"bytes"
	"net/url"
	"path"
	"strings"

	"github.com/hardenedbuild/hardened/sbom"
)

// Packages are the Python distributions of the app's virtualenv.
func (Language) Packages(image, _ sbom.FS) []sbom.Package { return venvPackages(image, sbom.AppDir) }

// venvPackages finds site-packages directories of a virtualenv in the app (.venv, venv) and
// reads each distribution's METADATA.
func venvPackages(fsys sbom.FS, dir string) []sbom.Package {
	var out []sbom.Package
	for _, venv := range []string{".venv", "venv"} {
		lib := path.Join(dir, venv, "lib")
		pys, err := fsys.ReadDir(lib)
		if err != nil {
			continue
		}
		for _, py := range pys {
			site := path.Join(lib, py, "site-packages")
			entries, err := fsys.ReadDir(site)
			if err != nil {
				continue
			}
			for _, e := range entries {
				if !strings.HasSuffix(e, ".dist-info") {
					continue
				}
				meta := path.Join(site, e, "METADATA")
				if p, ok := pythonDistribution(meta, sbom.ReadSmall(fsys, meta)); ok {
					out = append(out, p)
				}
			}
		}
	}
	return out
}

// pythonDistribution is the distribution a dist-info METADATA file describes.
func pythonDistribution(location string, data []byte) (sbom.Package, bool) {
	var name, version, license string
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		line := s.Text()
		if line == "" {
			break // the headers end where the description starts
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "Name":
			name = v
		case "Version":
			version = v
		case "License-Expression":
			license = v
		case "License":
			if license == "" && !strings.Contains(v, " ") {
				license = v
			}
		}
	}
	if name == "" || version == "" {
		return sbom.Package{}, false
	}
	// PEP 503 normalisation, as the pypi purl type asks.
	norm := strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(name))
	return sbom.Package{Name: name, Version: version, License: license, Location: location,
		PURL: "pkg:pypi/" + url.PathEscape(norm) + "@" + url.PathEscape(version)}, true
}

package sbom

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// FS is the read-only view of an image (or a builder stage) the language readers walk; the
// frontend backs it with the gateway's file API, tests with a map.
type FS interface {
	// ReadDir lists the names in dir; an error for a directory that is not there.
	ReadDir(dir string) ([]string, error)
	ReadFile(name string) ([]byte, error)
	// Open gives random access to a file, for archives.
	Open(name string) (io.ReaderAt, int64, error)
}

// AppDir is where an image keeps its application (llb.ArtifactDir).
const AppDir = "/app"

// maxManifest bounds one package manifest read (package.json, METADATA, pom.properties).
const maxManifest = 1 << 20

// Languages lists the language packages an application directory ships, from the metadata each
// ecosystem leaves next to the code: npm packages from node_modules/**/package.json, Python
// distributions from *.dist-info/METADATA, and Maven artifacts from the pom.properties in each
// jar. Unreadable metadata is skipped, never guessed.
func Languages(fsys FS, dir string) []Package {
	var out []Package
	out = append(out, npmPackages(fsys, path.Join(dir, "node_modules"))...)
	out = append(out, pythonPackages(fsys, dir)...)
	out = append(out, jarPackages(fsys, dir)...)
	return out
}

// npmPackages reads every package under a node_modules directory, scoped and nested ones too.
func npmPackages(fsys FS, nm string) []Package {
	names, err := fsys.ReadDir(nm)
	if err != nil {
		return nil
	}
	var out []Package
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
			if p, ok := NpmPackage(path.Join(d, "package.json"), readSmall(fsys, path.Join(d, "package.json"))); ok {
				out = append(out, p)
			}
			out = append(out, npmPackages(fsys, path.Join(d, "node_modules"))...)
		}
	}
	return out
}

// NpmPackage is the package a package.json describes.
func NpmPackage(location string, data []byte) (Package, bool) {
	var m struct {
		Name    string          `json:"name"`
		Version string          `json:"version"`
		License json.RawMessage `json:"license"`
	}
	if json.Unmarshal(data, &m) != nil || m.Name == "" || m.Version == "" {
		return Package{}, false
	}
	var license string
	_ = json.Unmarshal(m.License, &license) // an old-style {"type": ...} object stays unknown
	name := m.Name
	if scope, rest, ok := strings.Cut(name, "/"); ok && strings.HasPrefix(scope, "@") {
		name = "%40" + url.PathEscape(strings.TrimPrefix(scope, "@")) + "/" + url.PathEscape(rest) // purl encodes the scope's @
	} else {
		name = url.PathEscape(name)
	}
	return Package{Name: m.Name, Version: m.Version, License: license, Location: location,
		PURL: "pkg:npm/" + name + "@" + url.PathEscape(m.Version)}, true
}

// pythonPackages finds site-packages directories of a virtualenv in the app (.venv, venv) and
// reads each distribution's METADATA.
func pythonPackages(fsys FS, dir string) []Package {
	var out []Package
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
				if p, ok := PythonDistribution(meta, readSmall(fsys, meta)); ok {
					out = append(out, p)
				}
			}
		}
	}
	return out
}

// PythonDistribution is the distribution a dist-info METADATA file describes.
func PythonDistribution(location string, data []byte) (Package, bool) {
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
		return Package{}, false
	}
	// PEP 503 normalisation, as the pypi purl type asks.
	norm := strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(name))
	return Package{Name: name, Version: version, License: license, Location: location,
		PURL: "pkg:pypi/" + url.PathEscape(norm) + "@" + url.PathEscape(version)}, true
}

// jarPackages reads the Maven coordinates of every jar in dir and in its lib/ directory, and of the
// jars a jar nests (Spring-style fat jars are not opened further).
func jarPackages(fsys FS, dir string) []Package {
	var out []Package
	for _, d := range []string{dir, path.Join(dir, "lib")} {
		names, err := fsys.ReadDir(d)
		if err != nil {
			continue
		}
		for _, n := range names {
			if !strings.HasSuffix(n, ".jar") {
				continue
			}
			r, size, err := fsys.Open(path.Join(d, n))
			if err != nil {
				continue
			}
			out = append(out, MavenArtifacts(path.Join(d, n), r, size)...)
		}
	}
	return out
}

// MavenArtifacts lists the artifacts whose META-INF/maven/<group>/<artifact>/pom.properties a jar
// holds: its own, and those of the dependencies shaded into it.
func MavenArtifacts(location string, r io.ReaderAt, size int64) []Package {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil
	}
	var out []Package
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "META-INF/maven/") || path.Base(f.Name) != "pom.properties" || f.UncompressedSize64 > maxManifest {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			continue
		}
		data, _ := io.ReadAll(io.LimitReader(rc, maxManifest))
		rc.Close()
		props := map[string]string{}
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && !strings.HasPrefix(k, "#") {
				props[k] = strings.TrimSpace(v)
			}
		}
		g, a, v := props["groupId"], props["artifactId"], props["version"]
		if g == "" || a == "" || v == "" {
			continue
		}
		out = append(out, Package{Name: g + ":" + a, Version: v, Location: location + "!/" + f.Name,
			PURL: "pkg:maven/" + url.PathEscape(g) + "/" + url.PathEscape(a) + "@" + url.PathEscape(v)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PURL < out[j].PURL })
	return out
}

// CargoLock lists the crates a Cargo.lock pins: registry crates as pkg:cargo purls, path and git
// crates (the workspace's own) as pkg:cargo too, without a registry.
func CargoLock(location string, data []byte) []Package {
	var lock struct {
		Package []struct{ Name, Version string }
	}
	if _, err := toml.Decode(string(data), &lock); err != nil {
		return nil
	}
	var out []Package
	for _, p := range lock.Package {
		if p.Name != "" && p.Version != "" {
			out = append(out, Package{Name: p.Name, Version: p.Version, Location: location,
				PURL: "pkg:cargo/" + url.PathEscape(p.Name) + "@" + url.PathEscape(p.Version)})
		}
	}
	return out
}

func readSmall(fsys FS, name string) []byte {
	data, err := fsys.ReadFile(name)
	if err != nil || len(data) > maxManifest {
		return nil
	}
	return data
}

// Compiled lists what the build compiled into its binaries from the builder's source directory's
// lock files, for languages whose binaries carry no metadata of their own: Rust crates from
// Cargo.lock (the crates the lock pins, the workspace's own included).
func Compiled(fsys FS, srcDir string) []Package {
	lock := path.Join(srcDir, "Cargo.lock")
	return CargoLock(lock, readSmall(fsys, lock))
}

// MaxManifest bounds one package manifest read (package.json, METADATA, pom.properties).
const MaxManifest = maxManifest

// ReadSmall is a file of at most MaxManifest bytes; nil when it is missing or larger.
func ReadSmall(fsys FS, name string) []byte { return readSmall(fsys, name) }

package java

import (
	"archive/zip"
	"io"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/hardenedbuild/hardened/sbom"
)

// Packages are the Maven artifacts of the jars in /app and /app/lib.
func (Language) Packages(image, _ sbom.FS) []sbom.Package { return jarPackages(image, sbom.AppDir) }

// jarPackages reads the Maven coordinates of every jar in dir and in its lib/ directory, and of the
// jars a jar nests (Spring-style fat jars are not opened further).
func jarPackages(fsys sbom.FS, dir string) []sbom.Package {
	var out []sbom.Package
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
			out = append(out, mavenArtifacts(path.Join(d, n), r, size)...)
		}
	}
	return out
}

// mavenArtifacts lists the artifacts whose META-INF/maven/<group>/<artifact>/pom.properties a jar
// holds: its own, and those of the dependencies shaded into it.
func mavenArtifacts(location string, r io.ReaderAt, size int64) []sbom.Package {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil
	}
	var out []sbom.Package
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "META-INF/maven/") || path.Base(f.Name) != "pom.properties" || f.UncompressedSize64 > sbom.MaxManifest {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			continue
		}
		data, _ := io.ReadAll(io.LimitReader(rc, sbom.MaxManifest))
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
		out = append(out, sbom.Package{Name: g + ":" + a, Version: v, Location: location + "!/" + f.Name,
			PURL: "pkg:maven/" + url.PathEscape(g) + "/" + url.PathEscape(a) + "@" + url.PathEscape(v)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PURL < out[j].PURL })
	return out
}

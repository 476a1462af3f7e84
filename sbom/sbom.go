// Package sbom describes what an image holds as an SPDX 2.3 document, from what the
// build itself knows: Debian packages from dpkg control data and Go modules from each
// binary's build info. The document is deterministic (sorted, stamped with the build's
// epoch, namespaced by its own content) so it does not break reproducible builds.
// It imports nothing of BuildKit.
package sbom

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Package is one component found in an image.
type Package struct {
	Name    string
	Version string
	// PURL is the package URL scanners match vulnerabilities by.
	PURL string
	// Location is the file the package was read from.
	Location string
	License  string
}

// Dpkg parses dpkg control data: one status.d file (one paragraph) or a whole
// /var/lib/dpkg/status (many, of which only installed packages count).
func Dpkg(location string, data []byte, distro string) []Package {
	var out []Package
	for _, para := range bytes.Split(data, []byte("\n\n")) {
		f := controlFields(para)
		if f["Package"] == "" || f["Version"] == "" {
			continue
		}
		if st := f["Status"]; st != "" && !strings.HasSuffix(st, " installed") {
			continue
		}
		q := url.Values{}
		if a := f["Architecture"]; a != "" {
			q.Set("arch", a)
		}
		if distro != "" {
			q.Set("distro", distro)
		}
		out = append(out, Package{
			Name:     f["Package"],
			Version:  f["Version"],
			PURL:     "pkg:deb/debian/" + f["Package"] + "@" + url.PathEscape(f["Version"]) + "?" + q.Encode(),
			Location: location,
		})
	}
	return out
}

// StatusDir is where distroless, and runtime.libs, record each Debian package: one control file
// named after the package, beside its .md5sums.
const StatusDir = "/var/lib/dpkg/status.d"

// notControl are the suffixes of status.d (and dpkg info/) files that hold no package stanza.
// Package names may contain dots (libpython3.13-minimal, libdb5.3t64), so only these are skipped.
var notControl = []string{".md5sums", ".list", ".conffiles", ".triggers", ".shlibs", ".symbols",
	".preinst", ".postinst", ".prerm", ".postrm", ".templates", ".dpkg-new", ".dpkg-old", ".dpkg-tmp"}

// StatusDControl says whether a file of status.d is a package's control file, by its name.
func StatusDControl(name string) bool {
	if name == "" || strings.HasPrefix(name, ".") {
		return false
	}
	for _, s := range notControl {
		if strings.HasSuffix(name, s) {
			return false
		}
	}
	return true
}

// StatusD reads the packages of a status.d directory from the names it lists; read returns a
// file's content by its full path.
func StatusD(names []string, read func(p string) ([]byte, error), distro string) ([]Package, error) {
	var out []Package
	for _, name := range names {
		if !StatusDControl(name) {
			continue
		}
		p := StatusDir + "/" + name
		dt, err := read(p)
		if err != nil {
			return nil, err
		}
		out = append(out, Dpkg(p, dt, distro)...)
	}
	return out, nil
}

func controlFields(para []byte) map[string]string {
	f := map[string]string{}
	s := bufio.NewScanner(bytes.NewReader(para))
	s.Buffer(make([]byte, 64*1024), 1<<20)
	for s.Scan() {
		line := s.Text()
		if line == "" || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			f[k] = strings.TrimSpace(v)
		}
	}
	return f
}

// GoModules reads a Go binary's build info: its main module, every dependency and
// the standard library of the toolchain that built it. ok is false for other files.
func GoModules(location string, r io.ReaderAt) (pkgs []Package, ok bool) {
	bi, err := buildinfo.Read(r)
	if err != nil {
		return nil, false
	}
	add := func(path, version string) {
		if version == "" || version == "(devel)" {
			version = "devel"
		}
		pkgs = append(pkgs, Package{
			Name: path, Version: version, Location: location,
			PURL: "pkg:golang/" + path + "@" + version,
		})
	}
	add("stdlib", bi.GoVersion)
	if bi.Main.Path != "" {
		add(bi.Main.Path, bi.Main.Version)
	}
	for _, d := range bi.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		add(d.Path, d.Version)
	}
	return pkgs, true
}

// SPDX renders a document named name, created at created, listing pkgs.
func SPDX(name string, created time.Time, pkgs []Package) ([]byte, error) {
	pkgs = append([]Package(nil), pkgs...)
	sort.Slice(pkgs, func(i, j int) bool {
		if pkgs[i].PURL != pkgs[j].PURL {
			return pkgs[i].PURL < pkgs[j].PURL
		}
		return pkgs[i].Location < pkgs[j].Location
	})
	type ref struct {
		Category string `json:"referenceCategory"`
		Type     string `json:"referenceType"`
		Locator  string `json:"referenceLocator"`
	}
	type pkg struct {
		SPDXID           string `json:"SPDXID"`
		Name             string `json:"name"`
		Version          string `json:"versionInfo"`
		DownloadLocation string `json:"downloadLocation"`
		FilesAnalyzed    bool   `json:"filesAnalyzed"`
		LicenseConcluded string `json:"licenseConcluded"`
		LicenseDeclared  string `json:"licenseDeclared"`
		Copyright        string `json:"copyrightText"`
		SourceInfo       string `json:"sourceInfo,omitempty"`
		ExternalRefs     []ref  `json:"externalRefs"`
	}
	type rel struct {
		Element string `json:"spdxElementId"`
		Type    string `json:"relationshipType"`
		Related string `json:"relatedSpdxElement"`
	}
	doc := struct {
		Version       string `json:"spdxVersion"`
		DataLicense   string `json:"dataLicense"`
		SPDXID        string `json:"SPDXID"`
		Name          string `json:"name"`
		Namespace     string `json:"documentNamespace"`
		CreationInfo  any    `json:"creationInfo"`
		Packages      []pkg  `json:"packages"`
		Relationships []rel  `json:"relationships"`
	}{
		Version: "SPDX-2.3", DataLicense: "CC0-1.0", SPDXID: "SPDXRef-DOCUMENT", Name: name,
		CreationInfo: map[string]any{
			"created":  created.UTC().Format(time.RFC3339),
			"creators": []string{"Tool: hardened"},
		},
	}
	h := sha256.New()
	for i, p := range pkgs {
		id := fmt.Sprintf("SPDXRef-Package-%d", i+1)
		license := p.License
		if license == "" {
			license = "NOASSERTION"
		}
		doc.Packages = append(doc.Packages, pkg{
			SPDXID: id, Name: p.Name, Version: p.Version,
			DownloadLocation: "NOASSERTION", LicenseConcluded: license, LicenseDeclared: license, Copyright: "NOASSERTION",
			SourceInfo:   "found in " + p.Location,
			ExternalRefs: []ref{{Category: "PACKAGE-MANAGER", Type: "purl", Locator: p.PURL}},
		})
		doc.Relationships = append(doc.Relationships, rel{Element: "SPDXRef-DOCUMENT", Type: "DESCRIBES", Related: id})
		fmt.Fprintf(h, "%s\x00%s\n", p.PURL, p.Location)
	}
	doc.Namespace = "https://hardenedbuild.dev/spdx/" + url.PathEscape(name) + "-" + hex.EncodeToString(h.Sum(nil))[:16]
	return json.MarshalIndent(doc, "", "  ")
}

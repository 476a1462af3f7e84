package sbom

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

const status = `Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.36-9+deb12u10
Description: GNU C Library
 with a continuation line: Version: 9

Package: removed
Status: deinstall ok config-files
Version: 1.0

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2025b-0+deb12u1
`

func TestDpkg(t *testing.T) {
	pkgs := Dpkg("/var/lib/dpkg/status", []byte(status), "debian-12")
	if len(pkgs) != 2 {
		t.Fatalf("got %d packages, want 2 installed: %+v", len(pkgs), pkgs)
	}
	if pkgs[0].PURL != "pkg:deb/debian/libc6@2.36-9+deb12u10?arch=amd64&distro=debian-12" {
		t.Errorf("purl = %s", pkgs[0].PURL)
	}
	// A status.d file has no Status field: every paragraph is installed.
	one := Dpkg("/var/lib/dpkg/status.d/base-files", []byte("Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n"), "debian-12")
	if len(one) != 1 || one[0].Version != "12.4+deb12u5" {
		t.Errorf("status.d = %+v", one)
	}
}

// The test binary is a Go binary: its own build info is a real fixture.
func TestGoModulesFromARealBinary(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pkgs, ok := GoModules("/app/x", f)
	if !ok || len(pkgs) == 0 || pkgs[0].Name != "stdlib" || !strings.HasPrefix(pkgs[0].Version, "go1.") {
		t.Fatalf("pkgs = %+v ok=%v", pkgs, ok)
	}
	if _, ok := GoModules("/etc/passwd", bytes.NewReader([]byte("root:x:0:0"))); ok {
		t.Error("a text file read as a Go binary")
	}
}

func TestSPDXIsDeterministicAndValidShape(t *testing.T) {
	pkgs := Dpkg("/var/lib/dpkg/status", []byte(status), "debian-12")
	pkgs = append(pkgs, Package{Name: "github.com/go-chi/chi/v5", Version: "v5.5.0", PURL: "pkg:golang/github.com/go-chi/chi/v5@v5.5.0", Location: "/app/server"})
	at := time.Unix(0, 0)
	a, err := SPDX("image", at, pkgs)
	if err != nil {
		t.Fatal(err)
	}
	rev := []Package{pkgs[2], pkgs[1], pkgs[0]}
	b, _ := SPDX("image", at, rev)
	if !bytes.Equal(a, b) {
		t.Error("the document depends on the order packages were found in")
	}
	var doc struct {
		Version  string `json:"spdxVersion"`
		Packages []struct {
			Name string `json:"name"`
			Refs []struct {
				Locator string `json:"referenceLocator"`
			} `json:"externalRefs"`
		} `json:"packages"`
		Namespace string `json:"documentNamespace"`
	}
	if err := json.Unmarshal(a, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "SPDX-2.3" || len(doc.Packages) != 3 || doc.Namespace == "" {
		t.Errorf("doc = %+v", doc)
	}
}

func TestStatusDControl(t *testing.T) {
	for name, want := range map[string]bool{
		"base-files":                    true,
		"libpython3.13-minimal":         true,
		"python3.13-minimal":            true,
		"libdb5.3t64":                   true,
		"libssl3t64":                    true,
		"libpython3.13-minimal.md5sums": false,
		"base-files.md5sums":            false,
		"libc6.list":                    false,
		"libc6.conffiles":               false,
		".hidden":                       false,
		"":                              false,
	} {
		if got := StatusDControl(name); got != want {
			t.Errorf("StatusDControl(%q) = %v, want %v", name, got, want)
		}
	}
}

// A distroless status.d: each package's control file beside its .md5sums, names with dots among them.
func TestStatusDListsNamesWithDots(t *testing.T) {
	des, err := os.ReadDir("testdata/status.d")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	read := func(p string) ([]byte, error) {
		return os.ReadFile("testdata/status.d/" + strings.TrimPrefix(p, StatusDir+"/"))
	}
	pkgs, err := StatusD(names, read, "debian-13")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range pkgs {
		got[p.Name] = p.Location
	}
	for _, want := range []string{"base-files", "libpython3.13-minimal", "python3.13-minimal", "libdb5.3t64"} {
		if got[want] != StatusDir+"/"+want {
			t.Errorf("%s: found in %q, want %s/%s", want, got[want], StatusDir, want)
		}
	}
	if len(pkgs) != 4 {
		t.Errorf("%d packages, want 4 (no .md5sums read as one): %+v", len(pkgs), pkgs)
	}
}

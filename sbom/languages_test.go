package sbom

import (
	"archive/zip"
	"bytes"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// mapFS adapts fstest.MapFS (paths without the leading slash) to FS.
type mapFS fstest.MapFS

func (m mapFS) ReadDir(dir string) ([]string, error) {
	es, err := fs.ReadDir(fstest.MapFS(m), strings.TrimPrefix(dir, "/"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out, nil
}

func (m mapFS) ReadFile(name string) ([]byte, error) {
	return fs.ReadFile(fstest.MapFS(m), strings.TrimPrefix(name, "/"))
}

func (m mapFS) Open(name string) (io.ReaderAt, int64, error) {
	data, err := m.ReadFile(name)
	if err != nil {
		return nil, 0, err
	}
	return bytes.NewReader(data), int64(len(data)), nil
}

func jar(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for name, body := range files {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(body))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLanguages(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	fsys := mapFS{
		"app/node_modules/express/package.json":                                         file(`{"name":"express","version":"4.21.2","license":"MIT"}`),
		"app/node_modules/express/node_modules/debug/package.json":                      file(`{"name":"debug","version":"2.6.9","license":{"type":"MIT"}}`),
		"app/node_modules/@types/node/package.json":                                     file(`{"name":"@types/node","version":"20.1.0"}`),
		"app/node_modules/.bin/x":                                                       file(""),
		"app/node_modules/broken/package.json":                                          file(`{not json`),
		"app/.venv/lib/python3.11/site-packages/its_dangerous-2.2.0.dist-info/METADATA": file("Metadata-Version: 2.1\nName: It_Dangerous\nVersion: 2.2.0\nLicense-Expression: BSD-3-Clause\n\nName: not-this\n"),
		"app/.venv/lib/python3.11/site-packages/idna/__init__.py":                       file(""),
		"app/server.jar": {Data: jar(t, map[string]string{
			"META-INF/MANIFEST.MF":                              "Main-Class: x\n",
			"META-INF/maven/com.example/server/pom.properties":  "#generated\ngroupId=com.example\nartifactId=server\nversion=1.0\n",
			"META-INF/maven/org.slf4j/slf4j-api/pom.properties": "groupId=org.slf4j\nartifactId=slf4j-api\nversion=2.0.9\n",
		})},
	}
	got := map[string]Package{}
	for _, p := range Languages(fsys, "/app") {
		got[p.PURL] = p
	}
	want := map[string]string{ // purl -> location
		"pkg:npm/express@4.21.2":              "/app/node_modules/express/package.json",
		"pkg:npm/debug@2.6.9":                 "/app/node_modules/express/node_modules/debug/package.json",
		"pkg:npm/%40types/node@20.1.0":        "/app/node_modules/@types/node/package.json",
		"pkg:pypi/it-dangerous@2.2.0":         "/app/.venv/lib/python3.11/site-packages/its_dangerous-2.2.0.dist-info/METADATA",
		"pkg:maven/com.example/server@1.0":    "/app/server.jar!/META-INF/maven/com.example/server/pom.properties",
		"pkg:maven/org.slf4j/slf4j-api@2.0.9": "/app/server.jar!/META-INF/maven/org.slf4j/slf4j-api/pom.properties",
	}
	for purl, loc := range want {
		p, ok := got[purl]
		if !ok {
			t.Errorf("no %s; got %v", purl, keys(got))
			continue
		}
		if p.Location != loc {
			t.Errorf("%s found in %s, want %s", purl, p.Location, loc)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d packages %v, want %d", len(got), keys(got), len(want))
	}
	if l := got["pkg:npm/express@4.21.2"].License; l != "MIT" {
		t.Errorf("express license %q", l)
	}
	if l := got["pkg:pypi/it-dangerous@2.2.0"].License; l != "BSD-3-Clause" {
		t.Errorf("python license %q", l)
	}
	if l := got["pkg:npm/debug@2.6.9"].License; l != "" {
		t.Errorf("an object license is not guessed: %q", l)
	}
}

func TestCargoLock(t *testing.T) {
	lock := "version = 3\n\n[[package]]\nname = \"itoa\"\nversion = \"1.0.1\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"server\"\nversion = \"0.1.0\"\ndependencies = [\n \"itoa\",\n]\n"
	var purls []string
	for _, p := range Compiled(mapFS{"src/Cargo.lock": {Data: []byte(lock)}}, "/src") {
		purls = append(purls, p.PURL)
		if p.Location != "/src/Cargo.lock" {
			t.Errorf("%s location %s", p.PURL, p.Location)
		}
	}
	if want := []string{"pkg:cargo/itoa@1.0.1", "pkg:cargo/server@0.1.0"}; !slices.Equal(purls, want) {
		t.Errorf("crates %q, want %q", purls, want)
	}
	if got := Compiled(mapFS{}, "/src"); len(got) != 0 {
		t.Errorf("no lock, packages %v", got)
	}
}

func keys(m map[string]Package) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

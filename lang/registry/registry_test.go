package registry

import (
	"slices"
	"testing"
	"testing/fstest"

	"github.com/hardenedbuild/hardened/internal/sbomtest"
	"github.com/hardenedbuild/hardened/sbom"
)

func TestLanguages(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	fsys := sbomtest.MapFS{
		"app/node_modules/express/package.json":                                         file(`{"name":"express","version":"4.21.2","license":"MIT"}`),
		"app/node_modules/express/node_modules/debug/package.json":                      file(`{"name":"debug","version":"2.6.9","license":{"type":"MIT"}}`),
		"app/node_modules/@types/node/package.json":                                     file(`{"name":"@types/node","version":"20.1.0"}`),
		"app/node_modules/.bin/x":                                                       file(""),
		"app/node_modules/broken/package.json":                                          file(`{not json`),
		"app/.venv/lib/python3.11/site-packages/its_dangerous-2.2.0.dist-info/METADATA": file("Metadata-Version: 2.1\nName: It_Dangerous\nVersion: 2.2.0\nLicense-Expression: BSD-3-Clause\n\nName: not-this\n"),
		"app/.venv/lib/python3.11/site-packages/idna/__init__.py":                       file(""),
		"app/server.jar": {Data: sbomtest.Jar(t, map[string]string{
			"META-INF/MANIFEST.MF":                              "Main-Class: x\n",
			"META-INF/maven/com.example/server/pom.properties":  "#generated\ngroupId=com.example\nartifactId=server\nversion=1.0\n",
			"META-INF/maven/org.slf4j/slf4j-api/pom.properties": "groupId=org.slf4j\nartifactId=slf4j-api\nversion=2.0.9\n",
		})},
	}
	got := map[string]sbom.Package{}
	for _, p := range Packages(fsys, sbomtest.MapFS{}) {
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

func keys(m map[string]sbom.Package) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

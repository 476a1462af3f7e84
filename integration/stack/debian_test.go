package stack

import (
	"reflect"
	"testing"
)

func TestParseSources(t *testing.T) {
	deb822 := []byte(`Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://example.org/src
Suites: bookworm

Types: deb
URIs: https://deb.nodesource.com/node_20.x
Suites: nodistro
Components: main
`)
	want := []aptSource{
		{uri: "http://deb.debian.org/debian", suites: []string{"bookworm", "bookworm-updates"}},
		{uri: "https://deb.nodesource.com/node_20.x", suites: []string{"nodistro"}},
	}
	if got := parseDeb822Sources(deb822); !reflect.DeepEqual(got, want) {
		t.Errorf("deb822: got %+v, want %+v", got, want)
	}
	oneLine := []byte("deb [arch=amd64 signed-by=/k.gpg] http://mirror/debian/ bookworm main\n# deb http://x y z\ndeb http://mirror/debian-security bookworm-security main\n")
	want = []aptSource{
		{uri: "http://mirror/debian", suites: []string{"bookworm"}},
		{uri: "http://mirror/debian-security", suites: []string{"bookworm-security"}},
	}
	if got := parseOneLineSources(oneLine); !reflect.DeepEqual(got, want) {
		t.Errorf("one-line: got %+v, want %+v", got, want)
	}
}

func TestDebPackageFileName(t *testing.T) {
	p := debPackage{Name: "libc6", Version: "1:2.36-9", Arch: "arm64"}
	if got := p.fileName(); got != "libc6_1%3a2.36-9_arm64.deb" {
		t.Errorf("fileName = %s", got)
	}
}

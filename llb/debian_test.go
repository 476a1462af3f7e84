package llb_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hardenedbuild/hardened/lang/registry"
	hllb "github.com/hardenedbuild/hardened/llb"
)

// TestUnsupportedVersions: each class of version the bases cannot run fails at its spec position, saying
// what is supported and what to write.
func TestUnsupportedVersions(t *testing.T) {
	npm := func(engines string) hllb.Files {
		return hllb.Files{"package.json": []byte(`{"engines": {"node": "` + engines + `"}}`), "package-lock.json": []byte(`{}`)}
	}
	for _, tc := range []struct {
		name, yaml string
		files      hllb.Files
		want       string
	}{
		{"node version ended", "language: node\nartifacts: [a.js]\nversion: \"20\"\n", npm(">=20"),
			`hardened.yaml:3:10: version: "20": Node.js 20 has no supported distroless image on Debian 13 (trixie); supported: 22, 24, 26 (Node.js 20 reached end of life on 2026-04-30); write version: "26" (the newest supported)`},
		{"range only old majors", "language: node\nartifacts: [a.js]\n", npm("18.x"),
			`hardened.yaml:1:11: version: package.json engines.node "18.x" allows none of the Node.js majors supported on Debian 13 (trixie): 22, 24, 26; widen engines.node to allow one, e.g. ">=22", or write version: "26" in the spec`},
		{"range unreadable", "language: node\nartifacts: [a.js]\n", npm(">=18 || lts"),
			`hardened.yaml:1:11: version: package.json engines.node ">=18 || lts" is not a range: at character 9, "lts" is not a version; write a range such as ">=22"`},
		{"debian 12 and node 26", "language: node\nartifacts: [a.js]\ndebian: \"12\"\nversion: \"26\"\n", npm("*"),
			`hardened.yaml:4:10: version: "26": Node.js 26 has no supported distroless image on Debian 12 (bookworm); supported: 20, 22, 24; remove debian: "12" to build on Debian 13 (trixie), which has Node.js 26, or write version: "24" (the newest supported)`},
		{"debian 12 and a range of 26", "language: node\nartifacts: [a.js]\ndebian: \"12\"\n", npm(">=26"),
			`hardened.yaml:1:11: version: package.json engines.node ">=26" allows none of the Node.js majors supported on Debian 12 (bookworm): 20, 22, 24; remove debian: "12" to build on Debian 13 (trixie), whose Node.js majors it allows, or widen`},
		{"debian 12 and java 25", "language: java\nartifacts: [src/main/java/a/Main.java]\ndebian: \"12\"\nversion: \"25\"\n", nil,
			`hardened.yaml:4:10: version: "25": Java 25 has no supported distroless image on Debian 12 (bookworm); supported: 17, 21; remove debian: "12" to build on Debian 13 (trixie), which has Java 25, or write version: "21"`},
		{"java 11", "language: java\nartifacts: [src/main/java/a/Main.java]\nversion: \"11\"\n", nil,
			`hardened.yaml:3:10: version: "11": Java 11 has no supported distroless image on Debian 13 (trixie); supported: 17, 21, 25; write version: "25"`},
		{"rust below trixie's first tag", "language: rust\nartifacts: [app]\nversion: \"1.63\"\n", rustFiles(),
			`hardened.yaml:3:10: version: "1.63": the official rust image has no trixie tag for Rust 1.63; its trixie tags start at 1.72; write version: "1.72" or newer`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The spec's own checks (lint) and the builder (with the context files) say the same.
			s, err := loadChecked(tc.yaml)
			if err == nil {
				lang, _ := registry.Lookup(s.Language)
				_, err = lang.Builder(s, tc.files, amd64, amd64)
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error = %v\nwant prefix %s", err, tc.want)
			}
		})
	}
}

func TestBadDebianValue(t *testing.T) {
	_, err := loadChecked("language: go\nartifacts: [./a]\ndebian: bookworm\n")
	want := `hardened.yaml:3:9: debian: unknown Debian release "bookworm"; the builder and the distroless base are Debian 12 or 13; write debian: "13" (the default: leave the line out), or "12"`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %v\nwant prefix %s", err, want)
	}
}

func TestDebianImages(t *testing.T) {
	lang, _ := registry.Lookup("go")
	for debian, want := range map[string][2]string{
		"":             {"docker.io/library/golang:1.26-trixie", "gcr.io/distroless/base-debian13:nonroot"},
		`debian: "13"`: {"docker.io/library/golang:1.26-trixie", "gcr.io/distroless/base-debian13:nonroot"},
		`debian: "12"`: {"docker.io/library/golang:1.26-bookworm", "gcr.io/distroless/base-debian12:nonroot"},
	} {
		s := load(t, "language: go\nartifacts: [./a]\nversion: \"1.26\"\ncgo: true\n"+debian+"\n")
		b, err := lang.Builder(s, nil, amd64, amd64)
		if err != nil {
			t.Fatal(err)
		}
		base, _, err := baseImage(s, nil, amd64)
		if err != nil {
			t.Fatal(err)
		}
		libs, _, err := hllb.LibsImage(s, base, b, arm64)
		if err != nil {
			t.Fatal(err)
		}
		release := map[string]string{"debian13": "trixie", "debian12": "bookworm"}[strings.TrimSuffix(strings.TrimPrefix(want[1], "gcr.io/distroless/base-"), ":nonroot")]
		if b.Ref != want[0] || base.Ref != want[1] || libs.Ref != "docker.io/library/debian:"+release {
			t.Errorf("%q: builder %s, base %s, libs %s; want %s, %s, debian:%s", debian, b.Ref, base.Ref, libs.Ref, want[0], want[1], release)
		}
	}
}

func TestDebianWarning(t *testing.T) {
	day := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	for yaml, want := range map[string]string{
		"language: go\nartifacts: [./a]\n":                 "",
		"language: go\nartifacts: [./a]\ndebian: \"13\"\n": "",
		"language: go\nartifacts: [./a]\ndebian: \"12\"\n": `hardened.yaml:3:9: debian: "12": distroless Debian 12 (static, base, base-nossl, cc) reached end of life on 2026-09-30; ` +
			`move to the -debian13 image (gcr.io/distroless/<image>-debian13); remove the debian line (or write debian: "13") to build on Debian 13 (trixie), the default`,
		"language: node\nartifacts: [a.js]\ndebian: \"12\"\n": `hardened.yaml:3:9: debian: "12": distroless Debian 12 (nodejs) reached end of life on 2026-01-31;`,
	} {
		w := hllb.DebianWarning(load(t, yaml), day)
		switch {
		case want == "" && w != nil:
			t.Errorf("%q: warning %v, want none", yaml, w)
		case want != "" && (w == nil || !strings.HasPrefix(w.Error(), want)):
			t.Errorf("%q: warning %v\nwant prefix %s", yaml, w, want)
		}
	}
}

func TestCheckOverride(t *testing.T) {
	day := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	s := load(t, "language: go\nartifacts: [./a]\nbase: cc\n")
	base, _, err := baseImage(s, nil, amd64)
	if err != nil {
		t.Fatal(err)
	}
	err = hllb.CheckOverride(s, base, "gcr.io/distroless/cc-debian12:nonroot", day)
	want := `hardened.yaml:3:7: base: the build context replacing gcr.io/distroless/cc-debian13:nonroot is gcr.io/distroless/cc-debian12:nonroot, and distroless Debian 12 (static, base, base-nossl, cc) reached end of life on 2026-09-30; ` +
		`move to the -debian13 image (gcr.io/distroless/<image>-debian13); pass a -debian13 image (static-debian13, base-debian13, cc-debian13, nodejs22-debian13`
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), `or write debian: "12" in the spec to build on Debian 12 anyway`) {
		t.Errorf("error = %v\nwant prefix %s", err, want)
	}
	for _, ok := range []string{"gcr.io/distroless/cc-debian13:nonroot", "registry.example/team/cc:1", "docker.io/library/debian:bookworm"} {
		if err := hllb.CheckOverride(s, base, ok, day); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	// A spec that asks for Debian 12 may take a Debian 12 image from a context too.
	old := load(t, "language: go\nartifacts: [./a]\nbase: cc\ndebian: \"12\"\n")
	if err := hllb.CheckOverride(old, base, "gcr.io/distroless/cc-debian12@sha256:"+strings.Repeat("1", 64), day); err != nil {
		t.Errorf("debian 12 spec: %v", err)
	}
}

package spec

import (
	"reflect"
	"testing"
)

func TestDefaults(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   Spec
		want Spec
	}{
		{"empty", Spec{}, Spec{User: "65532:65532", Workdir: "/app"}},
		{"cgo keeps cc", Spec{CGO: true, Base: "cc"}, Spec{CGO: true, User: "65532:65532", Workdir: "/app", Base: "cc"}},
		{"lone uid gets its gid", Spec{User: "1000"}, Spec{User: "1000:1000", Workdir: "/app"}},
		{"uid:gid kept", Spec{User: "1000:2000", Workdir: "/srv", Base: "scratch"}, Spec{User: "1000:2000", Workdir: "/srv", Base: "scratch"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in
			got.Defaults()
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Defaults() = %+v, want %+v", got, tc.want)
			}
			again := got
			again.Defaults()
			if !reflect.DeepEqual(again, got) {
				t.Errorf("Defaults is not idempotent: %+v then %+v", got, again)
			}
		})
	}
}

func TestLoadAppliesDefaults(t *testing.T) {
	s, err := Load("hardened.yaml", []byte(minimal+"user: 10001\n"), WithLanguages("go"))
	if err != nil {
		t.Fatal(err)
	}
	if s.User != "10001:10001" || s.Workdir != "/app" || s.Base != "" {
		t.Errorf("got user %q workdir %q base %q (the language chooses the base)", s.User, s.Workdir, s.Base)
	}
	if s.Pos("user") != (Pos{3, 7}) {
		t.Errorf("Load lost positions: %v", s.Pos("user"))
	}
}

func TestUIDGID(t *testing.T) {
	for _, tc := range []struct {
		user     string
		uid, gid int
	}{
		{"", 65532, 65532},
		{"1000", 1000, 1000},
		{"1000:0", 1000, 0},
		{"1000:2000", 1000, 2000},
		{"0", -1, -1},
		{"root", -1, -1},
		{"nobody", -1, -1},
	} {
		s := &Spec{User: tc.user}
		if s.UID() != tc.uid || s.GID() != tc.gid {
			t.Errorf("user %q: uid %d gid %d, want %d %d", tc.user, s.UID(), s.GID(), tc.uid, tc.gid)
		}
	}
}

func TestArtifactName(t *testing.T) {
	for in, want := range map[string]string{
		"./cmd/server":  "server",
		"./cmd/server/": "server",
		"cmd/server":    "server",
		"./a/../b":      "b",
		".":             "app",
		"./":            "app",
		"":              "app",
	} {
		if got := ArtifactName(in); got != want {
			t.Errorf("ArtifactName(%q) = %q, want %q", in, got, want)
		}
	}
}

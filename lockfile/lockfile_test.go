package lockfile

import (
	"strings"
	"testing"
)

const (
	d1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	d2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

func TestRoundTripIsStableAndOneLinePerImage(t *testing.T) {
	l := New()
	l.Set("linux/arm64", "base", "gcr.io/distroless/static-debian12:nonroot", d2)
	l.Set("linux/amd64", "builder", "docker.io/library/golang:1.26-bookworm", d1)
	l.Set("linux/amd64", "base", "gcr.io/distroless/static-debian12:nonroot", d1)
	out := l.Marshal()
	back, err := Parse("hardened.lock", out)
	if err != nil {
		t.Fatal(err)
	}
	if string(back.Marshal()) != string(out) {
		t.Errorf("round trip changed the file:\n%s\n---\n%s", out, back.Marshal())
	}
	ref, dgst, ok := back.Entry("linux/amd64", "builder")
	if !ok || ref != "docker.io/library/golang:1.26-bookworm" || dgst != d1 {
		t.Errorf("entry = %s %s %v", ref, dgst, ok)
	}
	// A base update must be a one-line diff.
	l.Set("linux/amd64", "base", "gcr.io/distroless/static-debian12:nonroot", d2)
	changed := 0
	a, b := strings.Split(string(out), "\n"), strings.Split(string(l.Marshal()), "\n")
	for i := range a {
		if a[i] != b[i] {
			changed++
		}
	}
	if changed != 1 || len(a) != len(b) {
		t.Errorf("a digest change touched %d lines", changed)
	}
	if strings.Index(string(out), "linux/amd64") > strings.Index(string(out), "linux/arm64") {
		t.Error("platforms are not sorted")
	}
}

func TestParseErrorsNameTheEntry(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"bad digest":    {"version: 1\nimages:\n  linux/amd64:\n    base: gcr.io/x:1@sha256:abc\n", "images.linux/amd64.base"},
		"no digest":     {"version: 1\nimages:\n  linux/amd64:\n    base: gcr.io/x:1\n", "images.linux/amd64.base"},
		"version":       {"version: 9\nimages: {}\n", "version 9"},
		"unknown field": {"version: 1\nimagez: {}\n", "imagez"},
		"bad package":   {"version: 1\nimages: {}\npackages:\n  linux/amd64:\n    libc6: \"\"\n", "packages.linux/amd64.libc6"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("hardened.lock", []byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "hardened lock") {
				t.Errorf("err = %v, want it to name %q and say how to fix it", err, tc.want)
			}
		})
	}
}

func TestPackagesRoundTripOneLineEach(t *testing.T) {
	l := New()
	l.Set("linux/amd64", "base", "gcr.io/distroless/base-debian12:nonroot", d1)
	l.SetPackages("linux/amd64", map[string]string{"libsqlite3-0": "3.40.1-2+deb12u1", "libpq5": "15.10-0+deb12u1"})
	out := l.Marshal()
	for _, want := range []string{"packages:\n  linux/amd64:\n    libpq5: \"15.10-0+deb12u1\"\n    libsqlite3-0: \"3.40.1-2+deb12u1\"\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("lock lacks %q:\n%s", want, out)
		}
	}
	back, err := Parse("hardened.lock", out)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := back.PackagesFor("linux/amd64"); !ok || got["libsqlite3-0"] != "3.40.1-2+deb12u1" || len(got) != 2 {
		t.Errorf("packages = %v %v", got, ok)
	}
	if _, ok := back.PackagesFor("linux/arm64"); ok {
		t.Error("a platform without packages has some")
	}
	if string(back.Marshal()) != string(out) {
		t.Errorf("round trip changed the file:\n%s\n---\n%s", out, back.Marshal())
	}
	// A lock without runtime.libs has no packages section.
	if strings.Contains(string(New().Marshal()), "\npackages:") {
		t.Error("an empty lock writes packages")
	}
}

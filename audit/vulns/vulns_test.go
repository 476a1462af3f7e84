package vulns_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/audit/image"
	"github.com/hardenedbuild/hardened/audit/vulns"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		scanner string
		want    audit.Vulnerabilities
	}{
		// One of each severity; the duplicate x/net finding counts once.
		{"trivy", audit.Vulnerabilities{Scanner: "trivy", Critical: 1, High: 2, Medium: 1, Low: 1, Unknown: 1}},
		// Negligible counts as low; the duplicate libssl3 match counts once.
		{"grype", audit.Vulnerabilities{Scanner: "grype", Critical: 1, High: 1, Medium: 1, Low: 1}},
	} {
		t.Run(tc.scanner, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.scanner+".json"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := vulns.Parse(tc.scanner, data)
			if err != nil {
				t.Fatal(err)
			}
			if *got != tc.want {
				t.Errorf("got %+v, want %+v", *got, tc.want)
			}
		})
	}
	for _, tc := range []struct{ scanner, data, want string }{
		{"trivy", ``, "empty output"},
		{"trivy", `{"SchemaVersion": 1}`, "schema version 1, want 2"},
		{"trivy", `[1,2]`, "reading trivy's JSON"},
		{"grype", `{"source": {}}`, "no matches field"},
		{"nessus", `{}`, "unknown scanner"},
	} {
		if _, err := vulns.Parse(tc.scanner, []byte(tc.data)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q: %v, want %q", tc.scanner, tc.data, err, tc.want)
		}
	}
}

func TestArgs(t *testing.T) {
	for _, tc := range []struct {
		scanner string
		src     image.Source
		want    string
	}{
		{"trivy", image.Source{Kind: image.Registry, Ref: "example.com/app:1"}, "image --quiet --format json --scanners vuln --platform linux/arm64 example.com/app:1"},
		{"trivy", image.Source{Kind: image.Layout, Ref: "/tmp/oci"}, "image --quiet --format json --scanners vuln --input /tmp/oci"},
		{"grype", image.Source{Kind: image.Registry, Ref: "example.com/app:1"}, "-o json -q --platform linux/arm64 registry:example.com/app:1"},
		{"grype", image.Source{Kind: image.Layout, Ref: "/tmp/oci"}, "-o json -q oci-dir:/tmp/oci"},
		{"grype", image.Source{Kind: image.OCIArchive, Ref: "a.tar"}, "-o json -q oci-archive:a.tar"},
		{"grype", image.Source{Kind: image.DockerArchive, Ref: "d.tar"}, "-o json -q docker-archive:d.tar"},
	} {
		args, err := vulns.Scanner{Name: tc.scanner}.Args(tc.src, "linux/arm64")
		if err != nil || strings.Join(args, " ") != tc.want {
			t.Errorf("%s %+v: %q, %v", tc.scanner, tc.src, strings.Join(args, " "), err)
		}
	}
}

// fakeScanner puts a script named like the scanner on PATH that prints a fixture and records
// its arguments.
func fakeScanner(t *testing.T, name, fixture string, exit int) string {
	t.Helper()
	dir := t.TempDir()
	abs, err := filepath.Abs(filepath.Join("testdata", fixture))
	if err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\necho \"$@\" > " + filepath.Join(dir, "args") + "\ncat " + abs + "\necho 'scanner says no' >&2\nexit " + string(rune('0'+exit)) + "\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+"/usr/bin:/bin")
	return dir
}

func TestFindAndScan(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if _, err := vulns.Find(""); err != vulns.ErrNoScanner {
		t.Errorf("empty PATH: %v", err)
	}
	if _, err := vulns.Find("grype"); err == nil || !strings.Contains(err.Error(), "grype is not on PATH") {
		t.Errorf("named scanner: %v", err)
	}

	dir := fakeScanner(t, "grype", "grype.json", 0)
	s, err := vulns.Find("")
	if err != nil || s.Name != "grype" {
		t.Fatalf("Find: %+v %v", s, err)
	}
	fs, err := s.Scan(context.Background(), image.Source{Kind: image.Layout, Ref: "/tmp/oci"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if v := vulns.Count(s.Name, fs); v.Critical != 1 || v.Scanner != "grype" {
		t.Errorf("counts %+v", v)
	}
	if args, _ := os.ReadFile(filepath.Join(dir, "args")); strings.TrimSpace(string(args)) != "-o json -q oci-dir:/tmp/oci" {
		t.Errorf("args %q", args)
	}

	fakeScanner(t, "trivy", "trivy.json", 1)
	s, _ = vulns.Find("trivy")
	if _, err := s.Scan(context.Background(), image.Source{Kind: image.Registry, Ref: "x"}, ""); err == nil || !strings.Contains(err.Error(), "scanner says no") {
		t.Errorf("a failing scanner: %v", err)
	}
}

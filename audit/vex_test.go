package audit

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const vexIgnore = `waivers:
  - id: HX-MIN-SHELL
    reason: debug
vulnerabilities:
  - id: CVE-2024-0001
    package: libexpat1
    justification: vulnerable_code_not_in_execute_path
    reason: the app never parses XML
    expires: 2026-12-31
  - id: CVE-2024-0002
    package: gcc-14
    reason: the compiler is in the builder only
  - id: CVE-2024-0003
    package: libc6
    justification: component_not_present
    reason: wrongly claimed
  - id: CVE-2020-0004
    package: zlib1g
    justification: inline_mitigations_already_exist
    reason: old
    expires: 2020-01-01
`

func TestParseIgnoreVulnerabilities(t *testing.T) {
	ig, err := ParseIgnore("ignore.yaml", []byte(vexIgnore))
	if err != nil {
		t.Fatal(err)
	}
	if len(ig.Waivers) != 1 || len(ig.Vulnerabilities) != 4 {
		t.Fatalf("%+v", ig)
	}
	v := ig.Vulnerabilities[0]
	if v.ID != "CVE-2024-0001" || v.Package != "libexpat1" || v.Justification != "vulnerable_code_not_in_execute_path" ||
		v.Expires.Format(time.DateOnly) != "2026-12-31" || v.Source != "ignore.yaml:5" {
		t.Fatalf("%+v", v)
	}
	if ws, err := ParseWaivers("ignore.yaml", []byte(vexIgnore)); err != nil || len(ws) != 1 {
		t.Fatalf("ParseWaivers reads the waivers of a file with vulnerabilities: %v %v", ws, err)
	}
}

// TestParseIgnoreVulnerabilityErrors: each bad entry is a FILE:LINE:COL problem, all at once.
func TestParseIgnoreVulnerabilityErrors(t *testing.T) {
	bad := `vulnerabilities:
  - id: not a cve
    package: curl
    justification: trust_me
    reason: x
    expires: soon
  - package: curl
    reason: x
  - id: CVE-2024-1
    package: curl
    severity: low
  - CVE-2024-2
`
	_, err := ParseIgnore("ig.yaml", []byte(bad))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`ig.yaml:2:9: vulnerabilities[0].id: "not a cve" is not a vulnerability id`,
		`ig.yaml:4:20: vulnerabilities[0].justification: "trust_me" is not an OpenVEX justification; write one of component_not_present`,
		`ig.yaml:6:14: vulnerabilities[0].expires: want a date YYYY-MM-DD`,
		`ig.yaml:7:5: vulnerabilities[1]: a vulnerability statement needs an id`,
		`ig.yaml:11:5: vulnerabilities[2]: unknown field "severity"`,
		`ig.yaml:9:5: vulnerabilities[2]: a vulnerability statement needs a reason`,
		`ig.yaml:12:5: vulnerabilities[3]: want a mapping`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
	if _, err := ParseIgnore("ig.yaml", []byte("vulnerabilities: CVE-1\n")); err == nil || !strings.Contains(err.Error(), "ig.yaml:1:18: vulnerabilities must be a list") {
		t.Errorf("a scalar: %v", err)
	}
}

// TestVEXDocument: the image's packages prove component_not_present or refute it; expired
// statements are not written; the rest become not_affected statements with their justification.
func TestVEXDocument(t *testing.T) {
	ig, err := ParseIgnore("ignore.yaml", []byte(vexIgnore))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	data, problems, err := VEXDocument("pkg:oci/app@sha256%3Aabc", ig.Vulnerabilities, []string{"libc6", "libexpat1:amd64", "zlib1g"}, "team@example.com", now)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 2 || !strings.Contains(problems[0], "ignore.yaml:13: libc6 is in the image, so CVE-2024-0003 is not component_not_present") ||
		!strings.Contains(problems[1], "ignore.yaml:17: the statement on CVE-2020-0004 in zlib1g expired on 2020-01-01") {
		t.Fatalf("problems: %q", problems)
	}
	var doc struct {
		Context    string `json:"@context"`
		ID         string `json:"@id"`
		Author     string `json:"author"`
		Statements []struct {
			Vulnerability struct{ Name string } `json:"vulnerability"`
			Products      []struct {
				ID            string `json:"@id"`
				Subcomponents []struct {
					ID string `json:"@id"`
				} `json:"subcomponents"`
			} `json:"products"`
			Status        string `json:"status"`
			Justification string `json:"justification"`
			Impact        string `json:"impact_statement"`
			Notes         string `json:"status_notes"`
		} `json:"statements"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Context != "https://openvex.dev/ns/v0.2.0" || doc.Author != "team@example.com" || !strings.HasPrefix(doc.ID, "https://openvex.dev/docs/public/vex-") {
		t.Fatalf("metadata: %s", data)
	}
	got := map[string]string{}
	for _, s := range doc.Statements {
		if s.Status != "not_affected" || s.Products[0].ID != "pkg:oci/app@sha256%3Aabc" || s.Impact == "" {
			t.Errorf("statement %+v", s)
		}
		got[s.Vulnerability.Name] = s.Justification + " " + s.Products[0].Subcomponents[0].ID
		// The proof is said where there is one: the package is absent from the image.
		if proven := s.Notes == "the image's package database lists no gcc-14"; proven != (s.Vulnerability.Name == "CVE-2024-0002") {
			t.Errorf("%s: status_notes %q", s.Vulnerability.Name, s.Notes)
		}
	}
	want := map[string]string{
		"CVE-2024-0001": "vulnerable_code_not_in_execute_path libexpat1",
		"CVE-2024-0002": "component_not_present gcc-14",
	}
	if len(got) != len(want) || got["CVE-2024-0001"] != want["CVE-2024-0001"] || got["CVE-2024-0002"] != want["CVE-2024-0002"] {
		t.Fatalf("statements %v, want %v", got, want)
	}
}

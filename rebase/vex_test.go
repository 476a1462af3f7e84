package rebase

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/openvex/go-vex/pkg/vex"

	"github.com/hardenedbuild/hardened/audit"
)

// TestCarryVEX: a VEX document hardened sign wrote for the image as built, carried to the
// rebased image: every statement names the new image; a component_not_present statement the
// build proved stays only while the new image still lacks the package; a person's
// justification is carried as written.
func TestCarryVEX(t *testing.T) {
	oldProduct := "pkg:oci/app@sha256%3Aaaaa?repository_url=registry.example/app"
	newProduct := "pkg:oci/app@sha256%3Abbbb?repository_url=registry.example/app"
	oldPackages := []string{"libc6", "tzdata"}
	stmts := []audit.VulnStatement{
		{ID: "CVE-2024-0001", Package: "gcc-14", Reason: "builder only", Source: "ignore.yaml:3"},
		{ID: "CVE-2024-0002", Package: "libexpat1", Reason: "builder only", Source: "ignore.yaml:6"},
		{ID: "CVE-2024-0003", Package: "tzdata", Justification: "vulnerable_code_not_in_execute_path", Reason: "never parsed", Source: "ignore.yaml:9"},
	}
	built := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	doc, problems, err := audit.VEXDocument(oldProduct, stmts, oldPackages, "team", built)
	if err != nil || len(problems) != 0 {
		t.Fatalf("the build's VEX: %v %v", err, problems)
	}

	// The new base brings libexpat1 in: that statement no longer holds.
	now := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	out, dropped, err := CarryVEX(doc, newProduct, []string{"libc6", "tzdata", "libexpat1:amd64"}, "hardened rebase", now)
	if err != nil {
		t.Fatal(err)
	}
	if len(dropped) != 1 || !strings.Contains(dropped[0], "CVE-2024-0002 in libexpat1") {
		t.Fatalf("dropped %v", dropped)
	}
	var got vex.VEX
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got.Author != "team" || got.Tooling != "hardened rebase" || got.Timestamp == nil || !got.Timestamp.Equal(now) || got.ID == "" {
		t.Fatalf("document metadata: %+v", got.Metadata)
	}
	var old vex.VEX
	_ = json.Unmarshal(doc, &old)
	if got.ID == old.ID {
		t.Fatalf("the carried document kept the old one's @id %s", got.ID)
	}
	ids := map[string]vex.Statement{}
	for _, s := range got.Statements {
		ids[string(s.Vulnerability.Name)] = s
		if len(s.Products) != 1 || s.Products[0].ID != newProduct || len(s.Products[0].Subcomponents) != 1 {
			t.Fatalf("%s is not about the new image: %+v", s.Vulnerability.Name, s.Products)
		}
		if strings.Contains(string(out), oldProduct) {
			t.Fatalf("the old image is still named: %s", out)
		}
	}
	if len(ids) != 2 || ids["CVE-2024-0001"].Justification != vex.ComponentNotPresent ||
		ids["CVE-2024-0003"].Justification != vex.VulnerableCodeNotInExecutePath || ids["CVE-2024-0003"].ImpactStatement != "never parsed" {
		t.Fatalf("carried statements: %+v", got.Statements)
	}

	// A purl subcomponent is matched by its name; nothing left is no document.
	purl := strings.ReplaceAll(string(doc), `"@id":"gcc-14"`, `"@id":"pkg:deb/debian/gcc-14@14.2.0-19?arch=amd64"`)
	if purl == string(doc) {
		t.Fatalf("the build's VEX names gcc-14 otherwise: %s", doc)
	}
	out, dropped, err = CarryVEX([]byte(purl), newProduct, []string{"gcc-14", "libexpat1", "tzdata"}, "hardened rebase", now)
	if err != nil || len(dropped) != 2 || out == nil {
		t.Fatalf("gcc-14 by purl: %v %v %s", err, dropped, out)
	}
	onlyProven, _, err := audit.VEXDocument(oldProduct, stmts[:2], oldPackages, "team", built)
	if err != nil {
		t.Fatal(err)
	}
	if out, dropped, err = CarryVEX(onlyProven, newProduct, []string{"gcc-14", "libexpat1"}, "hardened rebase", now); out != nil || len(dropped) != 2 || err != nil {
		t.Fatalf("every statement dropped: %s %v %v", out, dropped, err)
	}
	if _, _, err := CarryVEX([]byte("{"), newProduct, nil, "hardened rebase", now); err == nil {
		t.Fatal("a broken document was carried")
	}
}

package audit_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/hardenedbuild/hardened/audit"
)

const (
	docsFile   = "../docs/check.md"
	docsBegin  = "<!-- checks:begin -->\n"
	docsEnd    = "<!-- checks:end -->"
	docsAnchor = "https://github.com/hardenedbuild/hardened/blob/main/docs/check.md#"
)

// checksMarkdown is the generated part of docs/check.md: a table, then a section per check
// (whose heading is the anchor SARIF helpUri points at).
func checksMarkdown() string {
	var b strings.Builder
	join := func(ids []string) string {
		if len(ids) == 0 {
			return "–"
		}
		return strings.Join(ids, ", ")
	}
	b.WriteString("| id | check | severity | CIS | dockle | hadolint | trivy |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, c := range audit.Checks() {
		m := c.Mappings
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s | %s | %s | %s |\n", c.ID, strings.ToLower(c.ID), c.Title, c.Severity,
			join(m.CIS), join(m.Dockle), join(m.Hadolint), join(m.Trivy))
	}
	for _, c := range audit.Checks() {
		fmt.Fprintf(&b, "\n### %s\n\n**%s**: severity %s", c.ID, c.Title, c.Severity)
		if c.Catalogue != "" {
			fmt.Fprintf(&b, ", catalogue %s", c.Catalogue)
		} else {
			b.WriteString(", an addition to the catalogue")
		}
		if c.NeedsLayers {
			b.WriteString(", needs layer data")
		}
		b.WriteString(".\n\n" + c.Rationale + "\n\nLooks at: " + c.How + "\n")
		var same []string
		for _, m := range []struct {
			tool string
			ids  []string
		}{{"CIS", c.Mappings.CIS}, {"dockle", c.Mappings.Dockle}, {"hadolint", c.Mappings.Hadolint}, {"trivy", c.Mappings.Trivy}} {
			if len(m.ids) > 0 {
				same = append(same, m.tool+" "+strings.Join(m.ids, ", "))
			}
		}
		if len(same) > 0 {
			b.WriteString("\nSame concern as: " + strings.Join(same, "; ") + ".\n")
		}
	}
	return b.String()
}

func TestDocsListEveryCheck(t *testing.T) {
	doc, err := os.ReadFile(docsFile)
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(doc, []byte(docsBegin)), bytes.Index(doc, []byte(docsEnd))
	if i < 0 || j < i {
		t.Fatalf("%s lacks the %q ... %q markers", docsFile, docsBegin, docsEnd)
	}
	want := checksMarkdown()
	if got := string(doc[i+len(docsBegin) : j]); got != want {
		if *update {
			out := append(append(append([]byte{}, doc[:i+len(docsBegin)]...), want...), doc[j:]...)
			if err := os.WriteFile(docsFile, out, 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("%s is out of date with the checks; go test ./audit -run TestDocs -update rewrites it", docsFile)
	}
	for _, c := range audit.Checks() {
		if c.How == "" {
			t.Errorf("%s: no How", c.ID)
		}
	}
}

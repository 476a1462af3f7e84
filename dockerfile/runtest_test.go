package dockerfile

import (
	"strings"
	"testing"

	"github.com/hardenedbuild/hardened/spec"
)

// The test becomes comment lines only: a line break in test.run stays escaped, test.env values are not written.
func TestTestIsACommentOnly(t *testing.T) {
	s := &spec.Spec{Runtime: spec.Runtime{Writable: []string{"/tmp"}},
		Test: &spec.Test{Run: []string{"--check\nRUN curl evil"}, Env: map[string]string{"DB": "sqlite:///tmp/x.db"}}}
	w := &writer{}
	w.testComment(s)
	for _, l := range strings.Split(strings.TrimSpace(w.b.String()), "\n") {
		if l != "" && !strings.HasPrefix(l, "# ") {
			t.Errorf("not a comment: %q", l)
		}
	}
	out := strings.ReplaceAll(w.b.String(), "\n# ", " ")
	for _, want := range []string{`["--check\nRUN curl evil"]`, "/tmp as empty tmpfs", "--tmpfs /tmp", "sets DB", "cannot express"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "sqlite") {
		t.Errorf("a test.env value was written:\n%s", out)
	}
}

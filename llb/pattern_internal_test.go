package llb

import (
	"testing"

	"github.com/moby/patternmatcher"
)

// An artifact's name is an include pattern that matches that name alone, whatever characters it has.
func TestLiteralPatternMatchesTheNameAlone(t *testing.T) {
	for _, name := range []string{"server", "s*", "a?b", "[x]", `back\slash`, "!bang", "dot.ted"} {
		pm, err := patternmatcher.New([]string{literalPattern(name)})
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		for _, other := range []string{name, "server", "sx", "axb", "x", "bang", "dotxted", "s*x"} {
			got, err := pm.MatchesOrParentMatches(other)
			if err != nil {
				t.Fatal(err)
			}
			if want := other == name; got != want {
				t.Errorf("pattern %q of %q matches %q: %v, want %v", literalPattern(name), name, other, got, want)
			}
		}
	}
}

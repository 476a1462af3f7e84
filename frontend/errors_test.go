package frontend

import (
	"fmt"
	"strings"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/errdefs"

	"github.com/hardenedbuild/hardened/spec"
)

// A spec's problems travel to the client with their source lines; thousands of them carry the lines of
// the problems shown, and the message stays bounded.
func TestSpecSourceIsBounded(t *testing.T) {
	var errs spec.Errors
	for i := range 5000 {
		errs = append(errs, spec.Error{File: "hardened.yaml", Pos: spec.Pos{Line: i + 3, Col: 5}, Field: fmt.Sprintf("artifacts[%d]", i), Msg: "missing"})
	}
	st := bkllb.Scratch()
	sm := bkllb.NewSourceMap(&st, "hardened.yaml", "YAML", []byte("language: static\n"))
	def, err := st.Marshal(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	sm.Definition = def
	err = withSpecSource(errs, sm)
	srcs := errdefs.Sources(err)
	if len(srcs) != 1 {
		t.Fatalf("%d sources attached", len(srcs))
	}
	if n := len(srcs[0].Ranges); n != spec.MaxProblems {
		t.Errorf("%d source ranges, want %d", n, spec.MaxProblems)
	}
	if lines := strings.Count(err.Error(), "\n") + 1; lines != spec.MaxProblems+1 {
		t.Errorf("%d lines in the message", lines)
	}
}

// A problem with a secret-looking value gets no source: BuildKit would print the spec's lines around the
// caret, and the value stands on them.
func TestSensitiveErrorsCarryNoSource(t *testing.T) {
	st := bkllb.Scratch()
	sm := bkllb.NewSourceMap(&st, "hardened.yaml", "YAML", []byte("language: go\nenv:\n  TOKEN: ghp_x\n"))
	def, err := st.Marshal(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	sm.Definition = def
	err = withSpecSource(spec.Errors{{File: "hardened.yaml", Pos: spec.Pos{Line: 3, Col: 10}, Field: "env.TOKEN", Msg: "looks like a secret", Sensitive: true}}, sm)
	if srcs := errdefs.Sources(err); len(srcs) != 0 {
		t.Errorf("a sensitive problem carries %d source(s) with the spec's lines", len(srcs))
	}
	err = withSpecSource(spec.Errors{{File: "hardened.yaml", Pos: spec.Pos{Line: 1, Col: 1}, Field: "language", Msg: "x"}}, sm)
	if srcs := errdefs.Sources(err); len(srcs) != 1 {
		t.Errorf("an ordinary problem carries %d sources, want 1", len(srcs))
	}
}

package spec

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestErrorRendering(t *testing.T) {
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{File: "hardened.yaml", Pos: Pos{4, 7}, Field: "user", Msg: "uid 0 (root) is not allowed", Hint: rootHint},
			"hardened.yaml:4:7: user: uid 0 (root) is not allowed; write user: 65532 (distroless nonroot) or another non-zero uid"},
		{Error{File: "f.yaml", Pos: Pos{1, 1}, Msg: "the file is empty"}, "f.yaml:1:1: the file is empty"},
		{Error{Field: "user", Msg: "m", Hint: "h"}, "user: m; h"},
		{Error{File: "f.yaml", Field: "user", Msg: "m"}, "f.yaml: user: m"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}

func TestErrorsFinal(t *testing.T) {
	es := Errors{
		{File: "f", Pos: Pos{3, 1}, Msg: "c"},
		{File: "f", Pos: Pos{1, 5}, Msg: "b"},
		{File: "f", Pos: Pos{1, 2}, Msg: "a"},
		{File: "f", Pos: Pos{1, 5}, Msg: "b"},
	}.final()
	if got, want := es.Error(), "f:1:2: a\nf:1:5: b\nf:3:1: c"; got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	var many Errors
	for i := range 250 {
		many = append(many, Error{File: "f", Pos: Pos{i + 1, 1}, Msg: "x"})
	}
	many = many.final()
	if len(many) != MaxProblems+1 || many[MaxProblems].Error() != "and 150 more problems not shown; fix the ones above and run again" {
		t.Errorf("capped to %d, last %v", len(many), many[len(many)-1])
	}
	if again := many.Bounded(); len(again) != len(many) || again[MaxProblems] != many[MaxProblems] {
		t.Errorf("bounded twice: %d, last %v", len(again), again[len(again)-1])
	}
}

// Any Errors renders bounded, however it was made (the frontend builds its own lists). No timing
// assertion: a quadratic render of 80000 problems would run into the test timeout instead.
func TestErrorsRenderBounded(t *testing.T) {
	var many Errors
	for i := range 80000 {
		many = append(many, Error{File: "hardened.yaml", Pos: Pos{80000 - i, 5}, Field: fmt.Sprintf("artifacts[%d]", i), Msg: "missing"})
	}
	out := many.Error()
	lines := strings.Split(out, "\n")
	if len(lines) != MaxProblems+1 {
		t.Fatalf("%d lines, want %d", len(lines), MaxProblems+1)
	}
	if lines[0] != "hardened.yaml:1:5: artifacts[79999]: missing" {
		t.Errorf("first line %q, want the first position", lines[0])
	}
	if want := "and 79900 more problems not shown; fix the ones above and run again"; lines[MaxProblems] != want {
		t.Errorf("last line %q, want %q", lines[MaxProblems], want)
	}
	if many[0].Pos.Line != 80000 {
		t.Error("rendering reordered the list it was given")
	}
	if got := (Errors{{Msg: "a"}, {Msg: "b"}}).Error(); got != "a\nb" {
		t.Errorf("short list rendered %q", got)
	}
}

func TestAsErrors(t *testing.T) {
	es := Errors{{Msg: "a"}}
	for _, err := range []error{es, fmt.Errorf("loading: %w", es), Error{Msg: "a"}, &Error{Msg: "a"}} {
		got, ok := AsErrors(err)
		if !ok || len(got) != 1 || got[0].Msg != "a" {
			t.Errorf("AsErrors(%#v) = %v, %v", err, got, ok)
		}
	}
	if _, ok := AsErrors(errors.New("plain")); ok {
		t.Error("a plain error is not Errors")
	}
	if _, ok := AsErrors(nil); ok {
		t.Error("nil is not Errors")
	}
}

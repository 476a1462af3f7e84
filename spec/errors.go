package spec

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Error is one problem in a spec, located in the file.
type Error struct {
	File  string
	Pos   Pos
	Field string
	Msg   string
	Hint  string
}

// Error renders FILE:LINE:COL: FIELD: MSG; HINT, leaving out the parts that are empty.
func (e Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Pos.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Pos.Line, e.Pos.Col)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Errors is every problem found in a spec, sorted by position.
type Errors []Error

// Error renders one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sorted orders problems by line then column, keeping the order checks ran in for ties.
func (es Errors) sorted() Errors {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i].Pos, es[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return es
}

// AsErrors returns the problems err carries, if it is (or wraps) Errors or a single Error.
func AsErrors(err error) (Errors, bool) {
	var es Errors
	if errors.As(err, &es) {
		return es, true
	}
	var e Error
	if errors.As(err, &e) {
		return Errors{e}, true
	}
	var pe *Error
	if errors.As(err, &pe) && pe != nil {
		return Errors{*pe}, true
	}
	return nil, false
}

// maxErrors caps what one file reports; past that the first problems are the ones to fix.
const maxErrors = 100

// final is what Parse, Validate and Load return: sorted, each problem once, at most maxErrors.
func (es Errors) final() Errors {
	seen := map[Error]bool{}
	out := make(Errors, 0, len(es))
	for _, e := range es {
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	out = out.sorted()
	if len(out) > maxErrors {
		last := out[maxErrors-1]
		more := len(out) - maxErrors + 1
		out = append(out[:maxErrors-1], Error{File: last.File, Pos: last.Pos, Msg: fmt.Sprintf("%d more problems not shown", more), Hint: "fix the ones above and run again"})
	}
	return out
}

// quote quotes a value for a message, shortened so that a huge value cannot flood the output.
func quote(s string) string {
	const limit = 60
	if len(s) > limit {
		r := []rune(s)
		if len(r) > limit {
			s = string(r[:limit]) + "..."
		}
	}
	return strconv.Quote(s)
}

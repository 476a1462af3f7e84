package spec

import (
	"errors"
	"fmt"
	"slices"
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
	// Sensitive marks a problem with a value that looks like a secret: a client must not be shown the
	// spec's lines around it, which hold the value (the message names the position only).
	Sensitive bool
	// more is set on the line that stands for problems left out by Bounded: how many.
	more int
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
		b.WriteString(printable(e.Field, false))
		b.WriteString(": ")
	}
	b.WriteString(printable(e.Msg, true))
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(printable(e.Hint, true))
	}
	return b.String()
}

// printable escapes what a terminal would act on rather than show (ESC, NUL, C1, bidi controls): a field
// path holds the spec's own keys, and a message may quote a file. Line breaks and tabs stay in messages.
func printable(s string, lines bool) string {
	if _, bad := unsafeRune(s); !bad {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if _, bad := unsafeRune(string(r)); bad && !(lines && (r == '\n' || r == '\t')) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Errors is every problem found in a spec, sorted by position.
type Errors []Error

// Error renders one problem per line, at most MaxProblems of them and a last line saying how many more
// there are: a message that must reach a terminal through BuildKit cannot be megabytes long.
func (es Errors) Error() string {
	b := es.Bounded()
	lines := make([]string, len(b))
	for i, e := range b {
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

// Sensitive reports whether any problem of err is about a secret-looking value.
func Sensitive(err error) bool {
	es, ok := AsErrors(err)
	return ok && slices.ContainsFunc(es, func(e Error) bool { return e.Sensitive })
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

// MaxProblems caps every list of problems shown; past that the first problems are the ones to fix.
const MaxProblems = 100

// final is what Parse, Validate and Load return: sorted, each problem once, at most MaxProblems.
func (es Errors) final() Errors { return es.Bounded() }

// Bounded returns the problems sorted, each once, at most MaxProblems of them, and then, if some were
// left out, one line "and N more problems not shown". It leaves es as it was, and a bounded list
// bounded again is the same list.
func (es Errors) Bounded() Errors {
	more := 0
	seen := make(map[Error]bool, min(len(es), 4*MaxProblems))
	out := make(Errors, 0, min(len(es), MaxProblems+1))
	for _, e := range es {
		switch {
		case e.more > 0:
			more += e.more
		case !seen[e]:
			seen[e] = true
			out = append(out, e)
		}
	}
	out = out.sorted()
	if len(out) > MaxProblems {
		more += len(out) - MaxProblems
		out = out[:MaxProblems:MaxProblems]
	}
	if more > 0 {
		out = append(out, Error{Msg: fmt.Sprintf("and %d more problems not shown", more), Hint: "fix the ones above and run again", more: more})
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

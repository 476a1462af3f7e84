package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize is the largest spec Parse reads; a real one is a few dozen lines.
const MaxFileSize = 1 << 20

// startHint says what a minimal spec looks like, for files that have none.
const startHint = `write at least "language: go" and "artifacts: [./cmd/server]", one per line`

// Parse reads a spec from data, named filename in messages. It reports every problem it finds
// as Errors, each with its line and column; it neither validates nor fills defaults. It takes
// the options of Validate and Load so that callers can pass one set to all three.
func Parse(filename string, data []byte, opts ...Option) (*Spec, error) {
	s, errs := parse(filename, data)
	if len(errs) > 0 {
		return nil, errs.final()
	}
	return s, nil
}

// Load is Parse, Validate and Defaults in one: it returns the problems of all of them together,
// or a spec ready to build.
func Load(filename string, data []byte, opts ...Option) (*Spec, error) {
	s, errs := parse(filename, data)
	if s != nil {
		errs = append(errs, s.validate(newOptions(opts))...)
	}
	if len(errs) > 0 {
		return nil, errs.final()
	}
	s.Defaults()
	return s, nil
}

// parse returns whatever of the spec could be read along with the problems, so that Load can
// validate the rest; the spec is nil when the YAML itself is unreadable.
func parse(filename string, data []byte) (*Spec, Errors) {
	at := func(msg, hint string) Errors {
		return Errors{{File: filename, Pos: Pos{Line: 1, Col: 1}, Msg: msg, Hint: hint}}
	}
	if len(data) > MaxFileSize {
		return nil, at("the file is over the 1 MiB limit", "a spec is a few dozen lines; check that this is the right file")
	}
	if e, bad := badBytes(filename, data); bad {
		return nil, Errors{e}
	}
	doc, errs := readYAML(filename, data)
	if errs != nil {
		return nil, errs
	}
	if doc == nil || isNull(doc) {
		return nil, at("the file is empty", startHint)
	}
	if doc.Kind != yaml.MappingNode {
		return nil, Errors{{File: filename, Pos: posOf(doc), Msg: "the top level must be a mapping of fields, got " + describeNode(doc), Hint: startHint}}
	}
	d := newDecoder(filename)
	s := &Spec{file: filename}
	d.value(doc, reflect.ValueOf(s).Elem(), "")
	s.pos, s.keyPos, s.bad = d.pos, d.keyPos, d.bad
	return s, d.errs
}

// badBytes finds the first byte YAML cannot take, invalid UTF-8 or a control character, and says
// where it is: yaml itself reports both at 1:1.
func badBytes(filename string, data []byte) (Error, bool) {
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return Error{File: filename, Pos: Pos{Line: line, Col: col}, Msg: fmt.Sprintf("byte 0x%02x is not UTF-8", data[i]),
				Hint: "save the file as UTF-8 (YAML reads nothing else)"}, true
		case r == '\n':
			line, col = line+1, 0
		case r == '\t' || r == '\r' || r == '\ufeff':
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return Error{File: filename, Pos: Pos{Line: line, Col: col}, Msg: fmt.Sprintf("control character %U", r),
				Hint: "remove it; a spec holds printable text only"}, true
		}
		i += size
		col++
	}
	return Error{}, false
}

// readYAML returns the content of the single document in data, nil for none.
func readYAML(filename string, data []byte) (doc *yaml.Node, errs Errors) {
	// yaml has panicked on odd input in the past; a spec linter must answer with an error instead.
	defer func() {
		if r := recover(); r != nil {
			doc, errs = nil, Errors{{File: filename, Pos: Pos{Line: 1, Col: 1}, Msg: fmt.Sprintf("invalid YAML: %v", r)}}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var first yaml.Node
	if err := dec.Decode(&first); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, Errors{syntaxError(filename, data, err)}
	}
	var second yaml.Node
	switch err := dec.Decode(&second); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, Errors{syntaxError(filename, data, err)}
	case len(second.Content) > 0 && !isNull(second.Content[0]):
		return nil, Errors{{File: filename, Pos: posOf(second.Content[0]), Msg: "a second YAML document", Hint: "keep one spec per file; remove the --- line and what follows it"}}
	}
	if len(first.Content) == 0 {
		return nil, nil
	}
	return first.Content[0], nil
}

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

// syntaxError turns yaml's message into an Error at the line it names; yaml gives no column.
func syntaxError(filename string, data []byte, err error) Error {
	msg := err.Error()
	line := 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if m[1] != "" {
			if n, convErr := strconv.Atoi(m[1]); convErr == nil && n > 0 {
				line = n
			}
		}
		msg = msg[len(m[0]):]
	}
	e := Error{File: filename, Pos: Pos{Line: line, Col: 1}, Msg: "invalid YAML: " + msg}
	if tabIndented(data, line) {
		e.Hint = "indent with spaces; YAML does not allow tabs"
	}
	return e
}

// tabIndented says whether the given line, or the one before it, is indented with a tab.
func tabIndented(data []byte, line int) bool {
	lines := strings.Split(string(data), "\n")
	for _, l := range []int{line - 1, line - 2} {
		if l >= 0 && l < len(lines) {
			indent := lines[l][:len(lines[l])-len(strings.TrimLeft(lines[l], " \t"))]
			if strings.Contains(indent, "\t") {
				return true
			}
		}
	}
	return false
}

package spec

import (
	"fmt"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Validate reports every problem in the spec at once as Errors, each naming the field and
// saying what to write instead; nil means the spec can be built.
func (s *Spec) Validate(opts ...Option) error {
	if s == nil {
		return Errors{{Msg: "no spec", Hint: startHint}}
	}
	if errs := s.validate(newOptions(opts)); len(errs) > 0 {
		return errs.final()
	}
	return nil
}

// checker collects the problems of one spec.
type checker struct {
	s    *Spec
	o    options
	errs Errors
}

func (s *Spec) validate(o options) Errors {
	c := &checker{s: s, o: o}
	c.language()
	c.version()
	c.debian()
	c.artifacts()
	c.base()
	c.user()
	c.execForm("entrypoint", s.Entrypoint, true, `leave entrypoint out to run the first artifact, or write entrypoint: ["/app/server"]`)
	c.execForm("cmd", s.Cmd, false, "")
	c.workdir()
	c.env("env", s.Env, true)
	c.expose()
	c.labels()
	c.healthcheck()
	c.env("build.env", s.Build.Env, false)
	c.tags()
	c.steps()
	c.buildArgs()
	c.secrets()
	c.packages("build.packages", s.Build.Packages, "libsqlite3-dev")
	c.packages("runtime.libs", s.Runtime.Libs, "libsqlite3-0")
	c.writable()
	c.runtimeFiles()
	c.test()
	c.languageChecks()
	return c.errs
}

// languageChecks runs the checks of WithCheck, once the language is one they can judge.
func (c *checker) languageChecks() {
	l := c.s.Language
	if l == "" || (c.o.languages != nil && !slices.Contains(c.o.languages, l)) {
		return
	}
	for _, check := range c.o.checks {
		for _, e := range check(c.s) {
			p := e.Pos
			if p.Line == 0 {
				p = c.s.where(e.Field)
			}
			n := len(c.errs)
			c.add(e.Field, p, e.Msg, e.Hint)
			if len(c.errs) > n {
				c.errs[n].Sensitive = e.Sensitive // the frontend then shows no lines of the spec
			}
		}
	}
}

// report records a problem at the field's value.
func (c *checker) report(path, msg, hint string) {
	c.add(path, c.s.where(path), msg, hint)
}

// reportKey records a problem with a map key, at the key.
func (c *checker) reportKey(path, msg, hint string) {
	p, ok := c.s.keyPos[path]
	if !ok {
		p = c.s.where(path)
	}
	c.add(path, p, msg, hint)
}

func (c *checker) add(path string, p Pos, msg, hint string) {
	// Parse already said what is wrong with this field; its zero value would only repeat that.
	for q := path; ; q = parentPath(q) {
		if c.s.bad[q] {
			return
		}
		if q == "" {
			break
		}
	}
	c.errs = append(c.errs, Error{File: c.s.file, Pos: p, Field: path, Msg: msg, Hint: hint})
}

// where is the position of path, or of the nearest enclosing field written in the file, so that
// a missing field points at its parent.
func (s *Spec) where(path string) Pos {
	if s.pos == nil {
		return Pos{}
	}
	for q := path; ; q = parentPath(q) {
		if p, ok := s.pos[q]; ok {
			return p
		}
		if q == "" {
			return Pos{Line: 1, Col: 1}
		}
	}
}

// written says whether the file has the field at all, even empty.
func (s *Spec) written(path string) bool {
	_, ok := s.pos[path]
	return ok
}

func (c *checker) language() {
	l := c.s.Language
	known := c.o.languages
	if l == "" {
		msg := "missing"
		if c.s.written("language") {
			msg = "empty"
		}
		hint := "write the language the artifacts are built with, e.g. language: go"
		if len(known) == 1 {
			hint = "write language: " + known[0]
		} else if len(known) > 1 {
			hint = "write language: and one of: " + strings.Join(known, ", ")
		}
		c.report("language", msg, hint)
		return
	}
	if known != nil && !slices.Contains(known, l) {
		c.report("language", "unknown language "+quote(l), "write one of: "+strings.Join(known, ", "))
	}
}

var goVersion = regexp.MustCompile(`^1\.\d+(\.\d+)?$`)

func (c *checker) version() {
	v := c.s.Version
	if v == "" {
		return
	}
	if c.s.Language == "go" {
		if !goVersion.MatchString(v) {
			c.report("version", quote(v)+" is not a Go version", `write version: "1.26" or "1.26.8" (no go prefix)`)
		}
		return
	}
	if strings.ContainsAny(v, "/:") || strings.IndexFunc(v, unicode.IsSpace) >= 0 || hasControl(v) {
		c.report("version", quote(v)+" is not a plain version", `write the version alone, e.g. version: "1.2.3", without spaces, / or :`)
	}
}

func (c *checker) artifacts() {
	arts := c.s.Artifacts
	if len(arts) == 0 {
		c.report("artifacts", presence(arts != nil, c.s.written("artifacts")), "list at least one main package, e.g. artifacts: [./cmd/server]")
		return
	}
	first := map[string]int{} // artifact name to the index that first has it
	for i, a := range arts {
		p := fmt.Sprintf("artifacts[%d]", i)
		if msg, hint := artifactProblem(a); msg != "" {
			c.report(p, msg, hint)
			continue
		}
		// go build reads cmd/server as an import path in the standard library, not a directory.
		if c.s.Language == "go" && a != "." && !strings.HasPrefix(a, "./") {
			c.report(p, quote(a)+" would be read by go build as an import path", "write it relative to the context: ./"+path.Clean(a))
			continue
		}
		name := ArtifactName(a)
		j, dup := first[name]
		switch {
		case !dup:
			first[name] = i
		case path.Clean(arts[j]) == path.Clean(a):
			c.report(p, fmt.Sprintf("%s is listed twice (also artifacts[%d])", quote(a), j), "remove one of them")
		default:
			c.report(p, fmt.Sprintf("%s and artifacts[%d] (%s) would both be /app/%s", quote(a), j, quote(arts[j]), name),
				"give each main package a directory of its own name, or build one of them from another spec")
		}
	}
}

// artifactProblem says what is wrong with one artifact path, if anything, and the form to write.
func artifactProblem(a string) (msg, hint string) {
	const form = "write a path relative to the build context, e.g. ./cmd/server"
	clean := path.Clean(a)
	switch {
	case strings.TrimSpace(a) == "":
		return "empty path", form
	case strings.ContainsRune(a, 0):
		return quote(a) + " contains a NUL byte", form
	case strings.ContainsAny(a, "\n\r"):
		return quote(a) + " contains a line break", form
	case hasControl(a):
		r, _ := unsafeRune(a)
		return unsafeMsg(quote(a), r), "write the path in printable characters, e.g. ./cmd/server; rename the file if its name holds them"
	case strings.TrimSpace(a) != a:
		return quote(a) + " has spaces around it", "write " + quote(strings.TrimSpace(a))
	case path.IsAbs(a):
		return quote(a) + " is an absolute path", "write it relative to the build context: ./" + strings.TrimPrefix(clean, "/")
	case clean == ".." || strings.HasPrefix(clean, "../"):
		return quote(a) + " leaves the build context", "write a path inside the context, e.g. ./cmd/server, or make the parent directory the build context"
	case slices.ContainsFunc(strings.Split(clean, "/"), func(seg string) bool { return strings.Contains(seg, "...") }):
		return quote(a) + " is a package pattern, not one package", "list each main package on its own, e.g. ./cmd/server"
	}
	return "", ""
}

func hasControl(s string) bool {
	_, bad := unsafeRune(s)
	return bad
}

// unsafeRune finds the first rune of s that a terminal or an editor would not show as itself: a C0 or
// C1 control (newline, NUL, ESC, ...) or a Unicode bidi control, which reorders the text around it
// (U+202A..U+202E, U+2066..U+2069; the "Trojan Source" characters).
func unsafeRune(s string) (rune, bool) {
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || isBidi(r) {
			return r, true
		}
	}
	return 0, false
}

func isBidi(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// unsafeMsg says which unsafe rune s holds, for a message about the value named what.
func unsafeMsg(what string, r rune) string {
	if isBidi(r) {
		return fmt.Sprintf("%s contains the Unicode bidi control %U, which makes text display in another order than it is read", what, r)
	}
	if name := controlNames[r]; name != "" {
		return fmt.Sprintf("%s contains a control character (%U, %s)", what, r, name)
	}
	return fmt.Sprintf("%s contains a control character (%U)", what, r)
}

var controlNames = map[rune]string{0: "NUL", '\n': "line break", '\r': "carriage return", '\t': "tab", 0x1b: "ESC, which starts a terminal escape"}

// bases are the final stages Base may name, read from its enum tag so the schema agrees.
var bases = enumOf(reflect.TypeOf(Spec{}), "base")

func enumOf(t reflect.Type, name string) []string {
	for _, f := range fieldsOf(t) {
		if f.name == name {
			return f.enum
		}
	}
	return nil
}

// debianReleases are the values Debian may take, read from its enum tag so the schema agrees.
var debianReleases = enumOf(reflect.TypeOf(Spec{}), "debian")

func (c *checker) debian() {
	if d := c.s.Debian; d != "" && !slices.Contains(debianReleases, d) {
		c.report("debian", "unknown Debian release "+quote(d)+"; the builder and the distroless base are Debian "+
			strings.Join(debianReleases, " or "), `write debian: "13" (the default: leave the line out), or "12" for the end-of-life Debian 12 images`)
	}
}

func (c *checker) base() {
	b := c.s.Base
	if b != "" && !slices.Contains(bases, b) {
		c.report("base", "unknown base "+quote(b), "write one of: "+strings.Join(bases, ", "))
		return
	}
	if c.s.CGO && (b == "static" || b == "scratch") {
		c.report("base", b+" has no C library, so a cgo binary cannot run on it", "write base: base or base: cc, or drop cgo: true")
	} else if len(c.s.Runtime.Libs) > 0 && (b == "static" || b == "scratch") {
		c.report("base", b+" has no C library and no package records, so Debian's libraries cannot run on it",
			"write base: base or base: cc, or leave base out (runtime.libs picks base)")
	}
}

func (c *checker) user() {
	if c.s.User == "" {
		return
	}
	if _, _, p := parseUser(c.s.User); p != nil {
		c.report("user", p.msg, p.hint)
	}
}

// execForm checks a command list: no empty items, and no whole command line in one item, which
// exec form would run as a single program name. needItems refuses an empty list written out.
func (c *checker) execForm(path string, list []string, needItems bool, emptyHint string) {
	if needItems && list != nil && len(list) == 0 {
		c.report(path, "empty list", emptyHint)
		return
	}
	for i, a := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case a == "":
			c.report(p, "empty string", "remove the item or write the argument")
		case strings.ContainsRune(a, 0):
			c.report(p, quote(a)+" contains a NUL byte", "remove it")
		}
	}
	name := lastName(path)
	if name == "cmd" || len(list) == 0 || strings.IndexFunc(list[0], unicode.IsSpace) < 0 || strings.TrimSpace(list[0]) == "" {
		return
	}
	split := append(strings.Fields(list[0]), list[1:]...)
	c.report(path+"[0]", quote(list[0])+" is a whole command line in one item; exec form runs no shell to split it",
		fmt.Sprintf("write one item per argument: %s: %s", name, flowList(split)))
}

func (c *checker) workdir() {
	w := c.s.Workdir
	switch {
	case w == "":
	case hasControl(w):
		c.report("workdir", quote(w)+" contains a control character", "write an absolute path, e.g. workdir: /app")
	case !path.IsAbs(w):
		c.report("workdir", quote(w)+" is not absolute", "write workdir: "+path.Clean("/"+w))
	case path.Clean(w) != w:
		c.report("workdir", quote(w)+" is not a clean path", "write workdir: "+path.Clean(w))
	}
}

package spec

import (
	"fmt"
	"maps"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
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
			c.add(e.Field, p, e.Msg, e.Hint)
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

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// secretWords mark variable names that hold credentials; image env is readable by anyone who pulls.
var secretWords = []string{"TOKEN", "SECRET", "PASSWORD", "PASSWD", "API_KEY", "PRIVATE_KEY"}

// secretRefSuffixes mark names that point at a secret rather than hold it, like POSTGRES_PASSWORD_FILE.
var secretRefSuffixes = []string{"_FILE", "_PATH", "_DIR"}

func looksSecret(name string) bool {
	up := strings.ToUpper(name)
	for _, suf := range secretRefSuffixes {
		if strings.HasSuffix(up, suf) {
			return false
		}
	}
	for _, w := range secretWords {
		if strings.Contains(up, w) {
			return true
		}
	}
	return false
}

// env checks variable names; image says the variables end up in the image config, where secrets must not.
func (c *checker) env(field string, env map[string]string, image bool) {
	for _, k := range slices.Sorted(maps.Keys(env)) {
		p := field + "." + k
		r, unsafe := unsafeRune(k)
		switch {
		case unsafe:
			c.reportKey(p, unsafeMsg("the name "+quote(k), r), "use letters, digits and _, not starting with a digit, e.g. LOG_LEVEL")
		case !envName.MatchString(k):
			c.reportKey(p, quote(k)+" is not a valid variable name", "use letters, digits and _, not starting with a digit, e.g. LOG_LEVEL")
		case image && looksSecret(k):
			c.reportKey(p, quote(k)+" looks like a secret, and env is stored in the image config for anyone who pulls it to read",
				"inject it when the container runs (docker run -e, a Kubernetes Secret), or pass a build secret if the build needs it")
		case !image && looksSecret(k) && env[k] != "":
			c.reportKey(p, quote(k)+" looks like a secret, and build.env is written in the spec, in every step's cache key and in the build's provenance",
				"pass it as a build secret: build: {secrets: [{id: "+strings.ToLower(k)+", env: "+k+"}]} and docker buildx build --secret id="+strings.ToLower(k)+",env="+k)
		case strings.ContainsRune(env[k], 0):
			c.report(p, "the value contains a NUL byte", "remove it")
		}
	}
}

var portSpec = regexp.MustCompile(`^([0-9]+)(/(tcp|udp))?$`)

func (c *checker) expose() {
	const hint = "write a port from 1 to 65535, optionally with /tcp or /udp, e.g. 8080 or 53/udp"
	for i, e := range c.s.Expose {
		p := fmt.Sprintf("expose[%d]", i)
		m := portSpec.FindStringSubmatch(e)
		if m == nil {
			c.report(p, quote(e)+" is not a port", hint)
			continue
		}
		if n := strings.TrimLeft(m[1], "0"); n == "" || len(n) > 5 || atoi(n) > 65535 {
			c.report(p, "port "+m[1]+" is out of range", hint)
		}
	}
}

// atoi reads a string of at most a few digits, already checked.
func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

func (c *checker) labels() {
	for _, k := range slices.Sorted(maps.Keys(c.s.Labels)) {
		p := "labels." + k
		if strings.TrimSpace(k) == "" {
			// The path of an empty key would read "labels.", so name the map and point at the key.
			pos, ok := c.s.keyPos[p]
			if !ok {
				pos = c.s.where("labels")
			}
			c.add("labels", pos, "empty label key", "write a name, e.g. org.opencontainers.image.description: ...")
			continue
		}
		if r, bad := unsafeRune(k); bad {
			c.reportKey(p, unsafeMsg("the key "+quote(k), r), "write the key in printable characters, e.g. org.opencontainers.image.description")
			continue
		}
		if ReservedLabel(k) {
			c.reportKey(p, quote(k)+" is a label the build sets itself, to record what the image was built from",
				"remove it; name your own labels under your own domain, e.g. com.example.team, or org.opencontainers.image.* (source, revision, description)")
			continue
		}
		if r, bad := unsafeRune(c.s.Labels[k]); bad {
			c.report(p, unsafeMsg("the value", r), "write the value on one line in printable characters")
		}
	}
}

// reservedLabelPrefixes name the labels the build writes about itself: which base it was built on
// (org.opencontainers.image.base.name, .base.digest), the debug variant and the runtime.libs packages.
var reservedLabelPrefixes = []string{"org.opencontainers.image.base.", "io.hardenedbuild.", "io.github.hardenedbuild."}

// ReservedLabel reports whether key is one of the labels the build records about itself, which neither
// the spec nor --label may set: a scanner or an auditor reads them as the build's own word.
func ReservedLabel(key string) bool {
	for _, p := range reservedLabelPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

func (c *checker) healthcheck() {
	h := c.s.Healthcheck
	if h == nil {
		return
	}
	const testHint = `write the command to run, e.g. test: ["/app/server", "-healthcheck"]`
	if len(h.Test) == 0 {
		msg := presence(h.Test != nil, c.s.written("healthcheck.test"))
		c.report("healthcheck.test", msg, testHint)
	} else if t := h.Test[0]; t == "CMD" || t == "CMD-SHELL" || t == "NONE" {
		c.report("healthcheck.test[0]", t+" is added by the build, not written here", "write the command only, e.g. test: [\"/app/server\", \"-healthcheck\"]")
	} else {
		c.execForm("healthcheck.test", h.Test, true, testHint)
	}
	c.duration("healthcheck.interval", h.Interval)
	c.duration("healthcheck.timeout", h.Timeout)
	c.duration("healthcheck.start_period", h.StartPeriod)
	if h.Retries < 0 {
		c.report("healthcheck.retries", fmt.Sprintf("%d is negative", h.Retries), "write retries: 3, or leave it out for the runtime's default")
	}
}

func (c *checker) duration(field, v string) {
	if v == "" {
		return
	}
	hint := fmt.Sprintf("write a Go duration such as %s: 30s or 1m30s", lastName(field))
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		c.report(field, quote(v)+" is not a duration", hint)
	case d <= 0:
		c.report(field, quote(v)+" is not positive", hint)
	case d < time.Millisecond:
		c.report(field, quote(v)+" is under 1ms, the shortest the container runtime accepts", hint)
	}
}

func (c *checker) tags() {
	for i, t := range c.s.Build.Tags {
		p := fmt.Sprintf("build.tags[%d]", i)
		switch {
		case t == "":
			c.report(p, "empty tag", "remove the item or write the tag")
		case strings.ContainsAny(t, ", \t\n\r") || hasControl(t):
			c.report(p, quote(t)+" is several tags or not a tag", "write one tag per item, e.g. tags: [netgo, osusergo]")
		}
	}
}

func (c *checker) steps() {
	const runHint = `write the command as a list, e.g. run: ["go", "generate", "./..."], or a shell script as sh: "make generate"`
	for i, st := range c.s.Build.Steps {
		p := fmt.Sprintf("build.steps[%d].run", i)
		sh := fmt.Sprintf("build.steps[%d].sh", i)
		switch {
		case st.Sh != "" && st.Run != nil:
			c.report(sh, "a step is either run (exec form) or sh (a shell script), not both", "remove run or sh")
		case st.Sh != "":
			if strings.ContainsRune(st.Sh, 0) {
				c.report(sh, "the script contains a NUL byte", "remove it")
			}
		case c.s.written(sh):
			c.report(sh, "empty script", runHint)
		case len(st.Run) == 0:
			msg := presence(st.Run != nil, c.s.written(p))
			c.report(p, msg, runHint)
		default:
			c.execForm(p, st.Run, true, runHint)
		}
	}
}

// buildArgs checks build.args: names as for env, not set twice with build.env, not the proxy
// args the frontend passes itself, and nothing that looks like a secret.
func (c *checker) buildArgs() {
	for _, k := range slices.Sorted(maps.Keys(c.s.Build.Args)) {
		p := "build.args." + k
		switch {
		case !envName.MatchString(k):
			c.reportKey(p, quote(k)+" is not a valid build arg name", "use letters, digits and _, not starting with a digit, e.g. VERSION")
		case proxyArg(k):
			c.reportKey(p, quote(k)+" is a proxy setting the builder gets from --build-arg "+k+" already, without declaring it", "remove it")
		case k == "SOURCE_DATE_EPOCH" || k == "BUILDKIT_CACHE_MOUNT_NS" || strings.HasPrefix(k, "BUILDKIT_"):
			c.reportKey(p, quote(k)+" is read by the frontend itself", "remove it; --build-arg "+k+" works without declaring it")
		case looksSecret(k):
			c.reportKey(p, quote(k)+" looks like a secret, and build args are in every step's cache key and in the build's provenance",
				"pass it as a build secret: build: {secrets: [{id: "+strings.ToLower(k)+", env: "+k+"}]}")
		case c.s.Build.Env[k] != "" || hasKey(c.s.Build.Env, k):
			c.reportKey(p, quote(k)+" is also in build.env", "keep one: build.env for a fixed value, build.args for one the build may override")
		case strings.ContainsRune(c.s.Build.Args[k], 0):
			c.report(p, "the value contains a NUL byte", "remove it")
		}
	}
}

func proxyArg(k string) bool {
	switch strings.ToUpper(k) {
	case "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY":
		return true
	}
	return false
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

// presence words a required list that has no items: written as [], written with no value, or absent.
func presence(isList, written bool) string {
	switch {
	case isList:
		return "empty list"
	case written:
		return "empty"
	}
	return "missing"
}

// debPackage is a Debian package name as policy 5.6.1 defines it: lower-case letters, digits, +, -
// and ., at least two long, starting with a letter or digit (so never an option to apt).
var debPackage = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)

// packages checks a list of Debian package names; the build passes them to apt as arguments, never
// through a shell, and this keeps them plain names.
func (c *checker) packages(field string, names []string, example string) {
	first := map[string]int{}
	for i, n := range names {
		p := fmt.Sprintf("%s[%d]", field, i)
		switch name, _, pinned := strings.Cut(n, "="); {
		case strings.TrimSpace(n) == "":
			c.report(p, "empty package name", "remove the item or write the package name, e.g. "+example)
		case pinned && debPackage.MatchString(name):
			c.report(p, quote(n)+" pins a version", "write the package name alone: "+name+" (the build records the version it resolves)")
		case strings.ContainsAny(n, ", \t"):
			c.report(p, quote(n)+" is several packages or not a package", fmt.Sprintf("write one package per item, e.g. %s: %s", lastName(field), flowList(strings.FieldsFunc(n, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }))))
		case debPackage.MatchString(strings.ToLower(n)) && !debPackage.MatchString(n):
			c.report(p, quote(n)+" has upper-case letters, and Debian package names are lower case", "write "+strings.ToLower(n))
		case !debPackage.MatchString(n):
			c.report(p, quote(n)+" is not a Debian package name", "write a name of lower-case letters, digits, +, - and ., at least two long, e.g. "+example)
		default:
			if j, dup := first[n]; dup {
				c.report(p, fmt.Sprintf("%s is listed twice (also %s[%d])", quote(n), field, j), "remove one of them")
				continue
			}
			first[n] = i
		}
	}
}

package llb

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hardenedbuild/hardened/lifecycle"
	"github.com/hardenedbuild/hardened/spec"
)

// DebianGen is what one Debian release means for the conversion: the tags of the official builder
// images built on it, and the language runtimes distroless ships for it.
type DebianGen struct {
	// Version is distroless's -debianN suffix and the spec's debian value: "13".
	Version string
	// Codename is the official images' tag suffix: "trixie".
	Codename string
	// NodeShips and JavaShips are the majors distroless publishes as nodejs<N>-debianN and java<N>-debianN.
	NodeShips, JavaShips []string
	// Current says the supported majors are nodeShips and javaShips that the lifecycle table still
	// supports; a release kept only on request builds what it always did.
	Current bool
	// Python is the CPython of distroless python3-debianN.
	Python string
	// PythonInterpreter is that CPython's interpreter in distroless (python3 is a link to it).
	PythonInterpreter string
	// RustFrom is the minor of the first rust:1.N-<codename> tag the official image publishes.
	RustFrom int
	// GoFrom is the minor of the first golang:1.N-<codename> tag (docker-library/golang's 1.N/<codename>).
	GoFrom int
	// JavaJDK, Maven and Gradle are the tag suffixes of the Java builders, which are Ubuntu-based.
	JavaJDK, Maven, Gradle string
	// BaseLibs are the packages distroless base (and cc, built on it) carries besides libc6, as
	// distroless's base/config.bzl lists them for the release.
	BaseLibs []string
}

// DebianGens are the releases a spec may name; spec.DefaultDebian is the default.
var DebianGens = map[string]DebianGen{
	"13": {
		Version: "13", Codename: "trixie",
		NodeShips: []string{"22", "24", "26"}, JavaShips: []string{"17", "21", "25"}, Current: true,
		Python: "3.13", PythonInterpreter: "/usr/bin/python3.13",
		RustFrom: 72, GoFrom: 23,
		JavaJDK: "-jdk-noble", Maven: "-noble", Gradle: "-noble",
		BaseLibs: []string{"libssl3t64", "libzstd1", "zlib1g"},
	},
	"12": {
		Version: "12", Codename: "bookworm",
		NodeShips: []string{"20", "22", "24"}, JavaShips: []string{"17", "21"},
		Python: "3.11", PythonInterpreter: "/usr/bin/python3.11",
		RustFrom: 67, GoFrom: 19,
		JavaJDK: "-jdk-jammy", Maven: "", Gradle: "-jammy",
		BaseLibs: []string{"libssl3"},
	},
}

// DebianOf is the release the spec builds on; an unknown value (which Validate reports) is the default.
func DebianOf(s *spec.Spec) DebianGen {
	if g, ok := DebianGens[s.DebianRelease()]; ok {
		return g
	}
	return DebianGens[spec.DefaultDebian]
}

// NodeMajors are the Node.js majors the release supports, oldest first.
func (g DebianGen) NodeMajors() []string { return g.supported(lifecycle.NodeJS, g.NodeShips) }

// JavaReleases are the Java releases the release supports, oldest first.
func (g DebianGen) JavaReleases() []string { return g.supported(lifecycle.Java, g.JavaShips) }

func (g DebianGen) supported(p lifecycle.Product, ships []string) []string {
	if !g.Current {
		return ships
	}
	var out []string
	for _, v := range ships {
		if c, ok := lifecycle.Lookup(p, v); ok && !c.Ended {
			out = append(out, v)
		}
	}
	return out
}

// Name is how messages Name the release: "Debian 13 (trixie)".
func (g DebianGen) Name() string { return "Debian " + g.Version + " (" + g.Codename + ")" }

// distrolessCycle is the lifecycle row of the distroless images a spec's language runs on.
func distrolessCycle(s *spec.Spec) (lifecycle.Cycle, bool) {
	p := map[string]lifecycle.Product{
		"node": lifecycle.DistrolessNodeJS, "python": lifecycle.DistrolessPython, "java": lifecycle.DistrolessJava,
	}[s.Language]
	if p == "" {
		p = lifecycle.DistrolessBase
	}
	return lifecycle.Lookup(p, s.DebianRelease())
}

// DebianWarning is the warning for a spec that asks for a Debian release whose distroless images are
// ending or have ended, positioned at its debian field; nil when they are supported.
func DebianWarning(s *spec.Spec, now time.Time) *spec.Error {
	c, ok := distrolessCycle(s)
	if !ok || s.Debian == "" || c.StatusAt(now) == lifecycle.Supported {
		return nil
	}
	def := DebianGens[spec.DefaultDebian]
	return &spec.Error{File: s.File(), Pos: s.Pos("debian"), Field: "debian",
		Msg:  fmt.Sprintf("%q: %s", s.Debian, c.Describe(now)),
		Hint: fmt.Sprintf("remove the debian line (or write debian: %q) to build on %s, the default", def.Version, def.Name())}
}

// CheckOverride refuses a named context that puts an end-of-life distroless image (by its docker-image
// reference) in place of req, unless the spec asked for that release itself with debian.
func CheckOverride(s *spec.Spec, req ImageRequest, ref string, now time.Time) error {
	c, ok := lifecycle.DistrolessImage(ref)
	if !ok || c.StatusAt(now) != lifecycle.EndOfLife || (s.Debian != "" && s.Debian == c.Version) {
		return nil
	}
	def := DebianOf(s)
	pos := s.Pos(req.Field)
	if pos.Line == 0 { // a default the language chose: base is not written for a go spec's static
		pos = s.Pos("language")
	}
	return spec.Errors{{File: s.File(), Pos: pos, Field: req.Field,
		Msg: fmt.Sprintf("the build context replacing %s is %s, and %s", req.Ref, ref, c.Describe(now)),
		Hint: fmt.Sprintf("pass a -debian%s image (%s is supported), or write debian: %q in the spec to build on Debian %s anyway",
			def.Version, supportedDistroless(def), c.Version, c.Version)}}
}

// supportedDistroless says which distroless images of a release the conversion builds on, for messages.
func supportedDistroless(g DebianGen) string {
	names := []string{"static", "base", "cc"}
	for _, m := range g.NodeMajors() {
		names = append(names, "nodejs"+m)
	}
	for _, v := range g.JavaReleases() {
		names = append(names, "java"+v)
	}
	names = append(names, "python3")
	for i, n := range names {
		names[i] = n + "-debian" + g.Version
	}
	return strings.Join(names, ", ")
}

// UnsupportedVersion is the error for a runtime release the spec's Debian release has no distroless
// image for (or that has ended): runtime is "Node.js" or "Java", field and pos where it was chosen,
// from says how (`"20"` for a spec version), and majorsOf lists a release's supported ones.
func UnsupportedVersion(s *spec.Spec, field string, pos spec.Pos, runtime string, p lifecycle.Product, from, v string,
	majorsOf func(DebianGen) []string) spec.Error {
	g := DebianOf(s)
	supported := majorsOf(g)
	msg := fmt.Sprintf("%s%s %s has no supported distroless image on %s; supported: %s", from, runtime, v, g.Name(), strings.Join(supported, ", "))
	if c, ok := lifecycle.Lookup(p, v); ok && c.StatusAt(time.Now()) == lifecycle.EndOfLife {
		msg += " (" + c.Name() + " reached end of life on " + c.EOL + ")"
	}
	hint := ""
	if len(supported) > 0 {
		hint = fmt.Sprintf("write version: %q (the newest supported)", supported[len(supported)-1])
	}
	for r, other := range DebianGens {
		if r != g.Version && slices.Contains(majorsOf(other), v) && other.Current {
			hint = fmt.Sprintf("remove debian: %q to build on %s, which has %s %s, or %s", s.Debian, other.Name(), runtime, v, hint)
		}
	}
	return spec.Error{File: s.File(), Pos: pos, Field: field, Msg: msg, Hint: hint}
}

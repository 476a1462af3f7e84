package llb

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hardenedbuild/hardened/lifecycle"
	"github.com/hardenedbuild/hardened/spec"
)

// debianGen is what one Debian release means for the conversion: the tags of the official builder
// images built on it, and the language runtimes distroless ships for it.
type debianGen struct {
	// version is distroless's -debianN suffix and the spec's debian value: "13".
	version string
	// codename is the official images' tag suffix: "trixie".
	codename string
	// nodeShips and javaShips are the majors distroless publishes as nodejs<N>-debianN and java<N>-debianN.
	nodeShips, javaShips []string
	// current says the supported majors are nodeShips and javaShips that the lifecycle table still
	// supports; a release kept only on request builds what it always did.
	current bool
	// python is the CPython of distroless python3-debianN.
	python string
	// pythonInterpreter is that CPython's interpreter in distroless (python3 is a link to it).
	pythonInterpreter string
	// rustFrom is the minor of the first rust:1.N-<codename> tag the official image publishes.
	rustFrom int
	// javaJDK, maven and gradle are the tag suffixes of the Java builders, which are Ubuntu-based.
	javaJDK, maven, gradle string
}

// debianGens are the releases a spec may name; spec.DefaultDebian is the default.
var debianGens = map[string]debianGen{
	"13": {
		version: "13", codename: "trixie",
		nodeShips: []string{"22", "24", "26"}, javaShips: []string{"17", "21", "25"}, current: true,
		python: "3.13", pythonInterpreter: "/usr/bin/python3.13",
		rustFrom: 72,
		javaJDK:  "-jdk-noble", maven: "-noble", gradle: "-noble",
	},
	"12": {
		version: "12", codename: "bookworm",
		nodeShips: []string{"20", "22", "24"}, javaShips: []string{"17", "21"},
		python: "3.11", pythonInterpreter: "/usr/bin/python3.11",
		rustFrom: 67,
		javaJDK:  "-jdk-jammy", maven: "", gradle: "-jammy",
	},
}

// debianOf is the release the spec builds on; an unknown value (which Validate reports) is the default.
func debianOf(s *spec.Spec) debianGen {
	if g, ok := debianGens[s.DebianRelease()]; ok {
		return g
	}
	return debianGens[spec.DefaultDebian]
}

// nodeMajors are the Node.js majors the release supports, oldest first.
func (g debianGen) nodeMajors() []string { return g.supported(lifecycle.NodeJS, g.nodeShips) }

// javaReleases are the Java releases the release supports, oldest first.
func (g debianGen) javaReleases() []string { return g.supported(lifecycle.Java, g.javaShips) }

func (g debianGen) supported(p lifecycle.Product, ships []string) []string {
	if !g.current {
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

// name is how messages name the release: "Debian 13 (trixie)".
func (g debianGen) name() string { return "Debian " + g.version + " (" + g.codename + ")" }

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
	def := debianGens[spec.DefaultDebian]
	return &spec.Error{File: s.File(), Pos: s.Pos("debian"), Field: "debian",
		Msg:  fmt.Sprintf("%q: %s", s.Debian, c.Describe(now)),
		Hint: fmt.Sprintf("remove the debian line (or write debian: %q) to build on %s, the default", def.version, def.name())}
}

// CheckOverride refuses a named context that puts an end-of-life distroless image (by its docker-image
// reference) in place of req, unless the spec asked for that release itself with debian.
func CheckOverride(s *spec.Spec, req ImageRequest, ref string, now time.Time) error {
	c, ok := lifecycle.DistrolessImage(ref)
	if !ok || c.StatusAt(now) != lifecycle.EndOfLife || (s.Debian != "" && s.Debian == c.Version) {
		return nil
	}
	def := debianOf(s)
	pos := s.Pos(req.Field)
	if pos.Line == 0 { // a default the language chose: base is not written for a go spec's static
		pos = s.Pos("language")
	}
	return spec.Errors{{File: s.File(), Pos: pos, Field: req.Field,
		Msg: fmt.Sprintf("the build context replacing %s is %s, and %s", req.Ref, ref, c.Describe(now)),
		Hint: fmt.Sprintf("pass a -debian%s image (%s is supported), or write debian: %q in the spec to build on Debian %s anyway",
			def.version, supportedDistroless(def), c.Version, c.Version)}}
}

// supportedDistroless says which distroless images of a release the conversion builds on, for messages.
func supportedDistroless(g debianGen) string {
	names := []string{"static", "base", "cc"}
	for _, m := range g.nodeMajors() {
		names = append(names, "nodejs"+m)
	}
	for _, v := range g.javaReleases() {
		names = append(names, "java"+v)
	}
	names = append(names, "python3")
	for i, n := range names {
		names[i] = n + "-debian" + g.version
	}
	return strings.Join(names, ", ")
}

// unsupportedVersion is the error for a runtime release the spec's Debian release has no distroless
// image for (or that has ended): runtime is "Node.js" or "Java", field and pos where it was chosen,
// from says how (`"20"` for a spec version), and majorsOf lists a release's supported ones.
func unsupportedVersion(s *spec.Spec, field string, pos spec.Pos, runtime string, p lifecycle.Product, from, v string,
	majorsOf func(debianGen) []string) spec.Error {
	g := debianOf(s)
	supported := majorsOf(g)
	msg := fmt.Sprintf("%s%s %s has no supported distroless image on %s; supported: %s", from, runtime, v, g.name(), strings.Join(supported, ", "))
	if c, ok := lifecycle.Lookup(p, v); ok && c.StatusAt(time.Now()) == lifecycle.EndOfLife {
		msg += " (" + c.Name() + " reached end of life on " + c.EOL + ")"
	}
	hint := ""
	if len(supported) > 0 {
		hint = fmt.Sprintf("write version: %q (the newest supported)", supported[len(supported)-1])
	}
	for r, other := range debianGens {
		if r != g.version && slices.Contains(majorsOf(other), v) && other.current {
			hint = fmt.Sprintf("remove debian: %q to build on %s, which has %s %s, or %s", s.Debian, other.name(), runtime, v, hint)
		}
	}
	return spec.Error{File: s.File(), Pos: pos, Field: field, Msg: msg, Hint: hint}
}

package audit

import (
	"debug/buildinfo"
	"fmt"
)

// ProbePath is where the build puts its health probe (healthcheck.http): outside /app, which holds the
// app alone, and in no directory on PATH, so nothing finds it by name. Its directory is new at the root:
// one made inside a directory of the base (/usr/libexec) would restamp that directory with the build's
// clock, and two builds would differ.
const ProbePath = "/hardened/probe"

// ProbeMainPath is the probe's main package, as its Go build info records it.
const ProbeMainPath = "github.com/hardenedbuild/hardened/cmd/hardened-probe"

// ProbeMaxSize bounds the probe: a binary over it is not the small probe the build ships.
const ProbeMaxSize = 2_000_000

// checkProbe holds the file at ProbePath, if any, to what the build puts there: a regular file owned by
// root, writable by nobody else, without setuid/setgid, at most ProbeMaxSize, whose Go build info names
// the probe's main package. The path alone proves nothing (anything can be copied there); the build info
// tells the probe, which only GETs loopback, from a curl that a shell could fetch with. ok is false when
// there is nothing at the path; msg says what the file is.
func checkProbe(f *facts) (msg string, ev []Evidence, ok bool) {
	e, found := f.lookup(ProbePath, false)
	if !found {
		return "", nil, false
	}
	bad := func(format string, args ...any) (string, []Evidence, bool) {
		d := fmt.Sprintf(format, args...)
		return "", []Evidence{f.fileEvidence(ProbePath, "at the health probe's path, but %s", d)}, true
	}
	switch {
	case !e.Mode.IsRegular():
		return bad("not a regular file (mode %s)", lsMode(e.Mode))
	case e.UID != 0 || e.GID != 0:
		return bad("owned by %d:%d, not root", e.UID, e.GID)
	case e.Mode.Perm()&0o022 != 0 || special(e.Mode):
		return bad("mode %s: writable by others, or setuid/setgid", lsMode(e.Mode))
	case e.Size > ProbeMaxSize:
		return bad("%d bytes, over the probe's %d", e.Size, ProbeMaxSize)
	}
	at, err := f.contentAt(e)
	if err != nil {
		f.fail(fmt.Errorf("reading %s: %w", ProbePath, err))
		return "", nil, true
	}
	if at == nil {
		return bad("too large to read")
	}
	bi, err := buildinfo.Read(at)
	if err != nil {
		return bad("not a Go binary with build info (%v)", err)
	}
	if bi.Path != ProbeMainPath {
		return bad("the Go binary of %s, not %s", bi.Path, ProbeMainPath)
	}
	return fmt.Sprintf("%s is the build's health probe (%s, %s; it GETs loopback only)", ProbePath, bi.Path, bi.GoVersion), nil, true
}

// withProbe adds the probe's finding to HX-MIN-NETWORK-TOOLS: named in a pass, a failure when the file at
// its path is something else.
func withProbe(f *facts, o outcome) outcome {
	msg, ev, found := checkProbe(f)
	switch {
	case !found:
		return o
	case len(ev) > 0:
		o.evidence = append(o.evidence, ev...)
		if len(o.evidence) == len(ev) {
			o.message = "the file at the health probe's path is not the build's probe"
		} else {
			o.message += "; the file at the health probe's path is not the build's probe"
		}
		return o
	case msg != "" && len(o.evidence) == 0:
		o.message += "; " + msg
	}
	return o
}

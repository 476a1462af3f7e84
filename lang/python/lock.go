package python

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// lockRequirements is the pip requirements file the build writes in the builder for a uv.lock
// or poetry.lock, so no tool but the builder's pip installs the locked packages.
const lockRequirements = "/hardened/python/requirements.txt"

// lockPlan is what a lock file asks pip to install.
type lockPlan struct {
	file string // uv.lock, poetry.lock or Pipfile.lock
	// reqs is a requirements file: every package pinned with its hashes and its marker.
	reqs []byte
	// findLinks are the lock's local wheelhouses (context paths), noIndex whether every package
	// comes from one of them.
	findLinks []string
	noIndex   bool
	// installRoot: the project itself is installed (without dependencies) after the source copy,
	// from rootDir: "." or, in a uv workspace, the member that is the app.
	installRoot bool
	rootDir     string
}

// lockedPackage is one line of the requirements file.
type lockedPackage struct {
	name, version string
	url           string // a direct URL source, installed as name @ url
	marker        string
	hashes        []string
}

// lockError is a problem of a lock file, at the spec's language line, which chose the install.
type lockError struct{ msg, hint string }

func (e lockError) Error() string { return e.msg + "; " + e.hint }

func lockErr(hint, format string, a ...any) error {
	return lockError{msg: fmt.Sprintf(format, a...), hint: hint}
}

// readLock is the plan of the context's lock file, nil when there is none or requirements.txt
// (which the team exported from it, or keeps instead) is what pip installs.
func readLock(s *spec.Spec, files llb.Files) (*lockPlan, error) {
	if _, ok := files["requirements.txt"]; ok {
		return nil, nil
	}
	var (
		plan *lockPlan
		err  error
	)
	switch {
	case files["uv.lock"] != nil:
		plan, err = uvPlan(files["uv.lock"], files["pyproject.toml"])
	case files["poetry.lock"] != nil:
		plan, err = poetryPlan(files["poetry.lock"], files["pyproject.toml"])
	case files["Pipfile.lock"] != nil:
		plan, err = pipfilePlan(files["Pipfile.lock"])
	default:
		return nil, nil
	}
	if le, ok := err.(lockError); ok {
		return nil, spec.Errors{{File: s.File(), Pos: s.Pos("language"), Field: "language", Msg: le.msg, Hint: le.hint}}
	}
	return plan, err
}

// pypiNames normalises a distribution name as PEP 503 does.
var pypiSeparators = regexp.MustCompile(`[-_.]+`)

func normName(n string) string { return strings.ToLower(pypiSeparators.ReplaceAllString(n, "-")) }

var (
	// safeName and safeVersion are what a distribution's name and version may hold (PEP 508, PEP 440
	// with local versions), safeHash a hash pip checks.
	safeName    = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$`)
	safeVersion = regexp.MustCompile(`^[A-Za-z0-9!+._-]+$`)
	safeHash    = regexp.MustCompile(`^(sha256|sha384|sha512):[0-9a-f]+$`)
	// safeURL is an http(s) URL with no space, quote or backslash.
	safeURL = regexp.MustCompile(`^https?://[^\s"'\\]+$`)
)

// lockTool is the tool that writes each lock file.
var lockTool = map[string]string{"uv.lock": "uv", "poetry.lock": "poetry", "Pipfile.lock": "pipenv"}

// check refuses a value the requirements file would read as something else: a line break that
// starts an option (-r /run/secrets/...), a file: URL, a hash pip does not know.
func (lp lockedPackage) check(file, where string) error {
	bad := func(what, v string) error {
		return lockErr("lock again with "+lockTool[file]+"; the frontend writes nothing it cannot read back as the same requirement",
			"%s: %s %q is not a %s pip can be given", where, lp.name, v, what)
	}
	switch {
	case !safeName.MatchString(lp.name):
		return bad("name", lp.name)
	case lp.url == "" && !safeVersion.MatchString(lp.version):
		return bad("version", lp.version)
	case lp.url != "" && !safeURL.MatchString(lp.url):
		return bad("URL", lp.url)
	case strings.ContainsAny(lp.marker, "\r\n\\#"):
		return bad("marker", lp.marker)
	}
	for _, h := range lp.hashes {
		if !safeHash.MatchString(h) {
			return bad("hash", h)
		}
	}
	return nil
}

// render writes the requirements file: sorted, one package a line, each with every hash the lock
// has for its files (pip checks the file it picks against them) and the marker that reaches it.
func render(from string, pkgs []lockedPackage, p *lockPlan, extraIndexes []string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s, as pinned and hashed there; written by the hardened frontend for pip --require-hashes --no-deps.\n", from)
	for _, f := range p.findLinks {
		fmt.Fprintf(&b, "--find-links %s\n", f)
	}
	if p.noIndex {
		b.WriteString("--no-index\n")
	}
	for _, u := range extraIndexes {
		fmt.Fprintf(&b, "--extra-index-url %s\n", u)
	}
	slices.SortFunc(pkgs, func(a, b lockedPackage) int {
		return strings.Compare(normName(a.name)+" "+a.version, normName(b.name)+" "+b.version)
	})
	for _, pkg := range pkgs {
		line := pkg.name + "==" + pkg.version
		if pkg.url != "" {
			line = pkg.name + " @ " + pkg.url
		}
		if pkg.marker != "" {
			line += " ; " + pkg.marker
		}
		b.WriteString(line)
		for _, h := range pkg.hashes {
			b.WriteString(" \\\n    --hash=" + h)
		}
		b.WriteString("\n")
	}
	return []byte(b.String())
}

// isLocalIndex says a registry of the lock is a directory of the project (a flat index of
// wheels, uv's find-links), not a URL.
func isLocalIndex(registry string) bool { return registry != "" && !strings.Contains(registry, "://") }

// pypiIndex is PyPI's simple index, pip's default; other remote indexes of a lock are given to pip
// as extra indexes (the hashes decide which file is accepted, wherever it comes from).
func isPyPI(u string) bool {
	u = strings.TrimSuffix(u, "/")
	return u == "https://pypi.org/simple" || u == "https://pypi.python.org/simple"
}

// indexOptions sorts a lock's registries into local wheelhouses and extra indexes. An index URL
// with credentials in it is refused: it would be written into the builder's files.
func indexOptions(p *lockPlan, registries []string) ([]string, error) {
	var extra []string
	local := 0
	for _, r := range registries {
		switch {
		case isLocalIndex(r) && (llb.LeavesContext(r) || strings.ContainsAny(r, " \t\r\n#\\")):
			return nil, lockErr("put the wheelhouse in the build context and lock from there", "%s names the wheelhouse %q, outside the build context", p.file, r)
		case isLocalIndex(r):
			local++
			if !slices.Contains(p.findLinks, r) {
				p.findLinks = append(p.findLinks, r)
			}
		case strings.Contains(r, "@"):
			return nil, lockErr("keep the credentials out of the lock and give them as a build secret (docs/languages.md, python)",
				"%s names an index with credentials in its URL", p.file)
		case !safeURL.MatchString(r):
			return nil, lockErr("lock from an http(s) index", "%s names the index %q, which is not an http(s) URL", p.file, r)
		case !isPyPI(r) && !slices.Contains(extra, r):
			extra = append(extra, r)
		}
	}
	p.noIndex = len(registries) > 0 && local == len(registries)
	slices.Sort(p.findLinks)
	slices.Sort(extra)
	return extra, nil
}

// edge is a dependency: the node it reaches and the marker on the way (empty: always).
type edge struct{ to, marker string }

// maxAlternatives bounds the markers one package is reached by; beyond it the lock is refused
// rather than a marker written that pip might read otherwise than the locker meant.
const maxAlternatives = 16

// reach walks a lock's dependency graph from the project's dependencies and says, for each node,
// the markers under which it is installed: a list of alternatives, each a sorted conjunction of
// the edges' markers on one path; [""] is always.
func reach(roots []edge, next func(node string) ([]edge, error)) (map[string][]string, error) {
	type item struct{ node, cond string }
	got := map[string][]string{}
	var work []item
	add := func(node, cond string) error {
		alts := got[node]
		if slices.Contains(alts, "") || slices.Contains(alts, cond) {
			return nil
		}
		if cond == "" {
			alts = nil
		}
		got[node] = append(alts, cond)
		if len(got[node]) > maxAlternatives {
			return lockErr("export requirements.txt from the lock and add it to the context",
				"%s is reached by more than %d different markers", node, maxAlternatives)
		}
		work = append(work, item{node, cond})
		return nil
	}
	for _, r := range roots {
		if err := add(r.to, and("", r.marker)); err != nil {
			return nil, err
		}
	}
	for len(work) > 0 {
		it := work[len(work)-1]
		work = work[:len(work)-1]
		edges, err := next(it.node)
		if err != nil {
			return nil, err
		}
		for _, e := range edges {
			if err := add(e.to, and(it.cond, e.marker)); err != nil {
				return nil, err
			}
		}
	}
	return got, nil
}

// condSep joins the markers of a path's condition; no marker holds it.
const condSep = "\x00"

// and is the conjunction of a path's condition and one more marker, its parts sorted so the
// same set of markers is always the same string.
func and(cond, marker string) string {
	marker = strings.TrimSpace(marker)
	if marker == "" {
		return cond
	}
	parts := []string{marker}
	if cond != "" {
		parts = append(strings.Split(cond, condSep), parts...)
	}
	slices.Sort(parts)
	return strings.Join(slices.Compact(parts), condSep)
}

// conjunction writes a condition as a marker.
func conjunction(cond string) string {
	parts := strings.Split(cond, condSep)
	if len(parts) == 1 {
		return parts[0]
	}
	return "(" + strings.Join(parts, ") and (") + ")"
}

// markerOf is the marker of a node reached by alts: none when always, else their disjunction.
func markerOf(alts []string) string {
	if len(alts) == 0 || slices.Contains(alts, "") {
		return ""
	}
	var out []string
	for _, a := range alts {
		out = append(out, conjunction(a))
	}
	if len(out) == 1 {
		return out[0]
	}
	slices.Sort(out)
	return "(" + strings.Join(out, ") or (") + ")"
}

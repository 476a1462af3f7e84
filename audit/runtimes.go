package audit

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/hardenedbuild/hardened/lifecycle"
)

// release is one release of the lifecycle table the image holds, and where it was seen.
type release struct {
	cycle lifecycle.Cycle
	// what says what was read ("Node.js 22.23.2 (node.js/v22.23.2 in the binary)").
	what string
	// path or field is where.
	path, field string
}

func (r release) key() string { return string(r.cycle.Product) + " " + r.cycle.Version }

// releases lists what the image runs on, each release once: the OS generation, the base the
// labels name, and the Node.js, Python and Java runtimes in its files.
func (f *facts) releases() []release {
	var out []release
	seen := map[string]bool{}
	add := func(rs ...release) {
		for _, r := range rs {
			if !seen[r.key()] {
				seen[r.key()] = true
				out = append(out, r)
			}
		}
	}
	if r, ok := f.osGeneration(); ok {
		add(r)
	}
	if r, ok := f.baseLabelRelease(); ok {
		add(r)
	}
	add(f.nodeReleases()...)
	add(f.pythonReleases()...)
	add(f.javaReleases()...)
	return out
}

// osGeneration is the Debian release of /etc/os-release; on distroless (PRETTY_NAME="Distroless")
// the distroless product, which ends sooner than Debian LTS.
func (f *facts) osGeneration() (release, bool) {
	rel, ok := f.osRelease()
	if !ok || rel.id != "debian" || rel.versionID == "" {
		return release{}, false
	}
	what := fmt.Sprintf("ID=%s, VERSION_ID=%q", rel.id, rel.versionID)
	p := lifecycle.Debian
	if rel.pretty == "Distroless" {
		var carries string
		p, carries = f.distrolessFlavor(rel.versionID)
		what = fmt.Sprintf("PRETTY_NAME=%q, VERSION_ID=%q%s", rel.pretty, rel.versionID, carries)
	}
	c, ok := lifecycle.Lookup(p, rel.versionID)
	if !ok {
		return release{}, false
	}
	return release{cycle: c, what: what, path: rel.file}, true
}

// distrolessFlavor tells a distroless language image from a base one by what it carries where
// distroless puts it, else by the base label; carries says which.
func (f *facts) distrolessFlavor(version string) (lifecycle.Product, string) {
	if f.exists("/nodejs/bin/node") {
		return lifecycle.DistrolessNodeJS, " with /nodejs/bin/node"
	}
	for _, e := range f.pythonInterpreters() {
		if path.Dir(e.Path) == "/usr/bin" {
			return lifecycle.DistrolessPython, " with " + e.Path
		}
	}
	for _, e := range f.below("/usr/lib/jvm") {
		if path.Dir(e.Path) == "/usr/lib/jvm" && (e.Mode.IsDir() || e.Mode&fs.ModeSymlink != 0) {
			return lifecycle.DistrolessJava, " with " + e.Path
		}
	}
	if c, ok := lifecycle.DistrolessImage(f.cfg.Config.Labels[LabelBaseName]); ok && c.Version == version {
		return c.Product, " on " + f.cfg.Config.Labels[LabelBaseName]
	}
	return lifecycle.DistrolessBase, ""
}

// baseLabelRelease is the distroless release the base.name label names.
func (f *facts) baseLabelRelease() (release, bool) {
	name := f.cfg.Config.Labels[LabelBaseName]
	c, ok := lifecycle.DistrolessImage(name)
	if !ok {
		return release{}, false
	}
	return release{cycle: c, what: name, field: "config.Labels." + LabelBaseName}, true
}

// runtimeRelease is the row of a version read from a file; false when the table has none.
func runtimeRelease(p lifecycle.Product, version, what, where string) (release, bool) {
	c, ok := lifecycle.Lookup(p, lifecycle.ReleaseOf(p, version))
	if !ok {
		return release{}, false
	}
	return release{cycle: c, what: what, path: where}, true
}

// debianPackaged says a dpkg version has a Debian revision (3.11.2-6+deb12u6): Debian backports
// the package's security fixes for as long as its release is supported, so it follows the OS
// generation, not the upstream date. Distroless records its Node.js as nodejs 22.15.0, no revision.
func debianPackaged(version string) bool {
	if _, rest, ok := strings.Cut(version, ":"); ok {
		version = rest
	}
	return strings.Contains(version, "-")
}

// dpkgRuntime reads the versions of the dpkg packages whose names match re and that Debian does
// not maintain: its first group is the version when the name carries one (python3.13-minimal),
// else the package's Version.
func (f *facts) dpkgRuntime(p lifecycle.Product, name string, re *regexp.Regexp) []release {
	var out []release
	pk := f.packages()
	for _, n := range pk.names {
		m := re.FindStringSubmatch(n)
		if m == nil || debianPackaged(pk.versions[n]) {
			continue
		}
		v := pk.versions[n]
		if len(m) > 1 && m[1] != "" {
			v = m[1]
		}
		where := dpkgStatus
		if f.exists(dpkgStatusD + "/" + n) {
			where = dpkgStatusD + "/" + n
		}
		what := fmt.Sprintf("%s %s (dpkg package %s %s)", name, v, n, pk.versions[n])
		if r, ok := runtimeRelease(p, v, what, where); ok {
			out = append(out, r)
		}
	}
	return out
}

var (
	nodePackage = regexp.MustCompile(`^nodejs$`)
	// nodeVersion is how scanners find a node binary's version: node.js/vX.Y.Z (node/vX.Y.Z in
	// some builds), else process.version, a NUL-terminated vX.Y.Z.
	nodeVersion        = regexp.MustCompile(`node(?:\.js)?/v([0-9]+\.[0-9]+\.[0-9]+)`)
	nodeProcessVersion = regexp.MustCompile(`\x00(?:node )?v([0-9]+\.[0-9]+\.[0-9]+)\x00`)
	nodeHeaderDefine   = regexp.MustCompile(`(?m)^#define NODE_(MAJOR|MINOR|PATCH)_VERSION ([0-9]+)`)
)

// nodeReleases reads a nodejs package Debian does not maintain, then each node binary the package
// database does not own: its install's include/node/node_version.h, else the version string in the binary.
func (f *facts) nodeReleases() []release {
	out := f.dpkgRuntime(lifecycle.NodeJS, "Node.js", nodePackage)
	pk := f.packages()
	for _, bin := range f.nodeBinaries() {
		if pk.owns(bin.Path) {
			continue
		}
		v, how := f.nodeHeaderVersion(bin.Path)
		if v == "" {
			v, how = f.searchBinary(bin, nodeVersion, nodeProcessVersion)
		}
		if r, ok := runtimeRelease(lifecycle.NodeJS, v, fmt.Sprintf("Node.js %s (%s)", v, how), bin.Path); v != "" && ok {
			out = append(out, r)
		}
	}
	return out
}

// nodeHeaderVersion reads node_version.h of the install a node binary belongs to.
func (f *facts) nodeHeaderVersion(bin string) (version, how string) {
	h := path.Join(path.Dir(path.Dir(bin)), "include/node/node_version.h")
	d, ok := f.read(h)
	if !ok {
		return "", ""
	}
	parts := map[string]string{}
	for _, m := range nodeHeaderDefine.FindAllStringSubmatch(string(d), -1) {
		if parts[m[1]] == "" {
			parts[m[1]] = m[2]
		}
	}
	if parts["MAJOR"] == "" || parts["MINOR"] == "" || parts["PATCH"] == "" {
		return "", ""
	}
	return parts["MAJOR"] + "." + parts["MINOR"] + "." + parts["PATCH"], h
}

// nodeBinaries are the executables named node or nodejs anywhere, as scanners look for them
// (an app may ship its own node beside it), links resolved inside the image, each file once.
func (f *facts) nodeBinaries() []Entry {
	var out []Entry
	seen := map[string]bool{}
	for _, e := range f.files {
		if name := path.Base(e.Path); name != "node" && name != "nodejs" {
			continue
		}
		real, ok := f.lookup(e.Path, true)
		if !ok || !executable(real) || seen[real.Path] {
			continue
		}
		seen[real.Path] = true
		out = append(out, real)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// runtimeBinaries are the executables of bin directories with one of names, links resolved
// inside the image, each file once.
func (f *facts) runtimeBinaries(names ...string) []Entry {
	var out []Entry
	seen := map[string]bool{}
	for _, e := range f.findTools(names) {
		real, ok := f.lookup(e.Path, true)
		if !ok || !executable(real) || seen[real.Path] {
			continue
		}
		seen[real.Path] = true
		out = append(out, real)
	}
	return out
}

var (
	pythonInterpreter = regexp.MustCompile(`^python([0-9]+\.[0-9]+)$`)
	pythonPackage     = regexp.MustCompile(`^(?:lib)?python([0-9]+\.[0-9]+)(?:-minimal|-stdlib)?$`)
	pythonLibDirs     = []string{"/usr/lib", "/usr/local/lib", "/opt/python/lib"}
)

// pythonInterpreters are the executables named pythonX.Y in bin directories, sorted by path.
func (f *facts) pythonInterpreters() []Entry {
	var out []Entry
	for name, es := range f.executables() {
		if pythonInterpreter.MatchString(name) {
			out = append(out, es...)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// pythonReleases reads the interpreters' names (python3.13), the dpkg packages
// (python3.13-minimal) and the standard library directories (lib/python3.13 with its os.py).
func (f *facts) pythonReleases() []release {
	out := f.dpkgRuntime(lifecycle.Python, "Python", pythonPackage)
	pk := f.packages()
	for _, e := range f.pythonInterpreters() {
		if pk.owns(e.Path) {
			continue
		}
		v := pythonInterpreter.FindStringSubmatch(path.Base(e.Path))[1]
		if r, ok := runtimeRelease(lifecycle.Python, v, "Python "+v+" (the interpreter's name)", e.Path); ok {
			out = append(out, r)
		}
	}
	for _, lib := range pythonLibDirs {
		for _, e := range f.below(lib) {
			name := path.Base(e.Path)
			m := pythonInterpreter.FindStringSubmatch(name)
			if m == nil || path.Dir(e.Path) != lib || !e.Mode.IsDir() || pk.owns(e.Path) || !f.exists(e.Path+"/os.py") {
				continue
			}
			if r, ok := runtimeRelease(lifecycle.Python, m[1], "Python "+m[1]+" (its standard library)", e.Path); ok {
				out = append(out, r)
			}
		}
	}
	return out
}

var (
	javaPackage     = regexp.MustCompile(`^(?:openjdk|temurin)-([0-9]+)-(?:jre|jdk)(?:-headless)?$`)
	javaReleaseLine = regexp.MustCompile(`(?m)^JAVA_VERSION="?([0-9][0-9._+]*)"?`)
	javaHomes       = []string{"/opt/java/openjdk"}
)

// javaReleases reads the release file of every JDK or JRE home (JAVA_HOME, /usr/lib/jvm/*,
// /opt/java/openjdk, and the home of each java binary) and the dpkg packages openjdk-N-jre*.
func (f *facts) javaReleases() []release {
	out := f.dpkgRuntime(lifecycle.Java, "Java", javaPackage)
	homes := append([]string(nil), javaHomes...)
	if h := f.env()["JAVA_HOME"]; strings.HasPrefix(h, "/") {
		homes = append(homes, path.Clean(h))
	}
	for _, e := range f.below("/usr/lib/jvm") {
		if path.Dir(e.Path) == "/usr/lib/jvm" {
			homes = append(homes, e.Path)
		}
	}
	for _, bin := range f.runtimeBinaries("java") {
		home := path.Dir(path.Dir(bin.Path))
		homes = append(homes, home, path.Dir(home)) // a JDK 8 keeps its JRE in jre/
	}
	seen := map[string]bool{}
	for _, home := range homes {
		rf, ok := f.lookup(home+"/release", true)
		if !ok || seen[rf.Path] || f.packages().owns(rf.Path) {
			continue
		}
		seen[rf.Path] = true
		d, ok := f.read(rf.Path)
		m := javaReleaseLine.FindSubmatch(d)
		if !ok || m == nil {
			continue
		}
		v := string(m[1])
		if r, ok := runtimeRelease(lifecycle.Java, v, fmt.Sprintf("Java %s (JAVA_VERSION in its release file)", v), rf.Path); ok {
			out = append(out, r)
		}
	}
	return out
}

// processVersionStarts are how every match of nodeProcessVersion begins.
var processVersionStarts = [][]byte{[]byte("\x00v"), []byte("\x00node v")}

// findFromNUL finds the leftmost match of nodeProcessVersion, trying it only where one of its
// starts occurs: over megabytes of NULs (a binary's padding, a zero-filled file) the regexp
// would begin at every one of them.
func findFromNUL(re *regexp.Regexp, d []byte) [][]byte {
	var best [][]byte
	bestAt := len(d)
	for _, start := range processVersionStarts {
		for i := 0; i < bestAt; i++ {
			j := bytes.Index(d[i:min(len(d), bestAt+len(start)-1)], start)
			if j < 0 {
				break
			}
			i += j
			if m := re.FindSubmatchIndex(d[i:min(len(d), i+64)]); m != nil && m[0] == 0 {
				best, bestAt = make([][]byte, len(m)/2), i
				for k := range best {
					if m[2*k] >= 0 {
						best[k] = d[i+m[2*k] : i+m[2*k+1]]
					}
				}
				break
			}
		}
	}
	return best
}

// searchBinary finds the first group of want in a file, else of fallback, reading it a chunk at
// a time (scanContent). how says what matched.
func (f *facts) searchBinary(e Entry, want, fallback *regexp.Regexp) (version, how string) {
	var second []byte
	f.scanContent(e, func(d []byte) bool {
		if m := want.FindSubmatch(d); m != nil {
			version, how = string(m[1]), fmt.Sprintf("%s in the binary", bytes.Trim(m[0], "\x00"))
			return true
		}
		if second == nil {
			if m := findFromNUL(fallback, d); m != nil {
				second = append([]byte(nil), m[1]...)
			}
		}
		return false
	})
	if version == "" && second != nil {
		return string(second), fmt.Sprintf("process.version v%s in the binary", second)
	}
	return version, how
}

package audit

import (
	"path"
	"sort"
	"strings"
)

// Package databases the report reads.
const (
	dpkgStatus  = "/var/lib/dpkg/status"
	dpkgStatusD = "/var/lib/dpkg/status.d"
)

var (
	apkDBs = []string{"/lib/apk/db/installed", "/usr/lib/apk/db/installed"}
	rpmDBs = []string{"/var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/Packages", "/var/lib/rpm/Packages.db", "/usr/lib/sysimage/rpm/rpmdb.sqlite"}
)

// packageDB is what the image's package database says is installed.
type packageDB struct {
	// manager is dpkg, apk, rpm, or empty when the image has no database.
	manager string
	names   []string
	// versions maps a dpkg package name to its Version.
	versions map[string]string
	// countable is false for databases the report cannot read (rpm).
	countable bool
	// sources are the database files read; problems the stanzas that could not be read.
	sources  []string
	problems []Evidence
	// noMD5 lists status.d packages without their .md5sums.
	noMD5 []string
	// owned holds every file the database's file lists (.list, .md5sums) name; nil without any.
	owned map[string]bool
	// seen holds the names added, so a package listed twice counts once.
	seen map[string]bool
}

// owns says whether a package database file list names p, or a file in p.
func (p *packageDB) owns(path string) bool { return p.owned[path] }

func (p *packageDB) count() int {
	if !p.countable {
		if p.manager == "" {
			return 0
		}
		return -1
	}
	return len(p.names)
}

func (p *packageDB) has(name string) bool {
	i := sort.SearchStrings(p.names, name)
	return i < len(p.names) && p.names[i] == name
}

// covers guesses, without file lists, whether a /usr/share/doc directory belongs to a listed
// package: its own name, with the architecture, or a package whose name it extends (a source
// package's documentation of what it bundles, node-acorn-walk in node-acorn).
func (p *packageDB) covers(doc, arch string) bool {
	if p.has(doc) || p.has(doc+":"+arch) {
		return true
	}
	for _, n := range p.names {
		if strings.HasPrefix(doc, n+"-") {
			return true
		}
	}
	return false
}

func (f *facts) packages() *packageDB {
	if f.pkgs != nil {
		return f.pkgs
	}
	p := &packageDB{versions: map[string]string{}, seen: map[string]bool{}}
	f.pkgs = p
	f.readDpkgStatus(p)
	f.readStatusD(p)
	if p.manager == "dpkg" {
		f.readFileLists(p)
	}
	if p.manager == "" {
		f.readOtherDB(p)
	}
	sort.Strings(p.names)
	return p
}

// add records an installed package once, with its version when the database gives one.
func (p *packageDB) add(name, version string) {
	if name != "" && !p.seen[name] {
		p.seen[name] = true
		p.names = append(p.names, name)
		if version != "" {
			p.versions[name] = version
		}
	}
}

// readDpkgStatus reads dpkg's single status file, as a Debian image has it.
func (f *facts) readDpkgStatus(p *packageDB) {
	d, ok := f.read(dpkgStatus)
	if !ok {
		return
	}
	p.manager, p.countable = "dpkg", true
	p.sources = append(p.sources, dpkgStatus)
	for _, st := range parseControl(d) {
		if strings.Contains(st.fields["Status"], "not-installed") || strings.Contains(st.fields["Status"], "deinstall") || strings.Contains(st.fields["Status"], "purge") {
			continue
		}
		p.add(st.fields["Package"], st.fields["Version"])
	}
}

// readStatusD reads status.d, one file per package, as distroless has it.
func (f *facts) readStatusD(p *packageDB) {
	dir, ok := f.lookup(dpkgStatusD, true)
	if !ok || !dir.Mode.IsDir() {
		return
	}
	p.manager, p.countable = "dpkg", true
	p.sources = append(p.sources, dpkgStatusD)
	md5 := map[string]bool{}
	var pkgs []string
	for _, e := range f.below(dir.Path) {
		if !e.Mode.IsRegular() || path.Dir(e.Path) != dir.Path {
			continue
		}
		name := path.Base(e.Path)
		if base, ok := strings.CutSuffix(name, ".md5sums"); ok {
			md5[base] = true
			continue
		}
		f.readStatusFile(p, e.Path)
		pkgs = append(pkgs, name)
	}
	for _, n := range pkgs {
		if !md5[n] {
			p.noMD5 = append(p.noMD5, n)
		}
	}
}

// readStatusFile reads one status.d file's stanzas, recording what it cannot read.
func (f *facts) readStatusFile(p *packageDB, file string) {
	d, _ := f.read(file)
	stanzas := parseControl(d)
	if len(stanzas) == 0 {
		p.problems = append(p.problems, f.fileEvidence(file, "no package stanza"))
		return
	}
	for _, st := range stanzas {
		if st.fields["Package"] == "" || st.fields["Version"] == "" {
			p.problems = append(p.problems, f.fileEvidence(file, "line %d: a stanza without Package or Version", st.line))
			continue
		}
		p.add(st.fields["Package"], st.fields["Version"])
	}
}

// readOtherDB finds an apk database (names read) or an rpm one (present, not read).
func (f *facts) readOtherDB(p *packageDB) {
	for _, db := range apkDBs {
		if d, ok := f.read(db); ok {
			p.manager, p.countable = "apk", true
			p.sources = append(p.sources, db)
			for _, line := range strings.Split(string(d), "\n") {
				if name, ok := strings.CutPrefix(line, "P:"); ok {
					p.add(strings.TrimSpace(name), "")
				}
			}
			return
		}
	}
	for _, db := range rpmDBs {
		if _, ok := f.lookup(db, true); ok {
			p.manager = "rpm"
			p.sources = append(p.sources, db)
			return
		}
	}
}

// readFileLists reads which files dpkg's packages own: info/*.list (absolute paths) and the
// .md5sums of info/ and status.d/ (checksum, two spaces, path relative to /).
func (f *facts) readFileLists(p *packageDB) {
	for _, dir := range []string{"/var/lib/dpkg/info", dpkgStatusD} {
		d, ok := f.lookup(dir, true)
		if !ok || !d.Mode.IsDir() {
			continue
		}
		for _, e := range f.below(d.Path) {
			name := path.Base(e.Path)
			isList, isSums := strings.HasSuffix(name, ".list"), strings.HasSuffix(name, ".md5sums")
			if !e.Mode.IsRegular() || path.Dir(e.Path) != d.Path || !(isList || isSums) {
				continue
			}
			data, _ := f.read(e.Path)
			if p.owned == nil {
				p.owned = map[string]bool{}
			}
			for _, line := range strings.Split(string(data), "\n") {
				if isSums {
					_, line, _ = strings.Cut(line, "  ")
				}
				if line = strings.TrimSpace(line); line != "" {
					// A file owns its directories too: md5sums leave out links and directories.
					for q := path.Clean("/" + line); q != "/" && !p.owned[q]; q = path.Dir(q) {
						p.owned[q] = true
					}
				}
			}
		}
	}
}

// controlStanza is one paragraph of a Debian control file.
type controlStanza struct {
	fields map[string]string
	line   int
}

// parseControl reads Debian control paragraphs (dpkg status, status.d files); continuation
// lines are dropped, which is enough for the fields the checks read.
func parseControl(d []byte) []controlStanza {
	var out []controlStanza
	var cur *controlStanza
	for i, line := range strings.Split(string(d), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			cur = nil
			continue
		}
		if line[0] == ' ' || line[0] == '\t' || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		if cur == nil {
			out = append(out, controlStanza{fields: map[string]string{}, line: i + 1})
			cur = &out[len(out)-1]
		}
		cur.fields[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out
}

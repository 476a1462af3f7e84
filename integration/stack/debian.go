package stack

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// The Debian releases stand-ins are made from: trixie for all but the one kept to show the end-of-life path.
const (
	trixie   = "trixie"
	bookworm = "bookworm"
)

// aptListsMaxAge is how long downloaded package lists are trusted before apt-get update runs again.
const aptListsMaxAge = 24 * time.Hour

// debianMirrors are the archive URLs apt already uses on this machine: the main archive and the security archive.
type debianMirrors struct {
	archive  string
	security string
}

// hostDebianMirrors reads the Debian archive URLs for a suite from the host's apt sources (one-line and deb822
// formats). A host on another release serves this one from the same mirror; deb.debian.org is the last resort.
func hostDebianMirrors(suite string) debianMirrors {
	m, other := debianMirrors{}, debianMirrors{}
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*")
	for _, f := range append([]string{"/etc/apt/sources.list"}, files...) {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var entries []aptSource
		switch {
		case strings.HasSuffix(f, ".sources"):
			entries = parseDeb822Sources(data)
		case strings.HasSuffix(f, ".list"):
			entries = parseOneLineSources(data)
		}
		for _, e := range entries {
			for _, s := range e.suites {
				switch {
				case s == suite && m.archive == "":
					m.archive = e.uri
				case s == suite+"-security" && m.security == "":
					m.security = e.uri
				case strings.HasSuffix(s, "-security") && other.security == "":
					other.security = e.uri
				case isDebianSuite(s) && other.archive == "":
					other.archive = e.uri
				}
			}
		}
	}
	if m.archive == "" {
		m.archive = cmp.Or(other.archive, "http://deb.debian.org/debian")
	}
	if m.security == "" {
		m.security = cmp.Or(other.security, "http://deb.debian.org/debian-security")
	}
	return m
}

// isDebianSuite says whether an apt suite names a Debian release (not a vendor's "nodistro" or "cloud-sdk-...").
func isDebianSuite(s string) bool {
	switch strings.TrimSuffix(s, "-updates") {
	case "bullseye", bookworm, trixie, "forky", "sid":
		return true
	}
	return false
}

type aptSource struct {
	uri    string
	suites []string
}

func parseOneLineSources(data []byte) []aptSource {
	var out []aptSource
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "deb" {
			continue
		}
		f = f[1:]
		if strings.HasPrefix(f[0], "[") {
			for len(f) > 0 && !strings.HasSuffix(f[0], "]") {
				f = f[1:]
			}
			if len(f) > 0 {
				f = f[1:]
			}
		}
		if len(f) < 2 {
			continue
		}
		out = append(out, aptSource{uri: strings.TrimSuffix(f[0], "/"), suites: []string{f[1]}})
	}
	return out
}

func parseDeb822Sources(data []byte) []aptSource {
	var out []aptSource
	for _, stanza := range strings.Split(string(data), "\n\n") {
		fields := parseControl(stanza)
		if !strings.Contains(" "+fields["Types"]+" ", " deb ") || strings.EqualFold(fields["Enabled"], "no") {
			continue
		}
		for _, uri := range strings.Fields(fields["URIs"]) {
			out = append(out, aptSource{uri: strings.TrimSuffix(uri, "/"), suites: strings.Fields(fields["Suites"])})
		}
	}
	return out
}

// parseControl reads one stanza of Debian control syntax (continuation lines are joined with newlines).
func parseControl(stanza string) map[string]string {
	fields := map[string]string{}
	last := ""
	for _, line := range strings.Split(stanza, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) && last != "" {
			fields[last] += "\n" + strings.TrimSpace(line)
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		last = strings.TrimSpace(k)
		fields[last] = strings.TrimSpace(v)
	}
	return fields
}

// debianSourcesFile is /etc/apt/sources.list.d/debian.sources as the official Debian images write it.
func (m debianMirrors) debianSourcesFile(suite string) []byte {
	return []byte(fmt.Sprintf(`Types: deb
URIs: %s
Suites: %s %s-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: %s
Suites: %s-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`, m.archive, suite, suite, m.security, suite))
}

// aptRoot is a private apt configuration under the cache (its own sources, lists and architectures amd64 and
// arm64), so that resolving and downloading packages for other architectures leaves the host's apt untouched.
type aptRoot struct {
	suite   string
	dir     string
	mirrors debianMirrors
	log     *logWriter
	// mu guards resolved and the package cache: stand-ins build concurrently.
	mu sync.Mutex
	// resolved memoises resolve by "name:arch".
	resolved map[string]debPackage
}

func (a *aptRoot) conf() string { return filepath.Join(a.dir, "apt.conf") }

// debPackage is one resolved binary package.
type debPackage struct {
	Name, Version, Arch, SHA256 string
}

// fileName is the name apt-get download gives the package file.
func (p debPackage) fileName() string {
	return fmt.Sprintf("%s_%s_%s.deb", p.Name, strings.ReplaceAll(p.Version, ":", "%3a"), p.Arch)
}

func (p debPackage) String() string { return p.Name + ":" + p.Arch + "=" + p.Version }

// prepare writes the configuration and refreshes the package lists when they are missing or stale.
func (a *aptRoot) prepare(ctx context.Context) error {
	for _, d := range []string{"state/lists/partial", "cache/archives/partial", "sources.list.d", "debs"} {
		if err := os.MkdirAll(filepath.Join(a.dir, d), 0o755); err != nil {
			return err
		}
	}
	if _, err := writeFileChanged(filepath.Join(a.dir, "state/status"), nil); err != nil {
		return err
	}
	var sources strings.Builder
	for _, s := range []struct{ uri, suite string }{
		{a.mirrors.archive, a.suite},
		{a.mirrors.archive, a.suite + "-updates"},
		{a.mirrors.security, a.suite + "-security"},
	} {
		fmt.Fprintf(&sources, "deb [arch=amd64,arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n", s.uri, s.suite)
	}
	conf := fmt.Sprintf(`Dir::State "%[1]s/state";
Dir::State::status "%[1]s/state/status";
Dir::Cache "%[1]s/cache";
Dir::Etc::SourceList "%[1]s/sources.list";
Dir::Etc::SourceParts "%[1]s/sources.list.d";
APT::Architecture "amd64";
APT::Architectures { "amd64"; "arm64"; };
APT::Sandbox::User "root";
Acquire::Languages "none";
Acquire::IndexTargets::deb::DEP-11::DefaultEnabled "false";
Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled "false";
Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled "false";
`, a.dir)
	changed, err := writeFileChanged(filepath.Join(a.dir, "sources.list"), []byte(sources.String()))
	if err != nil {
		return err
	}
	if c, err := writeFileChanged(a.conf(), []byte(conf)); err != nil {
		return err
	} else {
		changed = changed || c
	}
	stamp := filepath.Join(a.dir, "state/updated")
	if fi, err := os.Stat(stamp); err == nil && !changed && time.Since(fi.ModTime()) < aptListsMaxAge {
		return nil
	}
	a.log.Printf("refreshing Debian package lists (%s, %s)", a.mirrors.archive, a.mirrors.security)
	if _, err := a.run(ctx, "", "apt-get", "update"); err != nil {
		return err
	}
	return os.WriteFile(stamp, nil, 0o644)
}

func (a *aptRoot) run(ctx context.Context, dir, name string, args ...string) ([]byte, error) {
	// On the command line because the host's apt.conf.d (read after APT_CONFIG) may disable the binary caches,
	// which makes every apt-cache call parse the package lists again.
	args = append([]string{"-o", "Dir::Cache::pkgcache=pkgcache.bin", "-o", "Dir::Cache::srcpkgcache=srcpkgcache.bin"}, args...)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "APT_CONFIG="+a.conf(), "DEBIAN_FRONTEND=noninteractive")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, tail(stderr.Bytes(), 20))
	}
	return out, nil
}

// resolve finds the candidate versions of packages for an architecture, including packages built for all
// architectures ("Architecture: all"), in one apt-cache call for those not resolved before.
func (a *aptRoot) resolve(ctx context.Context, names []string, arch string) ([]debPackage, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.resolved == nil {
		a.resolved = map[string]debPackage{}
	}
	var query []string
	for _, n := range names {
		if _, ok := a.resolved[n+":"+arch]; !ok {
			query = append(query, n+":"+arch, n+":all")
		}
	}
	if len(query) > 0 {
		out, err := a.run(ctx, "", "apt-cache", append([]string{"show", "--no-all-versions"}, query...)...)
		if err != nil {
			return nil, err
		}
		// "name:all" of an architecture-specific package shows the native one: only take arch or all.
		for _, stanza := range strings.Split(string(out), "\n\n") {
			f := parseControl(strings.TrimSpace(stanza))
			p := debPackage{Name: f["Package"], Version: f["Version"], Arch: f["Architecture"], SHA256: f["SHA256"]}
			if p.Name == "" || (p.Arch != arch && p.Arch != "all") {
				continue
			}
			if prev, ok := a.resolved[p.Name+":"+arch]; !ok || prev.Arch == "all" {
				a.resolved[p.Name+":"+arch] = p
			}
		}
	}
	out := make([]debPackage, 0, len(names))
	for _, n := range names {
		p, ok := a.resolved[n+":"+arch]
		if !ok {
			return nil, fmt.Errorf("package %s is not in %s for %s", n, a.suite, arch)
		}
		out = append(out, p)
	}
	return out, nil
}

// download returns the path of the package file, fetching it into the cache when it is not there yet.
func (a *aptRoot) download(ctx context.Context, p debPackage) (string, error) {
	a.mu.Lock() // two stand-ins may want the same package
	defer a.mu.Unlock()
	dir := filepath.Join(a.dir, "debs")
	file := filepath.Join(dir, p.fileName())
	if ok, _ := fileHasSHA256(file, p.SHA256); ok {
		return file, nil
	}
	if _, err := a.run(ctx, dir, "apt-get", "download", p.Name+":"+p.Arch+"="+p.Version); err != nil {
		return "", err
	}
	if ok, err := fileHasSHA256(file, p.SHA256); !ok {
		return "", fmt.Errorf("apt-get download %s: %s has not the expected SHA-256 (%v)", p, file, err)
	}
	return file, nil
}

// suiteDate is the Date field of a suite's InRelease file: it changes whenever the suite does, which for the
// main suite of a stable release means a point release.
func (a *aptRoot) suiteDate(uri, suite string) (string, error) {
	name := strings.TrimPrefix(strings.TrimPrefix(uri, "http://"), "https://")
	name = strings.ReplaceAll(strings.Trim(name, "/"), "/", "_") + "_dists_" + suite + "_InRelease"
	data, err := os.ReadFile(filepath.Join(a.dir, "state/lists", name))
	if err != nil {
		return "", fmt.Errorf("reading the %s release file: %w", suite, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "Date:"); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("no Date in the %s release file", suite)
}

// dpkgDeb runs dpkg-deb and returns its standard output.
func dpkgDeb(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "dpkg-deb", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("dpkg-deb %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

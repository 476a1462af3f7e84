package audit

import (
	"fmt"
	"path"
	"strings"
)

// Tools by concern, matched by file name.
var (
	shells          = []string{"sh", "bash", "rbash", "ash", "dash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "yash", "busybox", "toybox"}
	packageManagers = []string{"apt", "apt-get", "aptitude", "dpkg", "apk", "rpm", "dnf", "yum", "microdnf", "tdnf", "zypper", "pacman", "pip", "pip3", "npm", "yarn", "pnpm", "gem"}
	networkTools    = []string{"curl", "wget", "nc", "ncat", "netcat", "socat", "ssh", "scp", "sftp", "telnet", "ftp", "tftp", "strace", "ltrace", "gdb", "tcpdump", "nmap"}
	buildTools      = []string{"gcc", "cc", "c++", "g++", "clang", "clang++", "tcc", "go", "rustc", "cargo", "javac", "make", "cmake", "ld", "as"}
)

func toolCheck(f *facts, names []string, what string) outcome {
	found := f.findTools(names)
	if len(found) > 0 {
		seen := map[string]bool{}
		var list []string
		for _, e := range found {
			if n := path.Base(e.Path); !seen[n] {
				seen[n] = true
				list = append(list, n)
			}
		}
		return failed(f.toolEvidence(found), "%s found: %s", what, strings.Join(list, ", "))
	}
	return pass("no %s", what)
}

func checkShell(f *facts) outcome          { return toolCheck(f, shells, "shell") }
func checkPackageManager(f *facts) outcome { return toolCheck(f, packageManagers, "package manager") }
func checkNetworkTools(f *facts) outcome {
	return withProbe(f, toolCheck(f, networkTools, "network or debugging tool"))
}
func checkCompilers(f *facts) outcome { return toolCheck(f, buildTools, "compiler or build tool") }

// Leftovers: directories reported once with what they hold, and single files.
var (
	leftoverDirs = map[string]string{
		".git": "a git repository", ".svn": "a subversion checkout", ".hg": "a mercurial repository",
		".cache": "a cache directory", ".npm": "the npm cache", ".yarn": "the yarn cache",
		".aws": "AWS CLI configuration", ".azure": "Azure CLI configuration", ".gcloud": "gcloud configuration",
		".vscode": "editor settings", ".idea": "editor settings",
	}
	leftoverFiles = map[string]string{
		".git": "a git link", "Dockerfile": "a Dockerfile", "docker-compose.yml": "a compose file",
		"docker-compose.yaml": "a compose file", ".DS_Store": "macOS metadata", ".vimrc": "editor settings",
		".viminfo": "editor history", ".bash_history": "shell history", ".ash_history": "shell history",
		".zsh_history": "shell history", ".python_history": "interpreter history", ".lesshst": "pager history",
		".wget-hsts": "wget state",
	}
	// packageCaches hold downloaded packages or lists; the names in keep are package managers' own.
	packageCaches = []struct {
		dir, what string
		keep      []string
	}{
		{"/var/lib/apt/lists", "apt package lists", []string{"lock", "partial", "auxfiles"}},
		{"/var/cache/apt", "apt caches", []string{"archives", "archives/lock", "archives/partial"}},
		{"/var/cache/apk", "apk caches", nil},
		{"/var/cache/yum", "yum caches", nil},
		{"/var/cache/dnf", "dnf caches", nil},
		{"/var/cache/zypp", "zypper caches", nil},
	}
)

// vendored says a path is inside a dependency tree or a toolchain, where such files belong to
// the packages (HX-MIN-COMPILERS reports a toolchain itself).
func vendored(p string) bool {
	return containsAny(p, []string{"/node_modules/", "/vendor/", "/site-packages/", "/dist-packages/"}) ||
		hasAnyPrefix(p, []string{"/usr/local/go/", "/usr/lib/go/", "/usr/lib/go-", "/usr/share/", "/usr/include/"})
}

func checkLeftovers(f *facts) outcome {
	var ev []Evidence
	skip := ""
	for _, e := range f.files {
		if skip != "" && strings.HasPrefix(e.Path, skip) {
			continue
		}
		skip = ""
		name := path.Base(e.Path)
		switch {
		case vendored(e.Path):
		case e.Mode.IsDir() && leftoverDirs[name] != "":
			n := f.countBelow(e.Path)
			ev = append(ev, f.fileEvidence(e.Path, "%s, %s", leftoverDirs[name], plural(n, "file", "files")))
			skip = e.Path + "/"
		case !e.Mode.IsDir() && leftoverFiles[name] != "":
			ev = append(ev, f.fileEvidence(e.Path, "%s", leftoverFiles[name]))
		}
	}
	for _, c := range packageCaches {
		var n int
		var size int64
		for _, e := range f.below(c.dir) {
			rel := strings.TrimPrefix(e.Path, c.dir+"/")
			if e.Mode.IsDir() || contains(c.keep, rel) {
				continue
			}
			n++
			size += e.Size
		}
		if n > 0 {
			ev = append(ev, f.fileEvidence(c.dir, "%s: %s, %s", c.what, plural(n, "file", "files"), formatBytes(size)))
		}
	}
	if len(ev) > 0 {
		return failed(ev, "%s", plural(len(ev), "leftover", "leftovers"))
	}
	return pass("no package caches, VCS directories or editor leftovers")
}

// below lists the merged entries under dir (not dir itself).
func (f *facts) below(dir string) []Entry {
	prefix := strings.TrimSuffix(dir, "/") + "/"
	var out []Entry
	for _, e := range f.files {
		if strings.HasPrefix(e.Path, prefix) {
			out = append(out, e)
		}
	}
	return out
}

func (f *facts) countBelow(dir string) int {
	n := 0
	for _, e := range f.below(dir) {
		if !e.Mode.IsDir() {
			n++
		}
	}
	return n
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func checkSize(f *facts) outcome {
	info := f.describe()
	size := info.Stats.Size()
	var ev []Evidence
	if size > f.opts.maxBytes {
		ev = append(ev, Evidence{Field: "size", Detail: fmt.Sprintf("%s, over the %s budget", formatBytes(size), formatBytes(f.opts.maxBytes))})
	}
	if info.Stats.Layers > f.opts.maxLayers {
		ev = append(ev, Evidence{Field: "rootfs.diff_ids", Detail: fmt.Sprintf("%d layers, over the budget of %d", info.Stats.Layers, f.opts.maxLayers)})
	}
	summary := fmt.Sprintf("%s in %s, %s files", formatBytes(size), plural(info.Stats.Layers, "layer", "layers"), groupThousands(int64(info.Stats.Files)))
	if len(ev) > 0 {
		return failed(ev, "%s: over budget", summary)
	}
	return pass("%s (budget %s, %d layers)", summary, formatBytes(f.opts.maxBytes), f.opts.maxLayers)
}

// formatBytes writes a size the way the report does: decimal units, thousands separated.
func formatBytes(n int64) string {
	switch {
	case n >= 100e6:
		return groupThousands(int64(float64(n)/1e6+0.5)) + " MB"
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

func groupThousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

package audit

import (
	"io/fs"
	"path"
	"strings"
)

// scratchDirs are where the runtime user is meant to write.
var scratchDirs = []string{"/tmp/", "/var/tmp/", "/run/", "/var/run/", "/dev/", "/proc/", "/sys/"}

// sharedDirs hold the system or many programs, never one application, even when the
// entrypoint or the workdir is one of them.
var sharedDirs = map[string]bool{
	"/": true, "/bin": true, "/sbin": true, "/lib": true, "/lib32": true, "/lib64": true, "/libx32": true,
	"/usr": true, "/usr/bin": true, "/usr/sbin": true, "/usr/lib": true, "/usr/lib64": true, "/usr/libexec": true,
	"/usr/local": true, "/usr/local/bin": true, "/usr/local/sbin": true, "/usr/local/lib": true, "/usr/share": true,
	"/etc": true, "/var": true, "/var/lib": true, "/opt": true, "/srv": true, "/home": true, "/root": true,
	"/tmp": true, "/var/tmp": true, "/run": true, "/var/run": true, "/dev": true, "/proc": true, "/sys": true,
	"/boot": true, "/mnt": true, "/media": true, "/busybox": true,
}

// appDir is the conventional application directory, the one the frontend copies into.
const appDir = "/app"

// appRoots are the application's directories, resolved inside the image: /app, and the
// entrypoint's directory and the workdir unless they are a system, scratch or home directory.
// A package-owned entrypoint (python3 from Debian) names no application directory, and a
// sticky world-writable workdir is a scratch area by design (golang's /go).
func (f *facts) appRoots() []string {
	var roots []string
	add := func(p string, always bool) {
		e, ok := f.lookup(p, true)
		if !ok || !e.Mode.IsDir() {
			return
		}
		real := e.Path
		if !always && (sharedDirs[real] || hasAnyPrefix(real+"/", scratchDirs) || real == f.userHome() ||
			e.Mode&fs.ModeSticky != 0 && e.Mode.Perm()&0o002 != 0) {
			return
		}
		roots = append(roots, real)
	}
	add(appDir, true)
	if bin, ok := f.entrypointBinary(); ok && !f.packages().owns(bin.Path) {
		add(path.Dir(bin.Path), false)
	}
	if wd := f.cfg.Config.WorkingDir; strings.HasPrefix(wd, "/") {
		add(path.Clean(wd), false)
	}
	var out []string
	for _, r := range roots {
		if !within(r, out) {
			out = append(out, r)
		}
	}
	return out
}

// within says whether p is one of roots or below one.
func within(p string, roots []string) bool {
	for _, r := range roots {
		if p == r || strings.HasPrefix(p, strings.TrimSuffix(r, "/")+"/") {
			return true
		}
	}
	return false
}

// userHome is the runtime user's home directory, "" when it has none but /.
func (f *facts) userHome() string {
	u := f.user()
	if u.entry == nil || u.entry.home == "" || path.Clean(u.entry.home) == "/" {
		return ""
	}
	return path.Clean(u.entry.home)
}

// appProblems says what is wrong with an entry of the application: a special file, a group or
// other write bit, or an owner (or group) that is the runtime user's.
func appProblems(e Entry, u *runtimeUser) []string {
	var out []string
	if kind := SpecialFile(e.Mode); kind != "" {
		out = append(out, "a "+kind+" among application files")
	}
	if e.Mode.Perm()&0o020 != 0 {
		out = append(out, "group-writable")
	}
	if e.Mode.Perm()&0o002 != 0 {
		out = append(out, "world-writable")
	}
	if u != nil && u.uid > 0 && int64(e.UID) == u.uid && e.Mode.Perm()&0o200 != 0 {
		out = append(out, "owned and writable by the runtime user")
	}
	return out
}

func checkAppWritable(f *facts) outcome {
	u := f.user()
	if u.uid < 0 {
		return skipped("%s", u.problem)
	}
	if u.uid == 0 {
		return skipped("the image runs as root (see HX-USER-ROOT)")
	}
	roots := f.appRoots()
	entry, hasEntry := f.entrypointBinary()
	home := f.userHome()
	var ev []Evidence
	for _, e := range f.files {
		if e.Mode&fs.ModeSymlink != 0 {
			continue
		}
		if within(e.Path, roots) || hasEntry && e.Path == entry.Path {
			if problems := appProblems(e, u); len(problems) > 0 {
				ev = append(ev, f.fileEvidence(e.Path, "%s (%s)", strings.Join(problems, ", "), modeString(e)))
			}
			continue
		}
		// Elsewhere, an executable the runtime user may rewrite (not in its home or a scratch directory).
		if !executable(e) || home != "" && within(e.Path, []string{home}) || hasAnyPrefix(e.Path, scratchDirs) {
			continue
		}
		byOwner := int64(e.UID) == u.uid && e.Mode.Perm()&0o200 != 0
		byGroup := int64(e.GID) == u.gid && e.Mode.Perm()&0o020 != 0
		if byOwner || byGroup {
			ev = append(ev, f.fileEvidence(e.Path, "executable outside the application, writable by uid %d (%s)", u.uid, modeString(e)).atMost(Low))
		}
	}
	where := "no application directory"
	if len(roots) > 0 {
		where = strings.Join(roots, ", ")
	}
	if len(ev) > 0 {
		return failed(ev, "%s the runtime user, or anyone, could rewrite (application: %s)", plural(len(ev), "path", "paths"), where)
	}
	return pass("uid %d can rewrite no executable, and the application (%s) holds no writable or special file", u.uid, where)
}

func checkWorldWritable(f *facts) outcome {
	roots := f.appRoots()
	var ev []Evidence
	inApp := 0
	for _, e := range f.files {
		if e.Mode&fs.ModeSymlink != 0 {
			continue
		}
		if within(e.Path, roots) {
			kind := SpecialFile(e.Mode)
			if kind != "" || e.Mode.Perm()&0o022 != 0 {
				inApp++
				ev = append(ev, f.fileEvidence(e.Path, "%s in the application (mode %s)", worldWritableWhat(e, kind), lsMode(e.Mode)))
			}
			continue
		}
		if e.Mode.Perm()&0o002 == 0 || e.Mode.IsDir() && e.Mode&fs.ModeSticky != 0 {
			continue
		}
		what := "world-writable"
		if e.Mode.IsDir() {
			what = "world-writable directory without the sticky bit"
		} else if kind := SpecialFile(e.Mode); kind != "" {
			what = "world-writable " + kind
		}
		ev = append(ev, f.fileEvidence(e.Path, "%s (mode %s)", what, lsMode(e.Mode)).atMost(Medium))
	}
	if len(ev) > 0 {
		return failed(ev, "%s (%d in the application)", plural(len(ev), "writable or special path", "writable or special paths"), inApp)
	}
	return pass("nothing world-writable, but sticky directories outside the application")
}

// worldWritableWhat names what an application entry is: its kind when special, and who may write it.
func worldWritableWhat(e Entry, kind string) string {
	var parts []string
	if kind != "" {
		parts = append(parts, kind)
	}
	switch {
	case e.Mode.Perm()&0o002 != 0:
		parts = append(parts, "world-writable")
	case e.Mode.Perm()&0o020 != 0:
		parts = append(parts, "group-writable")
	}
	return strings.Join(parts, ", ")
}

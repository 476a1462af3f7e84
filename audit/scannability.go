package audit

import (
	"bytes"
	"debug/buildinfo"
	"fmt"
	"path"
	"strings"
)

// osRelease is /etc/os-release (or /usr/lib/os-release) as far as scanners read it.
type osRelease struct {
	file                string
	id, versionID, like string
	// pretty is PRETTY_NAME: "Distroless" on distroless images, whose ID is debian.
	pretty string
}

func (f *facts) osRelease() (osRelease, bool) {
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		d, ok := f.read(p)
		if !ok {
			continue
		}
		r := osRelease{file: p}
		for _, line := range strings.Split(string(d), "\n") {
			k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
			if !ok {
				continue
			}
			v = strings.Trim(v, `"'`)
			switch k {
			case "ID":
				r.id = v
			case "VERSION_ID":
				r.versionID = v
			case "ID_LIKE":
				r.like = v
			case "PRETTY_NAME":
				r.pretty = v
			}
		}
		return r, true
	}
	return osRelease{}, false
}

func (r osRelease) debianLike() bool {
	return r.id == "debian" || r.id == "ubuntu" || strings.Contains(" "+r.like+" ", " debian ")
}

func (f *facts) exists(p string) bool { _, ok := f.lookup(p, true); return ok }

func checkOSRelease(f *facts) outcome {
	rel, ok := f.osRelease()
	pk := f.packages()
	if !ok {
		if pk.manager == "" && !f.exists("/etc/debian_version") && !f.exists("/etc/alpine-release") {
			return pass("no OS packages (scratch-like): nothing for an OS scanner to miss")
		}
		return failed([]Evidence{{Path: "/etc/os-release", Detail: "missing"}},
			"no /etc/os-release: scanners detect no OS and skip the %s packages", pk.manager)
	}
	var ev []Evidence
	if rel.id == "" || rel.versionID == "" {
		ev = append(ev, f.fileEvidence(rel.file, "ID=%q VERSION_ID=%q: both are needed", rel.id, rel.versionID))
	}
	switch {
	case rel.debianLike() && !f.exists("/etc/debian_version"):
		ev = append(ev, Evidence{Path: "/etc/debian_version", Detail: "missing: trivy detects Debian only by this file"})
	case rel.id == "alpine" && !f.exists("/etc/alpine-release"):
		ev = append(ev, Evidence{Path: "/etc/alpine-release", Detail: "missing: scanners detect Alpine by this file"})
	}
	if len(ev) > 0 {
		return failed(ev, "the OS is not fully identifiable")
	}
	return pass("%s %s (%s)", rel.id, rel.versionID, rel.file)
}

func checkPackageDB(f *facts) outcome {
	pk := f.packages()
	rel, _ := f.osRelease()
	debian := rel.debianLike() || f.exists("/etc/debian_version")
	var ev []Evidence
	switch {
	case debian && pk.manager != "dpkg":
		ev = append(ev, Evidence{Path: dpkgStatusD, Detail: "missing, and so is " + dpkgStatus + ": scanners see no Debian package"})
	case rel.id == "alpine" && pk.manager != "apk":
		ev = append(ev, Evidence{Path: apkDBs[0], Detail: "missing: scanners see no Alpine package"})
	}
	ev = append(ev, pk.problems...)
	if pk.manager == "dpkg" {
		for _, e := range f.below("/usr/share/doc") {
			dir, name := path.Split(e.Path)
			pkg := path.Base(dir)
			if name != "copyright" || !e.Mode.IsRegular() || path.Dir(path.Clean(dir)) != "/usr/share/doc" || pk.owns(path.Clean(dir)) {
				continue
			}
			if pk.owned != nil || !pk.covers(pkg, f.cfg.Architecture) {
				ev = append(ev, f.fileEvidence(e.Path, "package %s ships files but has no entry in the package database", pkg))
			}
		}
	}
	if len(ev) > 0 {
		return failed(ev, "the package database is incomplete")
	}
	switch {
	case pk.manager == "":
		return pass("no OS package database, and no sign of OS packages")
	case !pk.countable:
		return pass("%s database at %s", pk.manager, strings.Join(pk.sources, ", "))
	}
	msg := fmt.Sprintf("%s in %s", plural(len(pk.names), pk.manager+" package", pk.manager+" packages"), strings.Join(pk.sources, ", "))
	if len(pk.noMD5) > 0 {
		msg += fmt.Sprintf(" (%d without .md5sums)", len(pk.noMD5))
	}
	return pass("%s", msg)
}

func checkLicenses(f *facts) outcome {
	pk := f.packages()
	if pk.manager != "dpkg" {
		return pass("no Debian packages to account for")
	}
	var ev []Evidence
	for _, name := range pk.names {
		base, _, _ := strings.Cut(name, ":")
		if !f.exists("/usr/share/doc/" + base + "/copyright") {
			ev = append(ev, Evidence{Path: "/usr/share/doc/" + base + "/copyright", Detail: fmt.Sprintf("missing for package %s", name)})
		}
	}
	if len(ev) > 0 {
		return failed(ev, "%s without a copyright file", plural(len(ev), "package", "packages"))
	}
	return pass("every one of %s has its copyright file", plural(len(pk.names), "package", "packages"))
}

func checkBinaries(f *facts) outcome {
	bin, ok := f.entrypointBinary()
	if !ok {
		return skipped("no entrypoint binary in the image")
	}
	// The entrypoint and its neighbours, unless it lives in a system directory.
	candidates := []Entry{bin}
	if dir := path.Dir(bin.Path); !contains(binDirs, dir) && dir != "/" {
		for _, e := range f.below(dir) {
			if e.Mode.IsRegular() && e.Path != bin.Path && path.Dir(e.Path) == dir {
				candidates = append(candidates, e)
			}
		}
	}
	var ev []Evidence
	var notes []string
	for _, e := range candidates {
		if e.Size < 4 {
			continue
		}
		d, err := f.head(e, 4096)
		if err != nil {
			f.fail(fmt.Errorf("reading %s: %w", e.Path, err))
			return outcome{}
		}
		if !bytes.HasPrefix(d, []byte("\x7fELF")) {
			continue
		}
		if !executable(e) {
			ev = append(ev, f.fileEvidence(e.Path, "an ELF file without the exec bit: scanners skip it (mode %s)", lsMode(e.Mode)))
		}
		if bytes.Contains(d, []byte("UPX!")) {
			ev = append(ev, f.fileEvidence(e.Path, "UPX-packed: scanners cannot read its dependencies"))
			continue
		}
		at, err := f.contentAt(e)
		if err != nil {
			f.fail(fmt.Errorf("reading %s: %w", e.Path, err))
			return outcome{}
		}
		if at == nil {
			continue
		}
		if bi, err := buildinfo.Read(at); err == nil {
			v := bi.Main.Version
			if v == "" || v == "(devel)" {
				v += " (no module version: stamp one with -ldflags or VCS info)"
			}
			notes = append(notes, fmt.Sprintf("%s: %s, %s %s, %d modules", e.Path, bi.GoVersion, bi.Main.Path, strings.TrimSpace(v), len(bi.Deps)))
		}
	}
	if len(ev) > 0 {
		return failed(ev, "%s that scanners cannot read", plural(len(ev), "binary", "binaries"))
	}
	if len(notes) > 0 {
		return pass("%s", strings.Join(notes, "; "))
	}
	return pass("%s is readable by scanners", bin.Path)
}

func checkVulnerabilities(f *facts) outcome {
	v := f.opts.vulns
	switch {
	case v == nil:
		return skipped("no vulnerability scan requested (--vulns)")
	case v.Unavailable != "":
		return skipped("%s", v.Unavailable)
	case v.Critical+v.High > 0:
		return failed([]Evidence{{Field: "vulnerabilities", Detail: fmt.Sprintf("%d critical, %d high (%s)", v.Critical, v.High, v.Scanner)}},
			"%d critical and %d high CVEs", v.Critical, v.High)
	}
	return pass("no critical or high CVEs (%d medium, %d low, %d unknown; %s)", v.Medium, v.Low, v.Unknown, v.Scanner)
}

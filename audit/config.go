package audit

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Label keys of the OCI image spec the checks read.
const (
	LabelBaseName   = "org.opencontainers.image.base.name"
	LabelBaseDigest = "org.opencontainers.image.base.digest"
	labelPrefix     = "org.opencontainers.image."
)

// defaultPath is what runtimes search when the config sets no PATH.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// command is the process a container starts: ENTRYPOINT then CMD, and the field it came from.
func (f *facts) command() ([]string, string) {
	c := f.cfg.Config
	argv := append(append([]string(nil), c.Entrypoint...), c.Cmd...)
	field := "config.Entrypoint"
	if len(c.Entrypoint) == 0 {
		field = "config.Cmd"
	}
	return argv, field
}

// resolveCommand finds the file a runtime would execute for name: an absolute path, or the
// first match on the config's PATH; symlinks are followed.
func (f *facts) resolveCommand(name string) (Entry, bool) {
	if strings.HasPrefix(name, "/") {
		return f.lookup(name, true)
	}
	dirs := defaultPath
	if p, ok := f.env()["PATH"]; ok {
		dirs = p
	}
	for _, dir := range strings.Split(dirs, ":") {
		if !strings.HasPrefix(dir, "/") {
			continue
		}
		if e, ok := f.lookup(path.Join(dir, name), true); ok && !e.Mode.IsDir() {
			return e, true
		}
	}
	return Entry{}, false
}

// entrypointBinary is the file the container starts, when it is in the image.
func (f *facts) entrypointBinary() (Entry, bool) {
	argv, _ := f.command()
	if len(argv) == 0 {
		return Entry{}, false
	}
	e, ok := f.resolveCommand(argv[0])
	if !ok || !e.Mode.IsRegular() {
		return Entry{}, false
	}
	return e, true
}

// shellForm says argv runs a command line through a shell.
func shellForm(argv []string) bool {
	return len(argv) > 1 && contains(shells, path.Base(argv[0])) && strings.HasPrefix(argv[1], "-") && strings.Contains(argv[1], "c")
}

func executable(e Entry) bool { return e.Mode.IsRegular() && e.Mode.Perm()&0o111 != 0 }

func checkEntrypoint(f *facts) outcome {
	argv, field := f.command()
	ev := []Evidence{{Field: field, Detail: fmt.Sprintf("%q", argv)}}
	if len(argv) == 0 {
		ev[0].Field = "config.Entrypoint"
		return failed(ev, "the image has no entrypoint")
	}
	if shellForm(argv) {
		return failed(ev, "shell form: the command runs through %s", argv[0])
	}
	e, ok := f.resolveCommand(argv[0])
	switch {
	case !ok && strings.HasPrefix(argv[0], "/"):
		return failed(ev, "the entrypoint %s is not in the image", argv[0])
	case !ok:
		return failed(ev, "the entrypoint %s is not on the image's PATH", argv[0])
	case !executable(e):
		return failed(ev, "the entrypoint %s is not an executable file (mode %s)", argv[0], lsMode(e.Mode))
	}
	return pass("exec form: %s", strings.Join(argv, " "))
}

func checkHealthcheck(f *facts) outcome {
	hc := f.cfg.Config.Healthcheck
	field := "config.Healthcheck"
	if hc == nil || len(hc.Test) == 0 {
		return failed([]Evidence{{Field: field, Detail: "not set"}}, "no HEALTHCHECK")
	}
	ev := []Evidence{{Field: field + ".Test", Detail: fmt.Sprintf("%q", hc.Test)}}
	switch hc.Test[0] {
	case "NONE":
		return failed(ev, "the HEALTHCHECK is disabled (NONE)")
	case "CMD-SHELL":
		return failed(ev, "shell-form HEALTHCHECK: it needs a shell in the image")
	case "CMD":
		if len(hc.Test) < 2 {
			return failed(ev, "the HEALTHCHECK has no command")
		}
		if e, ok := f.resolveCommand(hc.Test[1]); !ok || !executable(e) {
			return failed(ev, "the HEALTHCHECK command %s is not an executable in the image", hc.Test[1])
		}
		return pass("exec form: %s", strings.Join(hc.Test[1:], " "))
	}
	return failed(ev, "unknown HEALTHCHECK form %q", hc.Test[0])
}

// systemDirs are directories a workdir should not be.
var systemDirs = []string{"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/lib", "/lib64", "/usr/lib", "/etc", "/dev", "/proc", "/sys", "/boot"}

func checkPaths(f *facts) outcome {
	c := f.cfg.Config
	var ev []Evidence
	vols := make([]string, 0, len(c.Volumes))
	for v := range c.Volumes {
		vols = append(vols, v)
	}
	sort.Strings(vols)
	for _, v := range vols {
		clean := path.Clean("/" + v)
		for _, bad := range []string{"/dev", "/proc", "/sys"} {
			if clean == bad || strings.HasPrefix(clean, bad+"/") {
				ev = append(ev, Evidence{Field: "config.Volumes", Detail: fmt.Sprintf("VOLUME %s exposes %s", v, bad)})
			}
		}
		if clean == "/" {
			ev = append(ev, Evidence{Field: "config.Volumes", Detail: "VOLUME / covers the whole filesystem"})
		}
	}
	if wd := c.WorkingDir; wd != "" {
		switch {
		case !strings.HasPrefix(wd, "/"):
			ev = append(ev, Evidence{Field: "config.WorkingDir", Detail: fmt.Sprintf("%q is not absolute", wd)})
		case contains(systemDirs, path.Clean(wd)):
			ev = append(ev, Evidence{Field: "config.WorkingDir", Detail: fmt.Sprintf("%q is a system directory", wd)})
		}
	}
	if len(ev) > 0 {
		return failed(ev, "%s", plural(len(ev), "volume or workdir problem", "volume or workdir problems"))
	}
	wd := c.WorkingDir
	if wd == "" {
		wd = "/"
	}
	return pass("workdir %s, %s", wd, plural(len(vols), "volume", "volumes"))
}

func checkPorts(f *facts) outcome {
	var ports []string
	for p := range f.cfg.Config.ExposedPorts {
		ports = append(ports, p)
	}
	sort.Strings(ports)
	var ev []Evidence
	for _, p := range ports {
		num, proto, _ := strings.Cut(p, "/")
		lo, hi, isRange := strings.Cut(num, "-")
		if !isRange {
			hi = lo
		}
		a, errA := strconv.Atoi(lo)
		b, errB := strconv.Atoi(hi)
		switch {
		case errA != nil || errB != nil || a < 1 || b > 65535 || a > b:
			ev = append(ev, Evidence{Field: "config.ExposedPorts", Detail: fmt.Sprintf("%s is not a port in 1-65535", p)})
		case a <= 22 && 22 <= b && (proto == "" || proto == "tcp"):
			ev = append(ev, Evidence{Field: "config.ExposedPorts", Detail: fmt.Sprintf("%s exposes SSH", p)})
		}
	}
	if len(ev) > 0 {
		return failed(ev, "%s", plural(len(ev), "port problem", "port problems"))
	}
	if len(ports) == 0 {
		return pass("no exposed ports")
	}
	return pass("exposes %s", strings.Join(ports, ", "))
}

// requiredLabels are the OCI annotations an auditor traces an image with.
var requiredLabels = []string{"source", "revision", "version", "licenses"}

var (
	revisionLabel = regexp.MustCompile(`^[0-9a-f]{7,64}$`)
	sourceLabel   = regexp.MustCompile(`^(?:[a-z][a-z0-9+.-]*://\S+|git@\S+:\S+)$`)
)

func checkLabels(f *facts) outcome {
	labels := f.cfg.Config.Labels
	var ev []Evidence
	for _, l := range requiredLabels {
		if strings.TrimSpace(labels[labelPrefix+l]) == "" {
			ev = append(ev, Evidence{Field: "config.Labels." + labelPrefix + l, Detail: "missing"})
		}
	}
	bad := func(key, want string) {
		ev = append(ev, Evidence{Field: "config.Labels." + key, Detail: fmt.Sprintf("%q is not %s", labels[key], want)})
	}
	if v := labels[labelPrefix+"source"]; v != "" && !sourceLabel.MatchString(v) {
		bad(labelPrefix+"source", "a URL")
	}
	if v := labels[labelPrefix+"revision"]; v != "" && !revisionLabel.MatchString(v) {
		bad(labelPrefix+"revision", "a commit hash")
	}
	if v := labels[labelPrefix+"created"]; v != "" {
		if _, err := time.Parse(time.RFC3339, v); err != nil {
			bad(labelPrefix+"created", "an RFC 3339 date")
		}
	}
	if len(ev) > 0 {
		return failed(ev, "%s", plural(len(ev), "label problem", "label problems"))
	}
	return pass("source %s, revision %s, version %s, licenses %s", labels[labelPrefix+"source"],
		labels[labelPrefix+"revision"], labels[labelPrefix+"version"], labels[labelPrefix+"licenses"])
}

// signals are the names a stop signal may use.
var signals = map[string]bool{
	"HUP": true, "INT": true, "QUIT": true, "ILL": true, "TRAP": true, "ABRT": true, "BUS": true, "FPE": true,
	"KILL": true, "USR1": true, "SEGV": true, "USR2": true, "PIPE": true, "ALRM": true, "TERM": true,
	"STKFLT": true, "CHLD": true, "CONT": true, "STOP": true, "TSTP": true, "TTIN": true, "TTOU": true,
	"URG": true, "XCPU": true, "XFSZ": true, "VTALRM": true, "PROF": true, "WINCH": true, "IO": true,
	"PWR": true, "SYS": true,
}

func validSignal(s string) bool {
	if n, err := strconv.Atoi(s); err == nil {
		return n > 0 && n <= 64
	}
	s = strings.TrimPrefix(strings.ToUpper(s), "SIG")
	if strings.HasPrefix(s, "RTMIN") || strings.HasPrefix(s, "RTMAX") {
		return true
	}
	return signals[s]
}

func checkRuntime(f *facts) outcome {
	c := f.cfg.Config
	var ev []Evidence
	for _, t := range c.OnBuild {
		ev = append(ev, Evidence{Field: "config.OnBuild", Detail: fmt.Sprintf("ONBUILD %s", t)})
	}
	if c.StopSignal != "" && !validSignal(c.StopSignal) {
		ev = append(ev, Evidence{Field: "config.StopSignal", Detail: fmt.Sprintf("%q is not a signal", c.StopSignal)})
	}
	if f.cfg.OS == "" || f.cfg.Architecture == "" {
		ev = append(ev, Evidence{Field: "os/architecture", Detail: fmt.Sprintf("platform %q is incomplete", platformString(f.cfg))})
	}
	if len(ev) > 0 {
		return failed(ev, "%s", plural(len(ev), "runtime config problem", "runtime config problems"))
	}
	stop := c.StopSignal
	if stop == "" {
		stop = "SIGTERM (default)"
	}
	return pass("%s, no ONBUILD, stop signal %s", platformString(f.cfg), stop)
}

// maxNewerListed bounds the example files one reproducibility finding names.
const maxNewerListed = 5

func checkReproducible(f *facts) outcome {
	created := f.cfg.Created
	if created == nil || created.IsZero() {
		return failed([]Evidence{{Field: "created", Detail: "not set"}}, "the image has no created time")
	}
	var ev []Evidence
	for i, h := range f.cfg.History {
		if h.Created != nil && h.Created.After(*created) {
			ev = append(ev, Evidence{Field: fmt.Sprintf("history[%d].created", i), history: i + 1,
				Detail: fmt.Sprintf("%s is after the image's created time %s", h.Created.UTC().Format(time.RFC3339), created.UTC().Format(time.RFC3339))})
		}
	}
	newer := func(e Entry) bool { return !e.ModTime.IsZero() && e.ModTime.After(*created) }
	if f.layers != nil {
		for i, entries := range f.layers.entries {
			var paths []string
			n := 0
			for _, e := range entries {
				if !e.Whiteout && !e.Opaque && newer(e.Entry) {
					if n++; n <= maxNewerListed {
						paths = append(paths, e.Path)
					}
				}
			}
			if n > 0 {
				ev = append(ev, Evidence{Path: paths[0], Layer: f.layers.ref(i),
					Detail: fmt.Sprintf("%s newer than created %s (%s)", plural(n, "file is", "files are"), created.UTC().Format(time.RFC3339), strings.Join(paths, ", "))})
			}
		}
	} else {
		for _, e := range f.files {
			if newer(e) && e.Mode&fs.ModeSymlink == 0 {
				ev = append(ev, Evidence{Path: e.Path, Detail: fmt.Sprintf("modified %s, after created %s", e.ModTime.UTC().Format(time.RFC3339), created.UTC().Format(time.RFC3339))})
			}
		}
	}
	if len(ev) > 0 {
		return failed(ev, "timestamps later than the created time: not clamped to SOURCE_DATE_EPOCH")
	}
	return pass("created %s; no file or history entry is later", created.UTC().Format(time.RFC3339))
}

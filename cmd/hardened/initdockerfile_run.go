package main

import (
	"path"
	"slices"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// goValueFlags are go build's flags that take the next argument as their value.
var goValueFlags = []string{"-ldflags", "-tags", "-gcflags", "-asmflags", "-mod", "-modfile", "-p", "-pkgdir", "-buildmode",
	"-compiler", "-installsuffix", "-overlay", "-pgo", "-toolexec", "-buildvcs", "-C", "-covermode", "-coverpkg"}

// inDistroless are packages a Dockerfile installs that every distroless base has already.
var inDistroless = []string{"ca-certificates", "tzdata", "netbase"}

// notLibraries are packages a final stage installs for a shell, a health check or an init: tools a
// hardened image leaves out (HX-MIN-*), never libraries the app loads.
var notLibraries = []string{"curl", "wget", "tini", "dumb-init", "bash", "procps", "gosu", "su-exec", "git",
	"netcat-openbsd", "netcat-traditional", "iputils-ping", "vim", "nano", "less", "openssh-client", "unzip"}

// initWrappers are the init processes an ENTRYPOINT runs the app under, with the argument that ends
// their own options.
var initWrappers = []string{"tini", "dumb-init"}

// distrolessFiles are what a Dockerfile copies into a scratch image that every distroless base has
// already: the CA certificates, the time zones, a passwd with a nonroot user, and /tmp.
var distrolessFiles = []string{"/etc/ssl/certs", "/usr/share/zoneinfo", "/etc/passwd", "/etc/group", "/tmp"}

// commands are the simple commands of a RUN line, split at &&, || and ;, as words.
func commands(c instructions.ShellDependantCmdLine) [][]string {
	if !c.PrependShell {
		return [][]string{c.CmdLine}
	}
	line := strings.Join(c.CmdLine, " ")
	var out [][]string
	for _, part := range strings.FieldsFunc(strings.NewReplacer("&&", ";", "||", ";", "\n", ";").Replace(line), func(r rune) bool { return r == ';' }) {
		f := strings.Fields(part)
		for len(f) > 0 && strings.Contains(f[0], "=") { // VAR=value prefixes
			f = f[1:]
		}
		if len(f) > 0 {
			out = append(out, f)
		}
	}
	return out
}

// goBuild records what each `go build` of a RUN line compiles and where it writes the binary.
func (m *migration) goBuild(r *instructions.RunCommand) {
	for _, f := range commands(r.ShellDependantCmdLine) {
		if len(f) < 2 || path.Base(f[0]) != "go" || f[1] != "build" {
			continue
		}
		out, pkgs := "", []string(nil)
		for i := 2; i < len(f); i++ {
			a := f[i]
			switch {
			case a == "-o" && i+1 < len(f):
				out, i = f[i+1], i+1
			case strings.HasPrefix(a, "-o="):
				out = strings.TrimPrefix(a, "-o=")
			case slices.Contains(goValueFlags, a):
				i++
			case strings.HasPrefix(a, "-"):
			default:
				pkgs = append(pkgs, a)
			}
		}
		if len(pkgs) == 0 {
			pkgs = []string{"."}
		}
		for _, p := range pkgs {
			if p != "." && !strings.HasPrefix(p, "./") {
				p = "./" + path.Clean(p)
			}
			m.goBuilds = append(m.goBuilds, p)
			if out != "" && len(pkgs) == 1 {
				bin := path.Clean(out)
				if strings.HasSuffix(out, "/") {
					bin = path.Join(out, m.nameOf(p))
				}
				m.binaries[bin] = p
			}
		}
	}
}

// copyCmd follows a built binary to where the final stage copies it.
func (m *migration) copyCmd(c *instructions.CopyCommand) {
	if !path.IsAbs(c.DestPath) || (m.workdir != "" && strings.HasPrefix(path.Clean(c.DestPath)+"/", m.workdir+"/")) {
		m.appWorkdir = true // the app's files go to the workdir, which is /app here
	}
	var other []string
	for _, src := range c.SourcePaths {
		pkg, ok := m.binaries[path.Clean(src)]
		if !ok && c.From != "" {
			pkg, ok = m.appNames[path.Base(path.Clean(src))]
		}
		if !ok || c.From == "" {
			if inDistrolessFiles(src) {
				continue
			}
			if rel, ok := m.contextFile(c, src); ok && m.goFiles {
				m.pendFile(c, rel, goFilesNote(c, []string{src}))
			} else {
				other = append(other, src)
			}
			continue
		}
		dest := c.DestPath
		if strings.HasSuffix(dest, "/") || dest == "." || len(c.SourcePaths) > 1 {
			dest = path.Join(dest, path.Base(src))
		}
		m.binaries[m.inWorkdir(dest)] = pkg
	}
	if m.goFiles && len(other) > 0 {
		m.notes = append(m.notes, goFilesNote(c, other))
	}
}

// goFilesNote is the note for files a go image cannot ship as the Dockerfile does.
func goFilesNote(c *instructions.CopyCommand, srcs []string) string {
	from := ""
	if c.From != "" {
		from = "--from=" + c.From + " "
	}
	return "COPY " + from + strings.Join(srcs, " ") + " " + c.DestPath + ": a go image holds the binaries and runtime.files alone " +
		"(paths of the context, at the same path under /app); embed such files in the binary (//go:embed) or mount them at run time (a ConfigMap)"
}

// inWorkdir is p as the final stage resolves it: a relative path is under its WORKDIR, else /.
func (m *migration) inWorkdir(p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	return path.Join("/", m.workdir, p)
}

func inDistrolessFiles(src string) bool {
	return slices.ContainsFunc(distrolessFiles, func(d string) bool {
		return src == d || strings.HasPrefix(path.Clean(src), d+"/")
	})
}

// aptInstall takes the packages the final stage installs as runtime.libs candidates.
func (m *migration) aptInstall(r *instructions.RunCommand) {
	for _, f := range commands(r.ShellDependantCmdLine) {
		if len(f) < 2 || (f[0] != "apt-get" && f[0] != "apt") || !slices.Contains(f, "install") {
			continue
		}
		for _, a := range f[slices.Index(f, "install")+1:] {
			switch {
			case strings.HasPrefix(a, "-"):
			case slices.Contains(inDistroless, a):
			case slices.Contains(notLibraries, a):
				m.notef("apt-get install %s: a tool, not a library the app loads; the image leaves it out", a)
			default:
				m.libs = append(m.libs, a)
			}
		}
	}
}

func durationString(ns int64) string { return time.Duration(ns).String() }

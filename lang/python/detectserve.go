package python

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/hardenedbuild/hardened/lang"
)

// servePort is where init's server entrypoints listen: gunicorn's and uvicorn's default port, on
// every interface, since their default host (127.0.0.1) is unreachable from outside a container.
const servePort = "8000"

// appObject is a module-level web application: `app = FastAPI(...)`, `app: Flask = flask.Flask(...)`.
var appObject = regexp.MustCompile(`(?m)^([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=\n]*)?=\s*(?:[A-Za-z_][A-Za-z0-9_]*\.)?(FastAPI|Starlette|Flask|Quart|Litestar)\(`)

// appFactory is an application factory, as Flask's documentation names it.
var appFactory = regexp.MustCompile(`(?m)^def (create_app|make_app)\(`)

// webApp is a web application init found in a module.
type webApp struct {
	module, object, framework string
	artifact                  string // what ships the module
	factory                   bool
}

// asgi are the frameworks an ASGI server serves; the others (Flask) are WSGI.
var asgi = []string{"FastAPI", "Starlette", "Quart", "Litestar"}

// servers are the entries that serve a web app with a server of the dependencies: Django's
// project first (manage.py), then the app objects found in the modules.
func (p *project) servers() []initEntry {
	var out []initEntry
	if e, ok := p.procfile(); ok {
		out = append(out, e)
	}
	if e, ok := p.django(); ok {
		out = append(out, e)
	}
	for _, a := range p.webApps() {
		if e, ok := p.serve(a); ok {
			out = append(out, e)
		}
	}
	return out
}

// collectStatic is what a Django image needs that init cannot write: the static files collected
// in the builder, as Heroku's build does, and shipped.
const collectStatic = "static files are not collected: run manage.py collectstatic in build.steps with STATIC_ROOT\n" +
	"under /out (docs/spec.md, build.steps), or serve them elsewhere"

// procfileServers are the servers a Procfile's web process may start, as modules python -m runs.
var procfileServers = []string{"gunicorn", "uvicorn", "hypercorn", "daphne"}

// procfileTarget is an app reference among a server's arguments: module.path:object, or a
// module path (gunicorn's myproject.wsgi).
var procfileTarget = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?::[A-Za-z_][A-Za-z0-9_()]*)?$`)

// procfile is the web process of a Procfile (Heroku, Dokku, honcho) when it starts a server the
// project depends on with plain arguments; $PORT becomes 8000, the port init's servers use.
func (p *project) procfile() (initEntry, bool) {
	cmd := lang.ProcfileWeb(p.dir)
	args := strings.Fields(cmd)
	if len(args) == 0 || !slices.Contains(procfileServers, args[0]) || strings.ContainsAny(cmd, "&|;<>`\"'") {
		if cmd != "" {
			p.warnings = append(p.warnings, fmt.Sprintf("Procfile's web process %q is not a server init can run without a shell; write entrypoint: by hand", cmd))
		}
		return initEntry{}, false
	}
	if !p.deps[args[0]] {
		p.warnings = append(p.warnings, fmt.Sprintf("Procfile's web process runs %s, which the dependencies do not have; add it and run init again", args[0]))
		return initEntry{}, false
	}
	artifact, target, appDir := "", "", procfileAppDir(args)
	for i, a := range args[1:] {
		args[i+1] = strings.NewReplacer("${PORT}", servePort, "$PORT", servePort).Replace(a)
		if m := procfileTarget.FindStringSubmatch(a); m != nil && target == "" && !strings.HasPrefix(a, "-") && !procfileValueFlags[args[i]] {
			target = a
			artifact = p.artifactIn(appDir, m[1])
		}
	}
	if artifact == "" {
		if target != "" {
			p.warnings = append(p.warnings, fmt.Sprintf("Procfile's web process %q serves %s, whose module init does not find; write entrypoint: by hand", cmd, target))
		}
		return initEntry{}, false
	}
	return p.procfileEntry(cmd, args, artifact), true
}

// procfileEntry runs the web process's server as a module of the virtualenv's python, reachable
// from outside the container and with what the read-only root needs, saying why.
func (p *project) procfileEntry(cmd string, args []string, artifact string) initEntry {
	bound := slices.ContainsFunc(args, func(a string) bool { return a == "-b" || strings.HasPrefix(a, "--bind") })
	why := fmt.Sprintf("Procfile's web process %q, with %s as a module of the virtualenv's python", cmd, args[0])
	switch {
	case strings.Contains(cmd, "$"):
		why += fmt.Sprintf(" ($PORT is %s)", servePort)
	case args[0] != "gunicorn" || bound:
		why += " (add expose: with the port its configuration listens on)"
	}
	if lang.IsFile(filepath.Join(p.dir, "manage.py")) {
		why += ";\n" + collectStatic
	}
	if args[0] == "gunicorn" && !bound {
		// Without --bind gunicorn listens on 127.0.0.1, out of reach, or on the $PORT Heroku sets.
		args = append(args, "--bind", "0.0.0.0:"+servePort)
		why += ";\n--bind 0.0.0.0:" + servePort + " added: without it gunicorn listens on 127.0.0.1 unless PORT is set"
	}
	if args[0] == "gunicorn" && !strings.Contains(cmd, "--worker-tmp-dir") {
		args = append(args, "--worker-tmp-dir", "/dev/shm")
		why += ";\ngunicorn's heartbeat files go to /dev/shm, as the root is read-only"
	}
	return initEntry{artifact: artifact, entrypoint: append([]string{pythonEntry, "-m"}, args...), why: why}
}

// procfileValueFlags are the server options whose value follows them, which is no app reference.
var procfileValueFlags = map[string]bool{"--chdir": true, "--app-dir": true, "-b": true, "--bind": true, "-w": true, "--workers": true,
	"-k": true, "--worker-class": true, "--host": true, "--port": true, "-c": true, "--config": true}

// procfileAppDir is the directory the server imports the app from: gunicorn's --chdir, uvicorn's
// --app-dir, when it is a directory of the project; "" for the project's own.
func procfileAppDir(args []string) string {
	for i, a := range args {
		v, ok := "", false
		switch {
		case (a == "--chdir" || a == "--app-dir") && i+1 < len(args):
			v, ok = args[i+1], true
		case strings.HasPrefix(a, "--chdir="), strings.HasPrefix(a, "--app-dir="):
			_, v, ok = strings.Cut(a, "=")
		}
		if d := path.Clean(strings.TrimPrefix(v, "./")); ok && d != "." && !path.IsAbs(d) && !strings.HasPrefix(d, "..") {
			return d
		}
	}
	return ""
}

// artifactIn is what ships a module path's first name imported from dir: the directory itself
// (the server changes into it, relative to the image's workdir /app), or the top-level artifact.
func (p *project) artifactIn(dir, top string) string {
	if dir == "" {
		return p.artifactOf(top)
	}
	full := filepath.Join(p.dir, filepath.FromSlash(dir), top)
	if lang.IsFile(full+".py") || lang.IsFile(filepath.Join(full, "__init__.py")) {
		return dir
	}
	return ""
}

// artifactOf is the top-level package or module that ships a module path's first name.
func (p *project) artifactOf(top string) string {
	switch {
	case slices.Contains(p.pkgs, top):
		return top
	case slices.Contains(p.mods, top+".py"):
		return top + ".py"
	}
	return ""
}

// serve is the entrypoint that runs a web app with the server the project depends on, through
// the virtualenv's python (-m), since console scripts pip writes name the builder's interpreter.
func (p *project) serve(a webApp) (initEntry, bool) {
	target := a.module + ":" + a.object
	where := fmt.Sprintf("%s's %s %s", a.module, a.framework, a.object)
	if slices.Contains(asgi, a.framework) {
		switch {
		case p.deps["uvicorn"]:
			args := []string{pythonEntry, "-m", "uvicorn", "--host", "0.0.0.0", "--port", servePort}
			if a.factory {
				args = append(args, "--factory")
			}
			return initEntry{artifact: a.artifact, entrypoint: append(args, target),
				why: where + " with uvicorn, which the project depends on, on port " + servePort + " of every interface"}, true
		case p.deps["hypercorn"]:
			return initEntry{artifact: a.artifact, entrypoint: []string{pythonEntry, "-m", "hypercorn", "--bind", "0.0.0.0:" + servePort, target},
				why: where + " with hypercorn, which the project depends on, on port " + servePort}, true
		}
		p.warnings = append(p.warnings, where+" is an ASGI app, but the dependencies have no uvicorn or hypercorn to serve it; add uvicorn and run init again")
		return initEntry{}, false
	}
	if !p.deps["gunicorn"] {
		p.warnings = append(p.warnings, where+" is a WSGI app, but the dependencies have no gunicorn to serve it (Flask's own server is for development); add gunicorn and run init again")
		return initEntry{}, false
	}
	return p.gunicorn(a.artifact, target+factoryCall(a.factory), where), true
}

// gunicorn serves a WSGI callable; its worker heartbeat files go to /dev/shm, a tmpfs in every
// container runtime, since the image's root is read-only.
func (p *project) gunicorn(artifact, target, where string) initEntry {
	return initEntry{artifact: artifact,
		entrypoint: []string{pythonEntry, "-m", "gunicorn", "--bind", "0.0.0.0:" + servePort, "--worker-tmp-dir", "/dev/shm", target},
		why:        where + " with gunicorn, which the project depends on, on port " + servePort + " of every interface;\nits heartbeat files go to /dev/shm, as the root is read-only"}
}

func factoryCall(factory bool) string {
	if factory {
		return "()"
	}
	return ""
}

// django is a Django project's WSGI application (manage.py beside the package that holds
// wsgi.py), served by gunicorn when the project depends on it.
func (p *project) django() (initEntry, bool) {
	if !lang.IsFile(filepath.Join(p.dir, "manage.py")) {
		return initEntry{}, false
	}
	for _, pkg := range p.pkgs {
		if !lang.IsFile(filepath.Join(p.dir, pkg, "wsgi.py")) {
			continue
		}
		where := fmt.Sprintf("Django's %s.wsgi application", pkg)
		if !p.deps["gunicorn"] {
			p.warnings = append(p.warnings, where+" needs a WSGI server, and the dependencies have no gunicorn (manage.py runserver is for development); add gunicorn and run init again")
			return initEntry{}, false
		}
		e := p.gunicorn(pkg, pkg+".wsgi:application", where)
		e.why += ";\n" + collectStatic
		return e, true
	}
	return initEntry{}, false
}

// moduleFile is a module init reads for an app object: its file, module path and the artifact
// that ships it.
type moduleFile struct{ file, module, artifact string }

// moduleFiles are the top-level modules, the packages' modules one level down, and those of src/
// packages pip installs; entry-point-named modules first.
func (p *project) moduleFiles() []moduleFile {
	var files []moduleFile
	for _, m := range p.mods {
		files = append(files, moduleFile{m, strings.TrimSuffix(m, ".py"), m})
	}
	addPkg := func(root, pkg, artifact string) {
		entries, _ := os.ReadDir(filepath.Join(p.dir, root, pkg))
		for _, e := range entries {
			if n := e.Name(); strings.HasSuffix(n, ".py") && e.Type().IsRegular() && !strings.HasPrefix(n, "test") {
				files = append(files, moduleFile{filepath.Join(root, pkg, n), pkg + "." + strings.TrimSuffix(n, ".py"), artifact})
			}
		}
	}
	for _, pkg := range p.pkgs {
		addPkg("", pkg, pkg)
	}
	if p.installs {
		srcPkgs, _ := pythonPackages(filepath.Join(p.dir, "src"))
		for _, pkg := range srcPkgs {
			addPkg("src", pkg, "src/"+pkg)
		}
	}
	named := func(c moduleFile) bool { return slices.Contains(pythonEntryScripts, filepath.Base(c.file)) }
	slices.SortStableFunc(files, func(a, b moduleFile) int {
		switch {
		case named(a) && !named(b):
			return -1
		case named(b) && !named(a):
			return 1
		}
		return 0
	})
	return files
}

// webApps are the app objects and factories of the modules.
func (p *project) webApps() []webApp {
	var apps []webApp
	for _, c := range p.moduleFiles() {
		if a, ok := findApp(filepath.Join(p.dir, c.file)); ok {
			a.module, a.artifact = strings.TrimSuffix(c.module, ".__init__"), c.artifact
			apps = append(apps, a)
		}
	}
	return apps
}

// dataDirs are the directories web apps commonly read at run time.
var dataDirs = []string{"static", "templates", "public", "assets"}

// runtimeDirs are the top-level data directories a module names in a string ("static",
// 'templates'), which the app reads at run time and so must ship.
func (p *project) runtimeDirs() []string {
	var found []string
	for _, c := range p.moduleFiles() {
		data, err := os.ReadFile(filepath.Join(p.dir, c.file))
		if err != nil || len(data) > 1<<20 {
			continue
		}
		for _, d := range dataDirs {
			if slices.Contains(found, d) || !isDir(filepath.Join(p.dir, d)) {
				continue
			}
			if bytes.Contains(data, []byte(`"`+d+`"`)) || bytes.Contains(data, []byte(`'`+d+`'`)) {
				found = append(found, d)
			}
		}
	}
	return found
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// findApp reads a module for an app object, else a factory (Flask's create_app).
func findApp(file string) (webApp, bool) {
	data, err := os.ReadFile(file)
	if err != nil || len(data) > 1<<20 {
		return webApp{}, false
	}
	if m := appObject.FindSubmatch(data); m != nil {
		return webApp{object: string(m[1]), framework: string(m[2])}, true
	}
	if m := appFactory.FindSubmatch(data); m != nil && bytes.Contains(data, []byte("Flask(")) {
		return webApp{object: string(m[1]), framework: "Flask", factory: true}, true
	}
	if m := appFactory.FindSubmatch(data); m != nil && bytes.Contains(data, []byte("FastAPI(")) {
		return webApp{object: string(m[1]), framework: "FastAPI", factory: true}, true
	}
	return webApp{}, false
}

// projectDeps are the normalised names of the project's dependencies: requirements.txt's,
// pyproject.toml's, and every package of its lock file (which has the extras' too).
func projectDeps(dir string, pp pyprojectTOML) map[string]bool {
	deps := map[string]bool{}
	for _, r := range pp.Project.Dependencies {
		addReq(deps, r)
	}
	for name := range pp.Tool.Poetry.Dependencies {
		deps[normName(name)] = true
	}
	if data, err := os.ReadFile(filepath.Join(dir, "requirements.txt")); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			if line := strings.TrimSpace(pipComment.ReplaceAllString(sc.Text(), "")); line != "" && !strings.HasPrefix(line, "-") {
				addReq(deps, line)
			}
		}
	}
	for _, lock := range []string{"uv.lock", "poetry.lock"} {
		var l struct{ Package []struct{ Name string } }
		if _, err := toml.DecodeFile(filepath.Join(dir, lock), &l); err == nil {
			for _, pkg := range l.Package {
				deps[normName(pkg.Name)] = true
			}
		}
	}
	var pipfile pipfileLock
	if data, err := os.ReadFile(filepath.Join(dir, "Pipfile.lock")); err == nil && json.Unmarshal(data, &pipfile) == nil {
		for name := range pipfile.Default {
			deps[normName(name)] = true
		}
	}
	return deps
}

// addReq adds a requirement's name, and uvicorn for fastapi[standard], which brings it.
func addReq(deps map[string]bool, req string) {
	d := pep508(req)
	if d.name == "" {
		return
	}
	deps[normName(d.name)] = true
	if normName(d.name) == "fastapi" && slices.Contains(d.extras, "standard") {
		deps["uvicorn"] = true
	}
}

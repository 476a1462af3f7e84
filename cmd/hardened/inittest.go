package main

import (
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hardenedbuild/hardened/spec"
)

// found is a port or a health route init found, and where.
type found struct{ value, from string }

// initTest is what init knows of the app's server: its port and a route that answers when it is healthy.
type initTest struct {
	port, path found
}

// findTest looks for the port (a Dockerfile's HEALTHCHECK URL or EXPOSE, the entrypoint's --port or --bind,
// the one port the source falls back to)
// and the health route (the HEALTHCHECK URL, else a health route the source declares).
func findTest(det *detection, dir string) initTest {
	var t initTest
	if m := det.mig; m != nil {
		if h := m.healthHTTP; h != nil {
			from := m.file + "'s HEALTHCHECK"
			t.port, t.path = found{strconv.Itoa(h.HTTP.Port), from}, found{h.HTTP.PathOrDefault(), from}
			return t
		}
		for _, p := range m.expose {
			if n, proto, _ := strings.Cut(p, "/"); proto == "" || proto == "tcp" {
				t.port = found{n, m.file + "'s EXPOSE"}
				break
			}
		}
	}
	if t.port.value == "" {
		if p := entrypointPort(det.Entrypoint); p != "" {
			t.port = found{p, "the entrypoint's arguments"}
		}
	}
	if t.port.value == "" && !runsServer(det.Entrypoint) {
		if p, file := sourcePort(dir); p != "" {
			t.port = found{p, file}
		}
	}
	if r, file := healthRoute(dir); r != "" {
		t.path = found{r, file}
	}
	return t
}

// runsServer says the entrypoint starts a Python server module (python -m gunicorn), whose port is
// its own arguments' or default, never the one the app's source falls back to when run alone.
func runsServer(args []string) bool {
	for i, a := range args {
		if a == "-m" && i+1 < len(args) && slices.Contains([]string{"gunicorn", "uvicorn", "hypercorn", "daphne"}, args[i+1]) {
			return true
		}
	}
	return false
}

// entrypointPort is the port of a server's --port N, --port=N or --bind HOST:N (gunicorn, uvicorn, hypercorn).
func entrypointPort(args []string) string {
	for i, a := range args {
		v, ok := "", false
		switch {
		case (a == "--port" || a == "--bind" || a == "-b") && i+1 < len(args):
			v, ok = args[i+1], true
		case strings.HasPrefix(a, "--port="), strings.HasPrefix(a, "--bind="):
			_, v, ok = strings.Cut(a, "=")
		}
		if i := strings.LastIndex(v, ":"); ok && i >= 0 {
			v = v[i+1:]
		}
		if n, err := strconv.Atoi(v); ok && err == nil && n > 0 && n < 65536 {
			return v
		}
	}
	return ""
}

// healthRoutes are the routes health checks conventionally answer on, best first.
var healthRoutes = []string{"/healthz", "/health", "/livez", "/readyz", "/ready", "/ping"}

// routeLiteral is a quoted route in source: "/healthz", '/health', "GET /healthz" (Go 1.22 patterns).
var routeLiteral = regexp.MustCompile(`["'](?:GET )?(/[a-z]+)["']`)

// sourceExts are the files healthRoute reads; skipDirs are trees of other people's code or build output.
var (
	sourceExts = []string{".go", ".js", ".mjs", ".cjs", ".ts", ".py", ".rs", ".java", ".kt"}
	skipDirs   = []string{".git", "node_modules", "vendor", "target", ".venv", "venv", "__pycache__", "dist", "build", "testdata"}
)

// walkSource calls read with each source file of the project (relative, slash-separated path), skipping
// trees of other people's code or build output and tests; it reads at most 2000 files of at most 512 KiB,
// and stops when read returns false.
func walkSource(dir string, read func(rel string, src []byte) bool) {
	seen, done := 0, false
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil || seen >= 2000 || done:
			return filepath.SkipDir
		case d.IsDir() && p != dir && (slices.Contains(skipDirs, d.Name()) || strings.HasPrefix(d.Name(), ".")):
			return filepath.SkipDir
		case d.IsDir() || !slices.Contains(sourceExts, filepath.Ext(p)) || strings.HasSuffix(p, "_test.go"):
			return nil
		}
		seen++
		if fi, err := d.Info(); err != nil || fi.Size() > 512<<10 {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			rel = p
		}
		done = !read(filepath.ToSlash(rel), src)
		return nil
	})
}

// healthRoute is the best conventional health route the project's source names, and the file that names it.
func healthRoute(dir string) (route, file string) {
	best := len(healthRoutes)
	walkSource(dir, func(rel string, src []byte) bool {
		for _, m := range routeLiteral.FindAllStringSubmatch(string(src), -1) {
			if i := slices.Index(healthRoutes, m[1]); i >= 0 && i < best {
				best, file = i, rel
			}
		}
		return best > 0
	})
	if best == len(healthRoutes) {
		return "", ""
	}
	return healthRoutes[best], file
}

// portDefault is a port the source listens on when nothing says otherwise: process.env.PORT || 3000,
// os.environ.get("PORT", "8000"), os.getenv("PORT", 8080), app.listen(3000), ListenAndServe(":8080", ...).
var portDefault = regexp.MustCompile(`process\.env\.PORT\s*(?:\|\||\?\?)\s*["']?(\d{2,5})\b|` +
	`(?:environ\.get|getenv)\(\s*["']PORT["']\s*,\s*["']?(\d{2,5})\b|` +
	`\.listen\(\s*(\d{2,5})\s*[,)]|ListenAndServe(?:TLS)?\(\s*"[^"]*:(\d{2,5})"`)

// sourcePort is the one port the project's source falls back to, and the file that says so; nothing when
// the files disagree (a second server, a tool), since init writes only what it can be sure of.
func sourcePort(dir string) (port, file string) {
	ok := true
	walkSource(dir, func(rel string, src []byte) bool {
		for _, m := range portDefault.FindAllStringSubmatch(string(src), -1) {
			p := cmpOr(cmpOr(m[1], m[2]), cmpOr(m[3], m[4]))
			if port != "" && p != port {
				ok = false
			} else if port == "" {
				port, file = p, rel
			}
		}
		return ok
	})
	if n, err := strconv.Atoi(port); !ok || err != nil || n < 1 || n > 65535 {
		return "", ""
	}
	return port, file
}

// loopbackURL reads a curl or wget health check's URL: an http URL on the container's own loopback, with a
// port, as the probe requests it. nil for anything else (a remote host, https, a flag init cannot read).
func loopbackURL(args []string) *spec.HTTPTest {
	for _, a := range args {
		u, err := url.Parse(a)
		if err != nil || u.Scheme != "http" || !slices.Contains([]string{"localhost", "127.0.0.1", "::1"}, u.Hostname()) {
			continue
		}
		port := 80
		if p := u.Port(); p != "" {
			if port, err = strconv.Atoi(p); err != nil {
				return nil
			}
		}
		path := u.EscapedPath()
		if u.RawQuery != "" {
			path += "?" + u.RawQuery
		}
		if path == "" {
			path = "/"
		}
		return &spec.HTTPTest{Port: port, Path: path}
	}
	return nil
}

// exposeYAML writes expose: with the port init found when the Dockerfile gave none, so the image
// config and hardened k8s's containerPort say it too; a port below 1024 is left to the Dockerfile notes.
func (t initTest) exposeYAML(field func(name, value string), comments map[string]string) {
	if n, err := strconv.Atoi(t.port.value); err != nil || n < 1024 {
		return
	}
	comments["expose"] = "The port the app listens on, from " + t.port.from + "."
	field("expose", yamlList([]string{t.port.value}))
}

// yaml writes test: when init found both the port and a route, else a commented template with what it found.
func (t initTest) yaml(b *strings.Builder) {
	port, path := cmpOr(t.port.value, "8080"), cmpOr(t.path.value, "/healthz")
	if t.port.value != "" && t.path.value != "" {
		from := "port from " + t.port.from + ", path from " + t.path.from
		if t.port.from == t.path.from {
			from = "from " + t.port.from
		}
		fmt.Fprintf(b, "# The build starts the image as a restricted pod would and fails unless GET %s on port %s answers 2xx\n# (%s).\n", path, port, from)
		fmt.Fprintf(b, "test:\n  http: {port: %s, path: %s}\n", port, yamlScalar(path))
		return
	}
	b.WriteString("# The build can start the image as a restricted pod would and fail unless it works: write the port\n" +
		"# the app listens on and a path that answers 2xx (or run: [\"--version\"] for a command that exits).\n")
	for _, f := range []struct {
		what string
		f    found
	}{{"port", t.port}, {"path", t.path}} {
		if f.f.value != "" {
			fmt.Fprintf(b, "# The %s is from %s.\n", f.what, f.f.from)
		}
	}
	fmt.Fprintf(b, "# test:\n#   http: {port: %s, path: %s}\n", port, yamlScalar(path))
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// healthHTTPYAML is healthcheck.http with the HEALTHCHECK's timing, as a field's value.
func healthHTTPYAML(h *spec.Healthcheck) string {
	v := fmt.Sprintf("\n  http: {port: %d, path: %s}", h.HTTP.Port, yamlScalar(h.HTTP.PathOrDefault()))
	for _, kv := range [][2]string{{"interval", h.Interval}, {"timeout", h.Timeout}, {"start_period", h.StartPeriod}} {
		if kv[1] != "" {
			v += "\n  " + kv[0] + ": " + kv[1]
		}
	}
	if h.Retries > 0 {
		v += "\n  retries: " + strconv.Itoa(h.Retries)
	}
	return v
}

// curlLine is a shell HEALTHCHECK that runs curl or wget alone, with the usual "|| exit 1".
var curlLine = regexp.MustCompile(`^\s*(curl|wget)\s+(.*?)(\s*\|\|\s*exit\s+1)?\s*$`)

// curlShellLine reads such a line as the command it runs, for loopbackURL; ok is false for any other shell
// line (one that chains, pipes, redirects or expands anything).
func curlShellLine(line string) ([]string, bool) {
	m := curlLine.FindStringSubmatch(line)
	if m == nil || strings.ContainsAny(m[2], ";|$`<>()\\\"'") || strings.Contains(m[2], "&&") || strings.HasSuffix(strings.TrimSpace(m[2]), "&") {
		return nil, false
	}
	return append([]string{m[1]}, strings.Fields(m[2])...), true
}

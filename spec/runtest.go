package spec

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Bounds of test.timeout: the test holds the build while it waits.
const (
	DefaultTestTimeout = 10 * time.Second
	MaxTestTimeout     = 2 * time.Minute
)

// TimeoutOrDefault is the test's timeout, DefaultTestTimeout when the spec names none; call it on a
// validated spec.
func (t *Test) TimeoutOrDefault() time.Duration {
	if t == nil || t.Timeout == "" {
		return DefaultTestTimeout
	}
	d, err := time.ParseDuration(t.Timeout)
	if err != nil || d <= 0 {
		return DefaultTestTimeout
	}
	return d
}

// PathOrDefault is the path the http test requests, "/" when the spec names none.
func (h *HTTPTest) PathOrDefault() string {
	if h == nil || h.Path == "" {
		return "/"
	}
	return h.Path
}

const testHint = `write test: {http: {port: 8080, path: /healthz}} for a server, or test: {run: ["--version"]} for a command that exits`

func (c *checker) test() {
	t := c.s.Test
	if t == nil {
		return
	}
	switch {
	case t.HTTP != nil && t.Run != nil:
		c.report("test", "both http and run are written; a test either probes a server or runs a command", "keep one of them")
	case t.HTTP == nil && t.Run == nil:
		c.report("test", "neither http nor run is written", testHint)
	case t.HTTP != nil:
		c.httpProbe("test.http", t.HTTP)
	default:
		c.execForm("test.run", t.Run, true, `write the arguments given to the entrypoint, e.g. run: ["--version"]`)
	}
	c.testEnv(t.Env)
	c.duration("test.timeout", t.Timeout)
	if d, err := time.ParseDuration(t.Timeout); err == nil && d > MaxTestTimeout {
		c.report("test.timeout", quote(t.Timeout)+" is over 2m, the longest a test may hold the build", "write timeout: 2m or less; an app that needs longer to start should answer its probe sooner")
	}
}

// httpProbe checks a loopback GET (test.http, healthcheck.http) at field: a port in range, an absolute URL path.
func (c *checker) httpProbe(field string, h *HTTPTest) {
	const portHint = "write the port the app listens on, from 1 to 65535, e.g. port: 8080"
	switch {
	case h.Port == 0 && !c.s.written(field+".port"):
		c.report(field+".port", "missing", portHint)
	case h.Port < 1 || h.Port > 65535:
		c.report(field+".port", fmt.Sprintf("port %d is out of range", h.Port), portHint)
	}
	p := h.Path
	switch {
	case p == "":
	case hasControl(p):
		r, _ := unsafeRune(p)
		c.report(field+".path", unsafeMsg(quote(p), r), "write the path in printable characters, e.g. path: /healthz")
	case strings.IndexFunc(p, unicode.IsSpace) >= 0 || strings.Contains(p, "#"):
		c.report(field+".path", quote(p)+" is not a URL path", "write the path alone, without spaces or #, e.g. path: /healthz")
	case !strings.HasPrefix(p, "/"):
		c.report(field+".path", quote(p)+" is not absolute", "write path: /"+strings.TrimPrefix(p, "./"))
	}
}

// testEnv checks the names of test.env as env's; its values are held to HX-SEC-ENV's rules by llb.CheckSecretValues.
func (c *checker) testEnv(env map[string]string) {
	const hint = "use letters, digits and _, not starting with a digit, e.g. LOG_LEVEL"
	for _, k := range slices.Sorted(maps.Keys(env)) {
		p := "test.env." + k
		r, unsafe := unsafeRune(k)
		switch {
		case unsafe:
			c.reportKey(p, unsafeMsg("the name "+quote(k), r), hint)
		case !envName.MatchString(k):
			c.reportKey(p, quote(k)+" is not a valid variable name", hint)
		case strings.ContainsRune(env[k], 0):
			c.report(p, "the value contains a NUL byte", "remove it")
		}
	}
}

// writable checks runtime.writable: absolute, clean, distinct paths that hide neither the root nor the app.
func (c *checker) writable() {
	first := map[string]int{}
	for i, w := range c.s.Runtime.Writable {
		p := fmt.Sprintf("runtime.writable[%d]", i)
		workdir := cmpOr(c.s.Workdir, DefaultWorkdir)
		switch {
		case strings.TrimSpace(w) == "":
			c.report(p, "empty path", "remove the item or write an absolute path, e.g. /tmp")
		case hasControl(w):
			r, _ := unsafeRune(w)
			c.report(p, unsafeMsg(quote(w), r), "write an absolute path in printable characters, e.g. /tmp")
		case !path.IsAbs(w):
			c.report(p, quote(w)+" is not absolute", "write "+path.Clean("/"+w))
		case path.Clean(w) != w:
			c.report(p, quote(w)+" is not a clean path", "write "+path.Clean(w))
		case w == "/":
			c.report(p, "the whole root would be writable", "name the directories the app writes, e.g. /tmp")
		case w == workdir || strings.HasPrefix(workdir, w+"/") || w == "/app" || strings.HasPrefix("/app", w+"/"):
			c.report(p, quote(w)+" would be an empty tmpfs over the app's own files", "name a directory outside /app and the workdir, e.g. /tmp, or a subdirectory such as /app/cache")
		default:
			if j, dup := first[w]; dup {
				c.report(p, fmt.Sprintf("%s is listed twice (also runtime.writable[%d])", quote(w), j), "remove one of them")
				continue
			}
			first[w] = i
		}
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

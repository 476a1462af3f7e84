package spec

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
)

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// secretWords mark variable names that hold credentials; image env is readable by anyone who pulls.
var secretWords = []string{"TOKEN", "SECRET", "PASSWORD", "PASSWD", "API_KEY", "PRIVATE_KEY"}

// secretRefSuffixes mark names that point at a secret rather than hold it, like POSTGRES_PASSWORD_FILE.
var secretRefSuffixes = []string{"_FILE", "_PATH", "_DIR"}

func looksSecret(name string) bool {
	up := strings.ToUpper(name)
	for _, suf := range secretRefSuffixes {
		if strings.HasSuffix(up, suf) {
			return false
		}
	}
	for _, w := range secretWords {
		if strings.Contains(up, w) {
			return true
		}
	}
	return false
}

// env checks variable names; image says the variables end up in the image config, where secrets must not.
func (c *checker) env(field string, env map[string]string, image bool) {
	for _, k := range slices.Sorted(maps.Keys(env)) {
		p := field + "." + k
		r, unsafe := unsafeRune(k)
		switch {
		case unsafe:
			c.reportKey(p, unsafeMsg("the name "+quote(k), r), "use letters, digits and _, not starting with a digit, e.g. LOG_LEVEL")
		case !envName.MatchString(k):
			c.reportKey(p, quote(k)+" is not a valid variable name", "use letters, digits and _, not starting with a digit, e.g. LOG_LEVEL")
		case image && looksSecret(k):
			c.reportKey(p, quote(k)+" looks like a secret, and env is stored in the image config for anyone who pulls it to read",
				"inject it when the container runs (docker run -e, a Kubernetes Secret), or pass a build secret if the build needs it")
		case !image && looksSecret(k) && env[k] != "":
			c.reportKey(p, quote(k)+" looks like a secret, and build.env is written in the spec, in every step's cache key and in the build's provenance",
				"pass it as a build secret: build: {secrets: [{id: "+strings.ToLower(k)+", env: "+k+"}]} and docker buildx build --secret id="+strings.ToLower(k)+",env="+k)
		case strings.ContainsRune(env[k], 0):
			c.report(p, "the value contains a NUL byte", "remove it")
		}
	}
}

var portSpec = regexp.MustCompile(`^([0-9]+)(/(tcp|udp))?$`)

func (c *checker) expose() {
	const hint = "write a port from 1 to 65535, optionally with /tcp or /udp, e.g. 8080 or 53/udp"
	for i, e := range c.s.Expose {
		p := fmt.Sprintf("expose[%d]", i)
		m := portSpec.FindStringSubmatch(e)
		if m == nil {
			c.report(p, quote(e)+" is not a port", hint)
			continue
		}
		if n := strings.TrimLeft(m[1], "0"); n == "" || len(n) > 5 || atoi(n) > 65535 {
			c.report(p, "port "+m[1]+" is out of range", hint)
		}
	}
}

// atoi reads a string of at most a few digits, already checked.
func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

func (c *checker) labels() {
	for _, k := range slices.Sorted(maps.Keys(c.s.Labels)) {
		p := "labels." + k
		if strings.TrimSpace(k) == "" {
			// The path of an empty key would read "labels.", so name the map and point at the key.
			pos, ok := c.s.keyPos[p]
			if !ok {
				pos = c.s.where("labels")
			}
			c.add("labels", pos, "empty label key", "write a name, e.g. org.opencontainers.image.description: ...")
			continue
		}
		if r, bad := unsafeRune(k); bad {
			c.reportKey(p, unsafeMsg("the key "+quote(k), r), "write the key in printable characters, e.g. org.opencontainers.image.description")
			continue
		}
		if ReservedLabel(k) {
			c.reportKey(p, quote(k)+" is a label the build sets itself, to record what the image was built from",
				"remove it; name your own labels under your own domain, e.g. com.example.team, or org.opencontainers.image.* (source, revision, description)")
			continue
		}
		if r, bad := unsafeRune(c.s.Labels[k]); bad {
			c.report(p, unsafeMsg("the value", r), "write the value on one line in printable characters")
		}
	}
}

// reservedLabelPrefixes name the labels the build writes about itself: which base it was built on
// (org.opencontainers.image.base.name, .base.digest), the debug variant and the runtime.libs packages.
var reservedLabelPrefixes = []string{"org.opencontainers.image.base.", "io.hardenedbuild.", "io.github.hardenedbuild."}

// ReservedLabel reports whether key is one of the labels the build records about itself, which neither
// the spec nor --label may set: a scanner or an auditor reads them as the build's own word.
func ReservedLabel(key string) bool {
	for _, p := range reservedLabelPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

func (c *checker) healthcheck() {
	h := c.s.Healthcheck
	if h == nil {
		return
	}
	const testHint = `write the command to run, e.g. test: ["/app/server", "-healthcheck"], or http: {port: 8080, path: /healthz} for the build's probe`
	if h.HTTP != nil || c.s.written("healthcheck.http") {
		c.healthcheckHTTP(h)
	} else if len(h.Test) == 0 {
		msg := presence(h.Test != nil, c.s.written("healthcheck.test"))
		c.report("healthcheck.test", msg, testHint)
	} else if t := h.Test[0]; t == "CMD" || t == "CMD-SHELL" || t == "NONE" {
		c.report("healthcheck.test[0]", t+" is added by the build, not written here", "write the command only, e.g. test: [\"/app/server\", \"-healthcheck\"]")
	} else {
		c.execForm("healthcheck.test", h.Test, true, testHint)
	}
	c.duration("healthcheck.interval", h.Interval)
	c.duration("healthcheck.timeout", h.Timeout)
	c.duration("healthcheck.start_period", h.StartPeriod)
	if h.Retries < 0 {
		c.report("healthcheck.retries", fmt.Sprintf("%d is negative", h.Retries), "write retries: 3, or leave it out for the runtime's default")
	}
}

func (c *checker) duration(field, v string) {
	if v == "" {
		return
	}
	hint := fmt.Sprintf("write a Go duration such as %s: 30s or 1m30s", lastName(field))
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		c.report(field, quote(v)+" is not a duration", hint)
	case d <= 0:
		c.report(field, quote(v)+" is not positive", hint)
	case d < time.Millisecond:
		c.report(field, quote(v)+" is under 1ms, the shortest the container runtime accepts", hint)
	}
}

// healthcheckHTTP checks healthcheck.http, the build's probe, which takes the place of a test command.
func (c *checker) healthcheckHTTP(h *Healthcheck) {
	if h.Test != nil || c.s.written("healthcheck.test") {
		c.report("healthcheck", "both test and http are written; the HEALTHCHECK runs either a command of the image or the build's probe",
			"keep http: {port: 8080, path: /healthz} for the probe, or test: [...] for your own command")
	}
	if h.HTTP == nil {
		c.report("healthcheck.http", "empty", "write http: {port: 8080, path: /healthz}")
		return
	}
	c.httpProbe("healthcheck.http", h.HTTP)
}

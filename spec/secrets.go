package spec

import (
	"fmt"
	"path"
	"regexp"
)

// Secret is one build secret: a file (default /run/secrets/<id>) or an environment variable
// that exists only while a builder step runs.
type Secret struct {
	ID       string `yaml:"id" json:"id" desc:"The secret's id, as given to --secret id=ID." example:"netrc"`
	Target   string `yaml:"target,omitempty" json:"target,omitempty" desc:"Absolute path the secret is mounted at (mode 0400, root). Default /run/secrets/<id>; /root/.netrc for Go private modules, /root/.npmrc for a private npm registry." example:"/root/.netrc"`
	Env      string `yaml:"env,omitempty" json:"env,omitempty" desc:"Expose the secret as this environment variable of the step instead of a file." example:"NPM_TOKEN"`
	Optional bool   `yaml:"optional,omitempty" json:"optional,omitempty" desc:"Build without it when the build passes no such secret. Default: the build fails, naming the id."`
}

// SecretTarget is where a file secret is mounted.
func (s Secret) SecretTarget() string {
	if s.Target != "" {
		return s.Target
	}
	return "/run/secrets/" + s.ID
}

// secretID is what BuildKit accepts as a secret or SSH id without surprises.
var secretID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// secrets checks build.secrets and build.ssh: ids present, distinct and plain; targets
// absolute and outside the directories the build's own files live in.
func (c *checker) secrets() {
	seen := map[string]bool{}
	targets := map[string]bool{}
	for i, sec := range c.s.Build.Secrets {
		p := fmt.Sprintf("build.secrets[%d]", i)
		switch {
		case sec.ID == "":
			c.report(p+".id", presence(false, c.s.written(p+".id")), "write the id given to --secret, e.g. id: netrc")
		case !secretID.MatchString(sec.ID):
			c.report(p+".id", quote(sec.ID)+" is not a secret id", "use letters, digits, '.', '_' and '-', e.g. id: npmrc")
		case seen[sec.ID]:
			c.report(p+".id", "secret "+quote(sec.ID)+" is listed twice", "list each secret once")
		}
		seen[sec.ID] = true
		if sec.Env != "" {
			if !envName.MatchString(sec.Env) {
				c.report(p+".env", quote(sec.Env)+" is not a valid variable name", "use letters, digits and _, e.g. env: NPM_TOKEN")
			}
			if sec.Target != "" {
				c.report(p+".target", "a secret is either a file (target) or a variable (env), not both", "remove target or env")
			}
			continue
		}
		t := sec.Target
		switch {
		case t == "":
		case hasControl(t):
			c.report(p+".target", quote(t)+" contains a control character", "write an absolute path, e.g. target: /root/.netrc")
		case !path.IsAbs(t):
			c.report(p+".target", quote(t)+" is not absolute", "write target: "+path.Clean("/"+t))
		case path.Clean(t) != t:
			c.report(p+".target", quote(t)+" is not a clean path", "write target: "+path.Clean(t))
		case underAny(t, "/src", "/out", "/app", "/hardened", "/deps"):
			c.report(p+".target", quote(t)+" is inside the build's own files, where a step could copy it into the image",
				"mount it outside /src, /out, /hardened, /deps and /app, e.g. target: /run/secrets/"+sec.ID)
		case targets[t]:
			c.report(p+".target", "two secrets are mounted at "+quote(t), "give each secret its own target")
		}
		targets[sec.SecretTarget()] = true
	}
	sshSeen := map[string]bool{}
	for i, id := range c.s.Build.SSH {
		p := fmt.Sprintf("build.ssh[%d]", i)
		switch {
		case !secretID.MatchString(id):
			c.report(p, quote(id)+" is not an SSH id", "write the id given to --ssh, e.g. ssh: [default]")
		case sshSeen[id]:
			c.report(p, "SSH id "+quote(id)+" is listed twice", "list each id once")
		}
		sshSeen[id] = true
	}
	c.waivers() // the waivers of the build's secret checks, checked here to keep Validate's list as it is
}

// underAny says whether p is one of dirs or inside one.
func underAny(p string, dirs ...string) bool {
	for _, d := range dirs {
		if p == d || len(p) > len(d) && p[:len(d)] == d && p[len(d)] == '/' {
			return true
		}
	}
	return false
}

// WithBuildArgs returns the spec with its build args resolved into the builder's environment:
// given holds the build's --build-arg values, and a declared arg the build does not pass keeps
// its default. Undeclared build args are ignored, as a Dockerfile ignores args it has no ARG for.
func (s *Spec) WithBuildArgs(given map[string]string) *Spec {
	if len(s.Build.Args) == 0 {
		return s
	}
	cp := *s
	cp.Build.Env = make(map[string]string, len(s.Build.Env)+len(s.Build.Args))
	for k, v := range s.Build.Env {
		cp.Build.Env[k] = v
	}
	for k, def := range s.Build.Args {
		if v, ok := given[k]; ok {
			def = v
		}
		cp.Build.Env[k] = def
	}
	return &cp
}

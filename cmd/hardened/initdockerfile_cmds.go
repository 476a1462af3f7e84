package main

import (
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/spec"
)

// shellMeta are what makes a shell line more than a plain command.
const shellMeta = "|&;<>$`(){}*?~\\\"'"

// plainCommand splits a shell-form line that is one plain command into exec form; ok is false for
// anything a shell would do more with (a pipeline, a variable, quoting).
func plainCommand(line string) ([]string, bool) {
	if strings.ContainsAny(line, shellMeta) {
		return nil, false
	}
	f := strings.Fields(line)
	return f, len(f) > 0
}

// final collects one instruction of the final stage.
func (m *migration) final(c instructions.Command, stages []instructions.Stage) {
	switch c := c.(type) {
	case *instructions.ExposeCommand:
		m.exposeCmd(c)
	case *instructions.EnvCommand:
		for _, kv := range c.Env {
			switch {
			case audit.SecretEnv(kv.Key, kv.Value):
				m.notef("ENV %s: a secret by its name or value; pass it at run time, never in the image", kv.Key)
			case strings.Contains(kv.Value, "$"):
				m.notef("ENV %s=%s: refers to another variable; write its value", kv.Key, kv.Value)
			case kv.Key == "PORT" && privileged(kv.Value):
				m.notef("ENV PORT=%s: a port below 1024 needs root to bind, and the image runs as a non-root user; the app listens on its own default, or set PORT to 8080 or above", kv.Value)
			default:
				m.env[kv.Key] = kv.Value
			}
		}
	case *instructions.WorkdirCommand:
		if p := m.expand(c.Path); path.IsAbs(p) && !strings.Contains(p, "$") {
			m.workdir = path.Clean(p)
		}
	case *instructions.UserCommand:
		m.userCmd(c.User)
	case *instructions.EntrypointCommand:
		m.entrypoint = m.execForm("ENTRYPOINT", c.ShellDependantCmdLine)
	case *instructions.CmdCommand:
		m.cmd = m.execForm("CMD", c.ShellDependantCmdLine)
	case *instructions.HealthCheckCommand:
		m.healthCmd(c)
	case *instructions.RunCommand:
		m.aptInstall(c)
	case *instructions.AddCommand:
		for _, src := range c.SourcePaths {
			if strings.Contains(src, "://") {
				m.notef("ADD %s: a download at build time; vendor the file or fetch it in build.steps with its checksum", src)
			}
		}
	case *instructions.CopyCommand:
		m.copyCmd(c)
	}
}

// expand is word with the final stage's ENV so far substituted, by BuildKit's own lexer, as the
// Dockerfile frontend expands EXPOSE ${PORT}; as it was when that fails.
func (m *migration) expand(word string) string {
	if !strings.Contains(word, "$") {
		return word
	}
	env := make([]string, 0, len(m.env))
	for k, v := range m.env {
		env = append(env, k+"="+v)
	}
	out, _, err := shell.NewLex('\\').ProcessWord(word, shell.EnvsFromSlice(env))
	if err != nil || out == "" {
		return word
	}
	return out
}

// privileged says v is a port number below 1024.
func privileged(v string) bool {
	n, err := strconv.Atoi(v)
	return err == nil && n > 0 && n < 1024
}

func (m *migration) exposeCmd(c *instructions.ExposeCommand) {
	for _, p := range c.Ports {
		p = m.expand(p)
		num, proto, _ := strings.Cut(p, "/")
		n, err := strconv.Atoi(num)
		switch {
		case err != nil || (proto != "" && proto != "tcp" && proto != "udp"):
			m.notef("EXPOSE %s: not one port; write each as 8080 or 53/udp", p)
		case n < 1024:
			m.notef("EXPOSE %s: a port below 1024 needs root to bind, and the image runs as a non-root user; listen on 8080 or above and publish it as %d", p, n)
		default:
			m.expose = append(m.expose, p)
		}
	}
}

// userCmd carries a numeric non-root user over, and distroless's nonroot by its uid.
func (m *migration) userCmd(u string) {
	uid, _, _ := strings.Cut(u, ":")
	switch {
	case u == "nonroot" || u == "nonroot:nonroot":
		m.user = "65532:65532"
	case strings.Trim(strings.ReplaceAll(u, ":", ""), "0123456789") == "" && uid != "0" && uid != "":
		m.user = u
	case uid == "0" || uid == "root":
		m.notef("USER %s: the image never runs as root; it runs as 65532", u)
	default:
		m.notef("USER %s: not a number; distroless has no such user, so the image runs as 65532 (write user: UID for another)", u)
	}
}

// execForm is an ENTRYPOINT's or CMD's arguments in exec form, with the Dockerfile's binary paths
// mapped to /app; nil with a note when it is a shell line that is more than one command.
func (m *migration) execForm(what string, c instructions.ShellDependantCmdLine) []string {
	args := c.CmdLine
	if c.PrependShell {
		var ok bool
		if args, ok = plainCommand(strings.Join(c.CmdLine, " ")); !ok {
			m.notef("%s %s: a shell line, and the image has no shell; write it in exec form", what, strings.Join(c.CmdLine, " "))
			return nil
		}
	}
	return m.mapBinary(slices.Clone(args))
}

// mapBinary points the first argument at /app when it is a binary the Dockerfile built.
func (m *migration) mapBinary(args []string) []string {
	if len(args) == 0 {
		return args
	}
	bin := path.Clean(args[0])
	if strings.HasPrefix(args[0], "./") {
		bin = m.inWorkdir(args[0])
	}
	if pkg, ok := m.binaries[bin]; ok {
		args[0] = "/app/" + m.nameOf(pkg)
	}
	return args
}

func (m *migration) healthCmd(c *instructions.HealthCheckCommand) {
	h := c.Health
	if h == nil || len(h.Test) == 0 || h.Test[0] == "NONE" {
		return
	}
	test := h.Test[1:]
	if h.Test[0] == "CMD-SHELL" {
		var ok bool
		if test, ok = plainCommand(strings.Join(test, " ")); !ok {
			test, ok = curlShellLine(strings.Join(h.Test[1:], " "))
		}
		if !ok {
			m.notef("HEALTHCHECK %s: a shell line, and the image has no shell; write healthcheck.test in exec form", strings.Join(h.Test[1:], " "))
			return
		}
	}
	hc := &spec.Healthcheck{Retries: h.Retries}
	if slices.Contains([]string{"curl", "wget"}, path.Base(test[0])) {
		if hc.HTTP = loopbackURL(test[1:]); hc.HTTP == nil {
			m.notef("HEALTHCHECK runs %s, which distroless does not have; give the app a check mode (healthcheck: {test: [/app/NAME, -check]}) or write healthcheck: {http: {port: 8080, path: /healthz}}", path.Base(test[0]))
			return
		}
		m.healthHTTP = hc // the build's probe GETs the same loopback URL
	} else {
		hc.Test = m.mapBinary(slices.Clone(test))
		m.health = hc
	}
	for _, d := range []struct {
		to  *string
		val int64
	}{{&hc.Interval, int64(h.Interval)}, {&hc.Timeout, int64(h.Timeout)}, {&hc.StartPeriod, int64(h.StartPeriod)}} {
		if d.val > 0 {
			*d.to = durationString(d.val)
		}
	}
}

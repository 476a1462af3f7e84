package dockerfile

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"

	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/plan"
	"github.com/hardenedbuild/hardened/spec"
)

// translator writes the builder's chain as Dockerfile instructions.
type translator struct {
	w     *writer
	s     *spec.Spec
	chain []link
	// stage is the name of the stage being written; stages counts them.
	stage  string
	stages int
	// cwd and env are what the stage's WORKDIR and ENV lines have set so far.
	cwd string
	env map[string]string
	// images are the references to write for the image sources an exec bind-mounts, by identifier.
	images map[string]string
	// files are the context files the language read (Options.Files): which of its names exist.
	files hllb.Files
	// stageOf names the stage that ends with a chain op's result, by the op's digest, for a later
	// step that bind-mounts that result.
	stageOf map[digest.Digest]string
}

// mountedLater reports whether an exec after link i bind-mounts link i's result.
func mountedLater(chain []link, i int) bool {
	for _, l := range chain[i+1:] {
		e := l.op.GetExec()
		for _, m := range e.GetMounts() {
			if m.MountType == pb.MountType_BIND && m.Dest != "/" && m.Input >= 0 && int(m.Input) < len(l.inputs) &&
				l.inputs[m.Input] == chain[i].digest && l.op.Inputs[m.Input].Index == 0 {
				return true
			}
		}
	}
	return false
}

// splitStage ends the stage at op d's result and goes on in a new stage FROM it, so a later RUN
// can mount that result by the stage's name.
func (t *translator) splitStage(d digest.Digest) {
	if t.stageOf == nil {
		t.stageOf = map[digest.Digest]string{}
	}
	t.stageOf[d] = t.stage
	t.stages++
	next := fmt.Sprintf("build-%d", t.stages+1)
	t.w.line("FROM %s AS %s", t.stage, next)
	t.stage = next
}

// sideStage writes a chain that starts again from the builder image (from: its FROM line's reference)
// as a stage of its own, which may mount the build stages' results, and returns its name. The build stage's
// directory and environment do not carry into it.
func (t *translator) sideStage(chain []link, from string) string {
	side := &translator{w: t.w, s: t.s, chain: chain, stage: "deps", stages: t.stages, images: t.images, files: t.files, stageOf: t.stageOf}
	t.w.line("")
	t.w.line("FROM %s AS %s", from, side.stage)
	side.buildArgs()
	for i := range chain {
		side.op(i)
		if mountedLater(chain, i) {
			side.splitStage(chain[i].digest)
		}
	}
	return side.stage
}

// buildArgs declares build.args as ARGs with the spec's defaults, so --build-arg overrides them as
// it does for the frontend, and sets them for the stage's steps.
func (t *translator) buildArgs() {
	t.env = map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(t.s.Build.Args)) {
		t.w.line("ARG %s=%s", k, t.w.quote("build.args."+k, t.s.Build.Args[k]))
		t.w.line("ENV %s=$%s", k, k)
		t.env[k] = t.s.Build.Args[k]
	}
}

func (t *translator) op(i int) {
	l := t.chain[i]
	switch {
	case l.op.GetExec() != nil:
		t.exec(i)
	case l.op.GetFile() != nil:
		t.file(l)
	}
}

// stepEnv is an exec's environment as a step sees it, without what BuildKit sets for every
// frontend (the default PATH, the SSH agent's socket).
func stepEnv(e *pb.ExecOp) map[string]string {
	env := map[string]string{}
	for _, kv := range e.Meta.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	if "PATH="+env["PATH"] == hllbDefaultPath {
		delete(env, "PATH")
	}
	delete(env, "SSH_AUTH_SOCK")
	return env
}

// hllbDefaultPath is the PATH BuildKit gives a step whose image sets none.
const hllbDefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

func (t *translator) exec(i int) {
	w, e := t.w, t.chain[i].op.GetExec()
	if t.chain[i].name != "" {
		w.comment(t.chain[i].name)
	}
	if e.Meta.Cwd != "" && e.Meta.Cwd != t.cwd {
		w.line("WORKDIR %s", w.path("the step's directory", e.Meta.Cwd))
		t.cwd = e.Meta.Cwd
	}
	args := e.Meta.Args
	if prefix := t.envPrefix(i, stepEnv(e)); len(prefix) > 0 {
		args = slices.Concat([]string{"env"}, prefix, args)
	}
	var flags []string
	if e.Network == pb.NetMode_NONE {
		flags = append(flags, "--network=none")
	}
	for _, m := range e.Mounts {
		if m.Dest == "/" {
			continue
		}
		if f := t.mountFlag(i, m); f != "" {
			flags = append(flags, f)
		}
	}
	for _, se := range e.Secretenv {
		f := fmt.Sprintf("--mount=type=secret,id=%s,env=%s", w.path("secret id", se.ID), w.path("secret env", se.Name))
		if !se.Optional {
			f += ",required=true"
		}
		flags = append(flags, f)
	}
	w.line("RUN %s", strings.Join(append(flags, w.execForm(t.chain[i].name, args)), " "))
}

// envPrefix writes the ENV lines exec i's environment calls for and returns what goes before
// its command through env(1). A variable most steps from here on set to the same value becomes an
// ENV; one of fewer steps goes before the command, which also unsets one the step runs without.
func (t *translator) envPrefix(i int, env map[string]string) []string {
	var prefix []string
	for _, k := range slices.Sorted(maps.Keys(t.env)) {
		if _, ok := env[k]; !ok {
			prefix = append(prefix, "-u", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		v := env[k]
		if cur, ok := t.env[k]; ok && cur == v {
			continue
		}
		if t.mostLaterSteps(i, k, v) {
			t.w.line("ENV %s=%s", k, t.w.quote("the step's environment", v))
			t.env[k] = v
			continue
		}
		prefix = append(prefix, k+"="+v)
	}
	return prefix
}

// mountFlag is RUN's --mount flag for one of exec i's mounts; a mount a Dockerfile cannot
// express fails the writer (and gives "").
func (t *translator) mountFlag(i int, m *pb.Mount) string {
	w, l := t.w, t.chain[i]
	switch {
	case m.MountType == pb.MountType_CACHE && m.CacheOpt != nil:
		sharing := map[pb.CacheSharingOpt]string{pb.CacheSharingOpt_SHARED: "shared", pb.CacheSharingOpt_PRIVATE: "private", pb.CacheSharingOpt_LOCKED: "locked"}[m.CacheOpt.Sharing]
		return fmt.Sprintf("--mount=type=cache,id=%s,target=%s,sharing=%s", w.path("cache id", m.CacheOpt.ID), w.path("cache target", m.Dest), sharing)
	case m.MountType == pb.MountType_SECRET && m.SecretOpt != nil:
		f := fmt.Sprintf("--mount=type=secret,id=%s,target=%s,mode=%04o", w.path("secret id", m.SecretOpt.ID), w.path("secret target", m.Dest), m.SecretOpt.Mode)
		if !m.SecretOpt.Optional {
			f += ",required=true"
		}
		return f
	case m.MountType == pb.MountType_SSH && m.SSHOpt != nil:
		f := "--mount=type=ssh,id=" + w.path("ssh id", m.SSHOpt.ID)
		if !m.SSHOpt.Optional {
			f += ",required=true"
		}
		return f
	case m.MountType == pb.MountType_BIND && m.Input >= 0 && int(m.Input) < len(l.inputs) && t.images[l.sources[m.Input]] != "":
		f := "--mount=type=bind,from=" + t.images[l.sources[m.Input]] + ",target=" + w.path("bind target", m.Dest)
		if !m.Readonly {
			f += ",rw"
		}
		return f
	case m.MountType == pb.MountType_BIND && m.Input >= 0 && int(m.Input) < len(l.inputs) && t.stageOf[l.inputs[m.Input]] != "":
		f := "--mount=type=bind,from=" + t.stageOf[l.inputs[m.Input]]
		if m.Selector != "" {
			f += ",source=" + w.path("bind source", m.Selector)
		}
		f += ",target=" + w.path("bind target", m.Dest)
		if !m.Readonly {
			f += ",rw"
		}
		return f
	case m.MountType == pb.MountType_TMPFS:
		return "--mount=type=tmpfs,target=" + w.path("tmpfs target", m.Dest)
	}
	w.fail("%s: the step mounts %s at %s, which a Dockerfile written here cannot", l.name, m.MountType, m.Dest)
	return ""
}

// mostLaterSteps reports whether more of the execs from i on set k to v than do not.
func (t *translator) mostLaterSteps(i int, k, v string) bool {
	n := 0
	for _, l := range t.chain[i:] {
		if e := l.op.GetExec(); e != nil {
			if got, ok := stepEnv(e)[k]; ok && got == v {
				n++
			} else {
				n--
			}
		}
	}
	return n > 0
}

// file writes a file op's actions; a copy from the builder itself reads the stage before.
func (t *translator) file(l link) {
	w := t.w
	if l.name != "" {
		w.comment(l.name)
	}
	fo := l.op.GetFile()
	prev := ""
	for _, a := range fo.Actions {
		if l.selfCopy(a) {
			prev = t.stage
		}
	}
	if prev != "" {
		t.stages++
		t.stage = fmt.Sprintf("build-%d", t.stages+1)
		w.line("FROM %s AS %s", prev, t.stage)
	}
	for i, a := range fo.Actions {
		if i > 0 && a.Input != int64(len(l.inputs)+i-1) {
			w.fail("%s: the file step's actions do not build on each other", l.name)
		}
		switch {
		case a.GetCopy() != nil:
			t.copyAction(l, a, prev)
		case a.GetMkdir() != nil:
			m := a.GetMkdir()
			if m.Mode != 0o755 || !m.MakeParents || m.Owner != nil {
				w.fail("%s: a directory %s with mode %o is not written here", l.name, m.Path, m.Mode)
			}
			// WORKDIR makes the directory, with its parents, root-owned 0755; the next RUN
			// sets its own.
			w.line("WORKDIR %s", w.path("directory", m.Path))
			t.cwd = m.Path
		case a.GetMkfile() != nil:
			t.mkfile(l, a.GetMkfile())
		case a.GetSymlink() != nil:
			sl := a.GetSymlink()
			w.line("RUN --network=none %s", w.execForm("symlink", []string{"ln", "-sfn", "--", sl.Oldpath, sl.Newpath}))
		case a.GetRm() != nil:
			args := []string{"rm", "-r"}
			if a.GetRm().AllowNotFound {
				args = append(args, "-f")
			}
			w.line("RUN --network=none %s", w.execForm("remove", append(args, "--", a.GetRm().Path)))
		}
	}
}

// copyAction writes a file op's copy: from the stage before (prev) when it copies from the
// builder itself, else from the build context.
func (t *translator) copyAction(l link, a *pb.FileAction, prev string) {
	w, c := t.w, a.GetCopy()
	var flags []string
	if c.Owner != nil {
		w.fail("%s: a copy with an owner is not written here", l.name)
	}
	if c.ModeStr != "" {
		flags = append(flags, "--chmod="+w.path("copy mode", c.ModeStr))
	} else if c.Mode >= 0 {
		flags = append(flags, fmt.Sprintf("--chmod=%04o", c.Mode))
	}
	if a.SecondaryInput < 0 || int(a.SecondaryInput) >= len(l.inputs) {
		w.fail("%s: a copy from another action is not written here", l.name)
		return
	}
	if l.selfCopy(a) {
		src := c.Src
		if c.DirCopyContents && !strings.HasSuffix(src, "/") {
			src += "/"
		}
		w.line("COPY %s%s %s", strings.Join(append(flags, "--from="+prev, ""), " "), w.path("copy source", src), w.path("copy destination", c.Dest))
		return
	}
	if l.sources[a.SecondaryInput] != "local://context" {
		w.fail("%s: a copy from %s is not written here", l.name, l.inputs[a.SecondaryInput])
		return
	}
	t.contextCopy(l, c, flags)
}

// mkfile writes a file the step makes as a heredoc COPY.
func (t *translator) mkfile(l link, f *pb.FileActionMkFile) {
	w := t.w
	data := string(f.Data)
	const eof = "HARDENED_EOF"
	if !strings.HasSuffix(data, "\n") || strings.Contains("\n"+data, "\n"+eof+"\n") || f.Owner != nil {
		w.fail("%s: the file %s cannot be written as a heredoc", l.name, f.Path)
	}
	w.line("COPY --chmod=%04o <<\"%s\" %s", f.Mode, eof, w.path("file", f.Path))
	w.b.WriteString(data)
	w.line("%s", eof)
}

// maybeMissing writes a name of the language's files that the context lacks as a pattern matching
// only it (Cargo.tom[l]) when the frontend's copy allows it to be missing: COPY fails on a missing
// name, not on a wildcard that matches nothing.
func (t *translator) maybeMissing(c *pb.FileActionCopy, p string) string {
	if _, ok := t.files[p]; ok || !c.AllowEmptyWildcard || strings.ContainsAny(p, "*?[\\") || !slices.Contains(plan.ContextFiles(t.s), p) {
		return p
	}
	return p[:len(p)-1] + "[" + p[len(p)-1:] + "]"
}

// contextCopy writes a copy from the build context.
func (t *translator) contextCopy(l link, c *pb.FileActionCopy, flags []string) {
	w := t.w
	dest := c.Dest
	src := strings.TrimPrefix(path.Clean(c.Src), "/")
	if src == "" {
		src = "."
	}
	if src == "." && c.DirCopyContents {
		dest = strings.TrimSuffix(dest, "/") + "/"
	}
	for _, p := range c.ExcludePatterns {
		flags = append(flags, "--exclude="+w.pattern("exclude pattern", p))
	}
	srcs := []string{src}
	if len(c.IncludePatterns) > 0 {
		if src != "." {
			w.fail("%s: include patterns on %s are not written here", l.name, c.Src)
		}
		// --parents keeps each name's path under the destination.
		flags = append(flags, "--parents")
		srcs = nil
		for _, p := range c.IncludePatterns {
			srcs = append(srcs, w.pattern("include pattern", t.maybeMissing(c, p)))
		}
		sort.Strings(srcs)
	} else {
		w.path("copy source", src)
	}
	w.line("COPY %s%s %s", strings.Join(append(flags, ""), " "), strings.Join(srcs, " "), w.path("copy destination", dest))
}

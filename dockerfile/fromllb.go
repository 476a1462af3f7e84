package dockerfile

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/plan"
	"github.com/hardenedbuild/hardened/spec"
)

// buildPlatform stands for the build platform when a language is asked where its builder runs:
// a builder on it gets FROM --platform=$BUILDPLATFORM.
var buildPlatform = ocispecs.Platform{OS: "linux", Architecture: "buildplatform"}

// translated writes any language's build as a Dockerfile by translating the builder stage the
// frontend's own conversion makes (llb.Convert), op by op, so the Dockerfile runs the same
// commands with the same cache mounts, secrets, network and environment in the same order:
// one code path for every language, which a new language gets without a line here.
//
//   - an exec is a RUN in exec form, with WORKDIR for its directory, ENV for the variables every
//     later step shares and an `env NAME=VALUE` prefix for a variable of that step alone;
//   - a copy from the context is a COPY (--parents for a list of names, --exclude for what the
//     step leaves out); a copy from the builder itself starts a new stage FROM the one before it,
//     which the COPY reads with --from;
//   - a directory is made with WORKDIR, a file with a COPY heredoc, a symlink with RUN ln.
//
// The final stage is the spec's base with /app taken from the last builder stage and the image
// config the frontend writes.
func translated(s *spec.Spec, opts Options) ([]byte, error) {
	pl, err := plan.New(s, opts.Files, opts.Platform, buildPlatform)
	if err != nil {
		return nil, err
	}
	breq := pl.Builder
	builderRef := "scratch"
	if breq.Ref != "" {
		if builderRef, err = from(breq, opts); err != nil {
			return nil, err
		}
	}
	builder := bkllb.Scratch()
	if breq.Ref != "" {
		builder = bkllb.Image(breq.Ref)
	}
	res, err := hllb.Convert(s, hllb.Inputs{
		Plan:    pl,
		Context: bkllb.Local("context"),
		Files:   opts.Files,
		Builder: hllb.Image{Ref: breq.Ref, State: builder},
		Target:  opts.Platform,
		// The runtime-libs stage is written on its own (runtimeLibs); only the builder is read here.
		Libs: &hllb.Libs{State: bkllb.Scratch()},
	})
	if err != nil {
		return nil, err
	}
	def, err := res.Builder.Marshal(context.Background(), bkllb.Platform(opts.Platform))
	if err != nil {
		return nil, fmt.Errorf("marshal the builder: %w", err)
	}
	chain, err := builderChain(def)
	if err != nil {
		return nil, err
	}

	baseReq, base, baseName, baseDigest, err := finalBase(s, opts)
	if err != nil {
		return nil, err
	}

	cannot := []string{"take settings from the builder image's config"}
	if copiesWithTime(chain) {
		cannot = append(cannot, "give the copied source one modification time in the future (cargo then compiles a local crate whenever the source changed, even to files older than its last build)")
	}
	w := &writer{}
	w.header(opts.Source, "the build the hardened frontend runs for language "+s.Language+", step by step, written for BuildKit's Dockerfile frontend (COPY --parents and --exclude: the builtin frontend of BuildKit v0.26 or newer, or a syntax line for docker/dockerfile:1.20).",
		cannot...)

	t := &translator{w: w, s: s, chain: chain, stage: "build", cwd: ""}
	platform := ""
	if breq.Ref != "" && breq.Platform.Architecture == buildPlatform.Architecture {
		platform = "--platform=$BUILDPLATFORM "
	}
	w.line("FROM %s%s AS %s", platform, builderRef, t.stage)
	t.buildArgs()
	for i := range chain {
		t.op(i)
	}
	labels, err := finalFrom(w, s, opts, breq, builderRef, baseReq, base)
	if err != nil {
		return nil, err
	}
	w.comment("Root-owned, without setuid/setgid bits whatever the builder left (symbolic --chmod, as the\nfrontend strips them).")
	if pl.AppDir {
		if d := res.Deps; d != nil {
			// The dependency tree is where the builder made it (the frontend copies it from the
			// step that made it, so a source change leaves that copy's hash cached).
			w.line("COPY --from=%s --chmod=u-s,g-s %s %s/%s", t.stage, d.Src, hllb.ArtifactDir, d.Dest)
		}
		w.line("COPY --from=%s --chmod=u-s,g-s %s/ %s/", t.stage, hllb.OutDir, hllb.ArtifactDir)
	} else {
		for _, a := range s.Artifacts {
			name := w.path("artifacts", spec.ArtifactName(a))
			w.line("COPY --from=%s --chmod=u-s,g-s %s/%s %s/%s", t.stage, hllb.OutDir, name, hllb.ArtifactDir, name)
		}
	}
	w.imageConfig(s, opts.Files, baseName, baseDigest, labels)
	if w.err != nil {
		return nil, w.err
	}
	return w.b.Bytes(), nil
}

// link is one op of the builder's chain: the op, its name and the digests of its inputs.
type link struct {
	op     *pb.Op
	name   string
	inputs []digest.Digest
	// sources are the identifiers of the inputs that are sources ("local://context").
	sources []string
	// base is the input the op builds on (-1: scratch).
	base int
}

// builderChain orders the builder's ops from its image to its result, following each op's
// root filesystem; the context is the only other input an op may read (besides the chain's
// own state before it, for a copy).
func builderChain(def *bkllb.Definition) ([]link, error) {
	ops := map[digest.Digest]*pb.Op{}
	var last *pb.Op
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.Unmarshal(dt); err != nil {
			return nil, fmt.Errorf("read the builder's LLB: %w", err)
		}
		ops[digest.FromBytes(dt)] = &op
		last = &op
	}
	if last == nil || len(last.Inputs) != 1 {
		return nil, fmt.Errorf("the builder's LLB has no result")
	}
	var chain []link
	identifier := func(d digest.Digest) string {
		if src := ops[d].GetSource(); src != nil {
			return src.Identifier
		}
		return ""
	}
	for d := digest.Digest(last.Inputs[0].Digest); d != ""; {
		op := ops[d]
		if op == nil {
			return nil, fmt.Errorf("the builder's LLB lacks op %s", d)
		}
		l := link{op: op, base: -1}
		for _, in := range op.Inputs {
			l.inputs = append(l.inputs, digest.Digest(in.Digest))
			l.sources = append(l.sources, identifier(digest.Digest(in.Digest)))
		}
		if md, ok := def.Metadata[d]; ok {
			l.name = md.Description["llb.customname"]
		}
		switch {
		case op.GetSource() != nil:
			d = ""
		case op.GetExec() != nil:
			for _, m := range op.GetExec().Mounts {
				if m.Dest == "/" {
					l.base = int(m.Input)
				}
			}
		case op.GetFile() != nil:
			acts := op.GetFile().Actions
			if len(acts) > 0 && acts[0].Input >= 0 && int(acts[0].Input) < len(op.Inputs) {
				l.base = int(acts[0].Input)
			}
		default:
			return nil, fmt.Errorf("the builder has an op a Dockerfile cannot write (%T)", op.Op)
		}
		if op.GetSource() == nil {
			d = ""
			if l.base >= 0 {
				d = l.inputs[l.base]
				if src := ops[d].GetSource(); src != nil && !strings.HasPrefix(src.Identifier, "docker-image://") {
					return nil, fmt.Errorf("the builder starts from %s, which a Dockerfile cannot write", src.Identifier)
				}
			}
		}
		chain = append(chain, l)
	}
	slices.Reverse(chain)
	if len(chain) > 0 && chain[0].op.GetSource() != nil {
		chain = chain[1:] // the builder image: the first FROM
	}
	return chain, nil
}

// copiesWithTime reports whether a copy in the chain sets its files' times, which COPY cannot.
func copiesWithTime(chain []link) bool {
	for _, l := range chain {
		for _, a := range l.op.GetFile().GetActions() {
			if c := a.GetCopy(); c != nil && c.Timestamp > 0 {
				return true
			}
		}
	}
	return false
}

// selfCopy reports whether a is a copy from the state the op builds on.
func (l link) selfCopy(a *pb.FileAction) bool {
	return a.GetCopy() != nil && l.base >= 0 && a.SecondaryInput >= 0 && int(a.SecondaryInput) < len(l.inputs) &&
		l.inputs[a.SecondaryInput] == l.inputs[l.base]
}

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
	env := stepEnv(e)
	// A variable most steps from here on set to the same value becomes an ENV; one of fewer
	// steps goes before the command, through env(1), which also unsets one the step runs without.
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
			w.line("ENV %s=%s", k, w.quote("the step's environment", v))
			t.env[k] = v
			continue
		}
		prefix = append(prefix, k+"="+v)
	}
	args := e.Meta.Args
	if len(prefix) > 0 {
		args = slices.Concat([]string{"env"}, prefix, args)
	}

	var flags []string
	if e.Network == pb.NetMode_NONE {
		flags = append(flags, "--network=none")
	}
	for _, m := range e.Mounts {
		switch {
		case m.Dest == "/":
		case m.MountType == pb.MountType_CACHE && m.CacheOpt != nil:
			sharing := map[pb.CacheSharingOpt]string{pb.CacheSharingOpt_SHARED: "shared", pb.CacheSharingOpt_PRIVATE: "private", pb.CacheSharingOpt_LOCKED: "locked"}[m.CacheOpt.Sharing]
			flags = append(flags, fmt.Sprintf("--mount=type=cache,id=%s,target=%s,sharing=%s", w.path("cache id", m.CacheOpt.ID), w.path("cache target", m.Dest), sharing))
		case m.MountType == pb.MountType_SECRET && m.SecretOpt != nil:
			f := fmt.Sprintf("--mount=type=secret,id=%s,target=%s,mode=%04o", w.path("secret id", m.SecretOpt.ID), w.path("secret target", m.Dest), m.SecretOpt.Mode)
			if !m.SecretOpt.Optional {
				f += ",required=true"
			}
			flags = append(flags, f)
		case m.MountType == pb.MountType_SSH && m.SSHOpt != nil:
			f := "--mount=type=ssh,id=" + w.path("ssh id", m.SSHOpt.ID)
			if !m.SSHOpt.Optional {
				f += ",required=true"
			}
			flags = append(flags, f)
		case m.MountType == pb.MountType_BIND && m.Input >= 0 && int(m.Input) < len(t.chain[i].inputs) && t.images[t.chain[i].sources[m.Input]] != "":
			f := "--mount=type=bind,from=" + t.images[t.chain[i].sources[m.Input]] + ",target=" + w.path("bind target", m.Dest)
			if !m.Readonly {
				f += ",rw"
			}
			flags = append(flags, f)
		case m.MountType == pb.MountType_TMPFS:
			flags = append(flags, "--mount=type=tmpfs,target="+w.path("tmpfs target", m.Dest))
		default:
			w.fail("%s: the step mounts %s at %s, which a Dockerfile written here cannot", t.chain[i].name, m.MountType, m.Dest)
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
			c := a.GetCopy()
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
				continue
			}
			if l.selfCopy(a) {
				src := c.Src
				if c.DirCopyContents && !strings.HasSuffix(src, "/") {
					src += "/"
				}
				w.line("COPY %s%s %s", strings.Join(append(flags, "--from="+prev, ""), " "), w.path("copy source", src), w.path("copy destination", c.Dest))
				continue
			}
			if l.sources[a.SecondaryInput] != "local://context" {
				w.fail("%s: a copy from %s is not written here", l.name, l.inputs[a.SecondaryInput])
				continue
			}
			t.contextCopy(l, c, flags)
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
			f := a.GetMkfile()
			data := string(f.Data)
			const eof = "HARDENED_EOF"
			if !strings.HasSuffix(data, "\n") || strings.Contains("\n"+data, "\n"+eof+"\n") || f.Owner != nil {
				w.fail("%s: the file %s cannot be written as a heredoc", l.name, f.Path)
			}
			w.line("COPY --chmod=%04o <<\"%s\" %s", f.Mode, eof, w.path("file", f.Path))
			w.b.WriteString(data)
			w.line("%s", eof)
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
		// --parents keeps each name's path under the destination and, as the frontend's
		// include patterns do, passes over a name the context lacks.
		flags = append(flags, "--parents")
		srcs = nil
		for _, p := range c.IncludePatterns {
			srcs = append(srcs, w.pattern("include pattern", p))
		}
		sort.Strings(srcs)
	} else {
		w.path("copy source", src)
	}
	w.line("COPY %s%s %s", strings.Join(append(flags, ""), " "), strings.Join(srcs, " "), w.path("copy destination", dest))
}

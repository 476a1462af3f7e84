package dockerfile

import (
	"context"
	"fmt"
	"slices"
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
	def, err := res.Builder.Marshal(context.Background(), marshalOpts(opts.Platform)...)
	if err != nil {
		return nil, fmt.Errorf("marshal the builder: %w", err)
	}
	chain, err := builderChain(def)
	if err != nil {
		return nil, err
	}
	side, err := depsChain(res, def, chain, opts.Platform)
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

	t := &translator{w: w, s: s, chain: chain, stage: "build", cwd: "", files: opts.Files, stageOf: map[digest.Digest]string{}}
	platform := ""
	if breq.Ref != "" && breq.Platform.Architecture == buildPlatform.Architecture {
		platform = "--platform=$BUILDPLATFORM "
	}
	w.line("FROM %s%s AS %s", platform, builderRef, t.stage)
	t.buildArgs()
	mounted := bindMounted(side)
	for i := range chain {
		t.op(i)
		switch {
		case mountedLater(chain, i) || mounted[chain[i].digest] && i < len(chain)-1:
			t.splitStage(chain[i].digest)
		case mounted[chain[i].digest]:
			t.stageOf[chain[i].digest] = t.stage
		}
	}
	depsStage := t.stage
	if side != nil {
		depsStage = t.sideStage(side, platform+builderRef)
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
			w.line("COPY --from=%s --chmod=u-s,g-s %s %s", depsStage, d.Src, d.Target())
		}
		w.line("COPY --from=%s --chmod=u-s,g-s %s/ %s/", t.stage, hllb.OutDir, hllb.ArtifactDir)
	} else {
		for _, a := range s.Artifacts {
			name := w.path("artifacts", spec.ArtifactName(a))
			w.line("COPY --from=%s --chmod=u-s,g-s %s/%s %s/%s", t.stage, hllb.OutDir, name, hllb.ArtifactDir, name)
		}
	}
	runtimeFiles(w, s)
	w.imageConfig(s, opts.Files, baseName, baseDigest, labels)
	if w.err != nil {
		return nil, w.err
	}
	return w.b.Bytes(), nil
}

// marshalOpts marshal the builder and the dependency tree's stage alike: the context, which has no
// session here, gets one identifier instead of one per marshal, so the same op has the same digest.
func marshalOpts(platform ocispecs.Platform) []bkllb.ConstraintsOpt {
	return []bkllb.ConstraintsOpt{bkllb.Platform(platform), bkllb.LocalUniqueID("context")}
}

// depsChain is the chain of the dependency tree's stage when it is not the builder's own (Java's JRE,
// linked on the builder image from the module list alone), nil when the builder has the tree.
func depsChain(res *hllb.Result, builder *bkllb.Definition, chain []link, platform ocispecs.Platform) ([]link, error) {
	if res.Deps == nil {
		return nil, nil
	}
	def, err := res.Deps.State.Marshal(context.Background(), marshalOpts(platform)...)
	if err != nil {
		return nil, fmt.Errorf("marshal the dependency tree's stage: %w", err)
	}
	side, err := builderChain(def)
	if err != nil || len(side) == 0 {
		return nil, err
	}
	last := side[len(side)-1].digest
	if slices.ContainsFunc(builder.Def, func(dt []byte) bool { return digest.FromBytes(dt) == last }) {
		return nil, nil
	}
	if len(chain) == 0 || side[0].base < 0 || chain[0].base < 0 || side[0].sources[side[0].base] != chain[0].sources[chain[0].base] {
		return nil, fmt.Errorf("the dependency tree is made on another image than the builder's, which is not written here")
	}
	return side, nil
}

// bindMounted are the ops whose results a chain's steps bind-mount.
func bindMounted(chain []link) map[digest.Digest]bool {
	out := map[digest.Digest]bool{}
	for _, l := range chain {
		for _, m := range l.op.GetExec().GetMounts() {
			if m.MountType == pb.MountType_BIND && m.Dest != "/" && m.Input >= 0 && int(m.Input) < len(l.inputs) {
				out[l.inputs[m.Input]] = true
			}
		}
	}
	return out
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
	// digest is the op's own.
	digest digest.Digest
}

// builderChain orders the builder's ops from its image to its result, following each op's
// root filesystem; the context is the only other input an op may read (besides the chain's
// own state before it, for a copy).
func builderChain(def *bkllb.Definition) ([]link, error) {
	ops, result, err := hllb.ReadDefinition(def, "the builder")
	if err != nil {
		return nil, err
	}
	var chain []link
	identifier := func(d digest.Digest) string {
		if src := ops[d].GetSource(); src != nil {
			return src.Identifier
		}
		return ""
	}
	for d := digest.Digest(result.Digest); d != ""; {
		op := ops[d]
		if op == nil {
			return nil, fmt.Errorf("the builder's LLB lacks op %s", d)
		}
		l := link{op: op, base: -1, digest: d}
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

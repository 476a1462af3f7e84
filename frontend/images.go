package frontend

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerui"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/frontend/tool"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// resolve turns an image request into a digest-pinned state and its config. A named
// context overrides it, as with the Dockerfile frontend's FROM: by the full reference,
// the repository without tag, the short name (golang), or the role (builder, base).
func (b *build) resolve(ctx context.Context, req hllb.ImageRequest) (*hllb.Image, error) {
	for _, name := range contextNames(req) {
		var dgst digest.Digest
		nc, err := b.bc.NamedContext(name, dockerui.ContextOpt{
			Platform:      &req.Platform,
			ResolveMode:   b.bc.ImageResolveMode.String(),
			CaptureDigest: &dgst,
		})
		if err != nil {
			return nil, withSpecSource(b.contextError(name, req, err), b.src)
		}
		if nc == nil {
			continue
		}
		if err := hllb.CheckOverride(b.spec, req, b.overrideName(name, req), time.Now()); err != nil {
			return nil, withSpecSource(err, b.src)
		}
		st, img, err := nc.Load(ctx)
		if err != nil {
			return nil, withSpecSource(b.contextError(name, req, err), b.src)
		}
		return &hllb.Image{Ref: b.overrideName(name, req), Digest: dgst, State: *st, Config: img}, nil
	}

	want := req.Ref
	lock, err := b.lock(ctx)
	if err != nil {
		return nil, err
	}
	if lock != nil && req.Role != "debug-base" { // the debug image is never shipped: its base resolves by tag
		locked, err := hllb.LockedRef(lock, platformString(req.Platform), req)
		if err != nil {
			return nil, withSpecSource(err, b.src, b.spec.Pos(req.Field))
		}
		want = locked
	}
	_, dgst, dt, err := b.c.ResolveImageConfig(ctx, want, sourceresolver.Opt{
		LogName: fmt.Sprintf("resolve %s for %s", req.Ref, platformString(req.Platform)),
		ImageOpt: &sourceresolver.ResolveImageOpt{
			Platform:    &req.Platform,
			ResolveMode: b.bc.ImageResolveMode.String(),
		},
	})
	if err != nil {
		return nil, withSpecSource(fmt.Errorf("%s: cannot resolve %s for %s: %v (to use another image, pass --build-context %s=docker-image://REF or oci-layout://PATH)",
			b.spec.File(), req.Ref, platformString(req.Platform), err, req.Role), b.src, b.spec.Pos(req.Field))
	}
	var img dockerspec.DockerOCIImage
	if err := json.Unmarshal(dt, &img); err != nil {
		return nil, fmt.Errorf("the config of %s is not an image config: %w", req.Ref, err)
	}
	img.Created = nil
	pinned := pin(req.Ref, dgst)
	st := bkllb.Image(pinned,
		bkllb.Platform(req.Platform),
		b.bc.ImageResolveMode,
		bkllb.WithCustomName(fmt.Sprintf("%s %s", req.Role, pinned)),
	)
	if st, err = st.WithImageConfig(dt); err != nil {
		return nil, err
	}
	return &hllb.Image{Ref: req.Ref, Digest: dgst, State: st, Config: &img}, nil
}

// overrideName is the image a named context put in place of req, for the base.name
// label: the docker-image reference when it is one, else the name the spec chose.
func (b *build) overrideName(name string, req hllb.ImageRequest) string {
	if v, ok := b.contextOption(name, req); ok {
		if ref, ok := strings.CutPrefix(v, "docker-image://"); ok {
			return ref
		}
	}
	return req.Ref
}

// contextOption is the value of the --build-context that named name for req's platform, as given.
func (b *build) contextOption(name string, req hllb.ImageRequest) (string, bool) {
	opts := b.bc.BuildOpts().Opts
	keys := []string{"context:" + name + "::" + platforms.FormatAll(platforms.Normalize(req.Platform)), "context:" + name}
	if named, err := reference.ParseNormalizedNamed(name); err == nil {
		familiar := strings.TrimSuffix(reference.FamiliarString(named), ":latest")
		keys = append(keys, "context:"+familiar+"::"+platforms.FormatAll(platforms.Normalize(req.Platform)), "context:"+familiar)
	}
	for _, k := range keys {
		if v, ok := opts[k]; ok {
			return v, true
		}
	}
	return "", false
}

// contextError frames a named context that cannot be loaded at the spec field whose image it replaces:
// BuildKit's own error names a registry URL, or only "not found", on the # syntax= line.
func (b *build) contextError(name string, req hllb.ImageRequest, err error) error {
	value, _ := b.contextOption(name, req)
	return namedContextError(b.spec.File(), b.spec.Pos(req.Field), name, value, req, err)
}

// namedContextError is contextError's message: the context, what it names, what it replaces and what to check.
func namedContextError(file string, at spec.Pos, name, value string, req hllb.ImageRequest, err error) error {
	cause := err.Error()
	what, check := "cannot be loaded", "check the value of --build-context "+name
	if ref, ok := strings.CutPrefix(value, "docker-image://"); ok {
		what = "cannot be reached"
		if notFound(cause) {
			what = "does not exist in its registry"
		}
		check = fmt.Sprintf("check that %s is spelled right and exists for %s (docker buildx imagetools inspect %s), and that the builder can reach its registry and is logged in to it; or leave out --build-context %s to build on %s",
			ref, platformString(req.Platform), ref, name, req.Ref)
	} else if dir, ok := strings.CutPrefix(value, "oci-layout://"); ok {
		check = fmt.Sprintf("check that %s is an OCI layout directory holding the image (its index.json), or leave out --build-context %s to build on %s", dir, name, req.Ref)
	}
	if value == "" {
		value = "(its value)"
	}
	return spec.Errors{{File: file, Pos: at, Field: req.Field,
		Msg:  fmt.Sprintf("the build context %s=%s, which replaces %s for %s, %s: %s", name, value, req.Ref, platformString(req.Platform), what, shortCause(cause)),
		Hint: check}}
}

// notFound says whether a resolver's error means the registry has no such image (rather than not answering).
func notFound(cause string) bool {
	c := strings.ToLower(cause)
	return strings.Contains(c, "not found") || strings.Contains(c, "manifest unknown") || strings.Contains(c, "name unknown") || strings.Contains(c, "404")
}

// shortCause keeps the last part of a resolver's error chain, where the reason is, bounded in length.
func shortCause(cause string) string {
	const limit = 300
	cause = strings.Join(strings.Fields(cause), " ")
	if len(cause) > limit {
		cause = "..." + strings.ToValidUTF8(cause[len(cause)-limit:], "")
	}
	return cause
}

// pin writes ref@digest, keeping the tag so a reader sees both.
func pin(ref string, dgst digest.Digest) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	return ref + "@" + dgst.String()
}

// contextNames lists the named-context keys that may replace an image, most specific first.
func contextNames(req hllb.ImageRequest) []string {
	names := []string{req.Ref}
	if named, err := reference.ParseNormalizedNamed(req.Ref); err == nil {
		names = append(names, named.Name(), reference.FamiliarName(named))
	}
	if req.Role != "" {
		names = append(names, req.Role)
	}
	seen := map[string]bool{}
	out := names[:0]
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// prepare unpacks an image and makes its first snapshot on top while the build does other work: the first step
// on a freshly unpacked image takes a second or two on a loaded machine, and a Dockerfile build pays it for
// its final stage's base while the builder image is still being pulled (its WORKDIR), where the final stage
// here starts only when the builder is done. It solves one file op on the image and nothing else (no exec,
// no cache mount), so it cannot race a build step. Its errors are the build's to report.
func (b *build) prepare(img hllb.Image, target ocispecs.Platform, why string) {
	name := img.Ref
	if img.Digest != "" {
		name = pin(img.Ref, img.Digest)
	}
	st := img.State.File(bkllb.Mkfile("/.hardened-prepare", 0o600, nil), bkllb.WithCustomName("[hardened] prepare "+name+" "+why))
	prefetch(b.jobs, "prepare "+name+" "+platformString(target), func(ctx context.Context) (gwclient.Reference, error) {
		return b.solveAs(ctx, st, target, true)
	})
}

// specialFiles solves a base and lists its setuid/setgid paths through the gateway, so the conversion can
// strip exactly those and leave the base's layers shared with the original image; the frontend without its
// own image does this, which clears the bits in its self-check step otherwise.
func (b *build) specialFiles(ctx context.Context, base *hllb.Image, target ocispecs.Platform) ([]hllb.SpecialFile, error) {
	ref, err := b.solve(ctx, base.State, target)
	if err != nil {
		return nil, err
	}
	if ref == nil { // an empty base
		return nil, nil
	}
	tree, err := listTree(ctx, gatewayFS{ref})
	if err != nil {
		return nil, fmt.Errorf("reading the base image filesystem: %w", err)
	}
	out, err := tool.SpecialFiles(ctx, tree)
	if err != nil {
		return nil, fmt.Errorf("reading the base image filesystem: %w", err)
	}
	return out, nil
}

func platformString(p ocispecs.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

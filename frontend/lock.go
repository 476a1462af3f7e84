package frontend

import (
	"context"
	"fmt"
	"path"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerui"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/lockfile"
	"github.com/hardenedbuild/hardened/spec"
)

// LockTarget is the build target that outputs hardened.lock instead of an image:
// docker buildx build --target lock -o type=local,dest=. -f hardened.yaml .
const LockTarget = "lock"

// readLock reads hardened.lock from beside the spec; nil when there is none.
func readLock(ctx context.Context, bc *dockerui.Client) (*lockfile.Lock, error) {
	opts := bc.BuildOpts().Opts
	localName := opts["dockerfilekey"]
	if localName == "" {
		localName = dockerui.DefaultLocalNameDockerfile
	}
	name := path.Join(path.Dir(opts["filename"]), lockfile.Filename)
	st := bkllb.Local(localName,
		bkllb.FollowPaths([]string{name}),
		bkllb.SessionID(bc.BuildOpts().SessionID),
		bkllb.SharedKeyHint(localName),
		dockerui.WithInternalName("read "+lockfile.Filename),
	)
	ref, err := solveRef(ctx, bc.GatewayClient(), st)
	if err != nil || ref == nil {
		return nil, wrapf(err, "reading %s", lockfile.Filename)
	}
	if _, err := ref.StatFile(ctx, gwclient.StatRequest{Path: name}); err != nil {
		return nil, nil // no lock: images resolve by tag
	}
	dt, err := ref.ReadFile(ctx, gwclient.ReadRequest{Filename: name})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", lockfile.Filename, err)
	}
	return lockfile.Parse(lockfile.Filename, dt)
}

// lockedRef is the reference the lock pins for req, or an error naming the entry when
// the spec asks for an image the lock does not cover.
func lockedRef(l *lockfile.Lock, req hllb.ImageRequest) (string, error) {
	p := platformString(req.Platform)
	ref, dgst, ok := l.Entry(p, req.Role)
	if !ok {
		return "", fmt.Errorf("%s has no entry images.%s.%s for %s; the spec changed since it was written: run `hardened lock`", lockfile.Filename, p, req.Role, req.Ref)
	}
	if ref != req.Ref {
		return "", fmt.Errorf("%s pins images.%s.%s to %s but the spec now asks for %s: run `hardened lock`", lockfile.Filename, p, req.Role, ref, req.Ref)
	}
	return ref + "@" + dgst, nil
}

// buildLock resolves every image the spec uses on every target platform by tag and
// returns hardened.lock as the build's only file.
func buildLock(ctx context.Context, c gwclient.Client, bc *dockerui.Client, s *spec.Spec, lang hllb.Language, files hllb.Files, sm *bkllb.SourceMap) (*gwclient.Result, error) {
	buildPlatform := bc.BuildPlatforms[0]
	targets := bc.TargetPlatforms
	if len(targets) == 0 {
		targets = []ocispecs.Platform{buildPlatform}
	}
	l := lockfile.New()
	for _, target := range targets {
		var reqs []hllb.ImageRequest
		breq, err := lang.Builder(s, files, target, buildPlatform)
		if err != nil {
			return nil, withSpecSource(err, sm)
		}
		if breq.Ref != "" {
			reqs = append(reqs, breq)
		}
		base, ok, err := hllb.BaseImage(s, files, target)
		if err != nil {
			return nil, withSpecSource(err, sm)
		}
		if ok {
			reqs = append(reqs, base)
		}
		if ok && len(s.Runtime.Libs) > 0 {
			// The runtime-libs stage's own Debian image, unless it runs on the builder.
			lreq, onBuilder, err := hllb.LibsImage(s, base, breq, target)
			if err != nil {
				return nil, withSpecSource(err, sm)
			}
			if !onBuilder {
				reqs = append(reqs, lreq)
			}
		}
		for _, req := range reqs {
			_, dgst, _, err := c.ResolveImageConfig(ctx, req.Ref, sourceresolver.Opt{
				LogName:  fmt.Sprintf("lock %s for %s", req.Ref, platformString(req.Platform)),
				ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &req.Platform},
			})
			if err != nil {
				return nil, fmt.Errorf("locking %s for %s: %w", req.Ref, platformString(req.Platform), err)
			}
			// The builder runs on the build platform; it is recorded under the target
			// it builds for, so each platform's entries are complete on their own.
			l.Set(platformString(target), req.Role, req.Ref, dgst.String())
		}
	}
	st := bkllb.Scratch().File(bkllb.Mkfile(lockfile.Filename, 0o644, l.Marshal()), bkllb.WithCustomName("write "+lockfile.Filename))
	ref, err := solveRef(ctx, c, st)
	if err != nil {
		return nil, err
	}
	res := gwclient.NewResult()
	res.SetRef(ref)
	return res, nil
}

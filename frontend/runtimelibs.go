package frontend

import (
	"context"

	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	hllb "github.com/hardenedbuild/hardened/llb"
)

// runtimeLibs solves the runtime-libs stage on img and reads what it resolved, so that the
// versions go into the image config and an unknown package fails at its spec position.
func (p *platformBuild) runtimeLibs(ctx context.Context, img hllb.Image, in *hllb.Inputs, target ocispecs.Platform) (*hllb.Libs, error) {
	st, err := hllb.RuntimeLibs(p.spec, hllb.LibsInput{
		Image:     img,
		Base:      *in.Base,
		CacheNS:   in.CacheNS,
		SourceMap: p.src,
		Proxy:     in.Proxy,
	})
	if err != nil {
		return nil, withSpecSource(err, p.src)
	}
	ref, err := p.solve(ctx, st, target)
	if err != nil {
		return nil, err
	}
	read := func(name string) ([]byte, error) {
		dt, err := ref.ReadFile(ctx, gwclient.ReadRequest{Filename: name})
		return dt, wrapf(err, "runtime.libs: reading %s from the stage", name)
	}
	problems, err := read(hllb.LibsProblemsFile)
	if err != nil {
		return nil, err
	}
	packages, err := read(hllb.LibsPackagesFile)
	if err != nil {
		return nil, err
	}
	pkgs, err := hllb.ReadLibs(p.spec, packages, problems)
	if err != nil {
		return nil, withSpecSource(err, p.src)
	}
	return &hllb.Libs{State: st, Packages: pkgs}, nil
}

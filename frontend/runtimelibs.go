package frontend

import (
	"context"
	"fmt"

	bkllb "github.com/moby/buildkit/client/llb"

	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	hllb "github.com/hardenedbuild/hardened/llb"
)

// runtimeLibs solves the runtime-libs stage on img and reads what it resolved, so that the
// versions go into the image config and an unknown package fails at its spec position.
func (b *build) runtimeLibs(ctx context.Context, img hllb.Image, in *hllb.Inputs, target ocispecs.Platform) (*hllb.Libs, error) {
	st, err := hllb.RuntimeLibs(b.spec, hllb.LibsInput{
		Packages:  in.Plan.RuntimeLibs,
		Image:     img,
		Base:      *in.Base,
		CacheNS:   in.CacheNS,
		SourceMap: b.src,
		Proxy:     in.Proxy,
	})
	if err != nil {
		return nil, withSpecSource(err, b.src)
	}
	ref, err := b.solve(ctx, st, target)
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
	pkgs, err := hllb.ReadLibs(b.spec, in.Plan.RuntimeLibs, packages, problems)
	if err != nil {
		return nil, withSpecSource(err, b.src)
	}
	if err := b.showLibs(ctx, pkgs); err != nil {
		return nil, err
	}
	return &hllb.Libs{State: st, Packages: pkgs}, nil
}

// showLibs names each resolved package and version in the build's progress, one vertex each, so a
// build whose libs stage came from the cache prints them too.
func (b *build) showLibs(ctx context.Context, pkgs []hllb.DebPackage) error {
	if len(pkgs) == 0 {
		return nil
	}
	st := bkllb.Scratch()
	for i, pkg := range pkgs {
		st = st.File(bkllb.Mkfile(fmt.Sprintf("/%d", i), 0o644, nil),
			bkllb.WithCustomName(fmt.Sprintf("runtime.libs: %s %s", pkg.Name, pkg.Version)))
	}
	def, err := marshal(ctx, st)
	if err != nil {
		return err
	}
	_, err = b.c.Solve(ctx, gwclient.SolveRequest{Definition: def.ToPB(), Evaluate: true}) // lazy solves show nothing
	return err
}

package node

import (
	"slices"
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/llb"
)

// buildSteps runs the package manager's steps in the builder.
type buildSteps struct {
	in    *llb.BuildInput
	pm    nodeManager
	tool  nodeTool
	cache bkllb.RunOption
	// env is the production environment; devEnv the one of the install a build script needs,
	// which NODE_ENV=production would make production-only.
	env, devEnv []bkllb.RunOption
}

func newBuildSteps(in *llb.BuildInput, pm nodeManager) *buildSteps {
	s := in.Spec
	b := &buildSteps{in: in, pm: pm, tool: pm.tool(in.Builder.Config), cache: pm.cache(in.CacheNS)}
	b.devEnv = append(pm.env(), llb.BuilderEnv(s)...)
	b.env = append(append(productionEnv(s.Build.Env), pm.env()...), llb.BuilderEnv(s)...)
	if _, next := nextApp(s); next {
		// next build would otherwise try to send telemetry from a step with no network.
		b.env = append([]bkllb.RunOption{bkllb.AddEnv("NEXT_TELEMETRY_DISABLED", "1")}, b.env...)
	}
	return b
}

// step runs the manager with args in the source directory; offline steps have no network.
func (b *buildSteps) step(st bkllb.State, field string, offline, dev bool, args ...string) bkllb.State {
	return b.stepIn(llb.SrcDir, st, field, offline, dev, args...)
}

// stepIn runs the manager in dir, for yarn's focus on the workspace package there.
func (b *buildSteps) stepIn(dir string, st bkllb.State, field string, offline, dev bool, args ...string) bkllb.State {
	env := b.env
	if dev {
		env = b.devEnv
	}
	opts := append([]bkllb.RunOption{
		bkllb.Args(append(slices.Clone(b.tool.run), args...)), bkllb.Dir(dir), b.cache,
		bkllb.WithCustomName(strings.Join(append([]string{b.pm.name}, args...), " ")), b.in.Locate(field),
	}, env...)
	if offline {
		opts = append(opts, bkllb.Network(pb.NetMode_NONE))
		if b.pm.berry {
			opts = append(opts, bkllb.AddEnv("YARN_ENABLE_NETWORK", "0"))
		}
	} else {
		opts = append(opts, b.in.Network)
	}
	return st.Run(opts...).Root()
}

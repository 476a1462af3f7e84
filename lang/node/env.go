package node

import (
	bkllb "github.com/moby/buildkit/client/llb"

	"github.com/hardenedbuild/hardened/spec"
)

// production is NODE_ENV's default: Express and many libraries otherwise run in development mode
// (stack traces to clients), and npm, pnpm and yarn install and prune by it.
const production = "production"

// ImageEnv sets NODE_ENV=production in the image unless the spec's env sets it, and what a
// Next.js standalone server reads.
func (Language) ImageEnv(s *spec.Spec) map[string]string {
	return nextEnv(s, map[string]string{"NODE_ENV": production})
}

// productionEnv is NODE_ENV=production for the builder's steps, first so build.env's value wins.
func productionEnv(buildEnv map[string]string) []bkllb.RunOption {
	if _, set := buildEnv["NODE_ENV"]; set {
		return nil
	}
	return []bkllb.RunOption{bkllb.AddEnv("NODE_ENV", production)}
}

package llb

import (
	"sort"
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/spec"
)

// BuilderEnv is the spec's build.env in sorted order, so the LLB is the same every time.
func BuilderEnv(s *spec.Spec) []bkllb.RunOption {
	keys := make([]string, 0, len(s.Build.Env))
	for k := range s.Build.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	opts := make([]bkllb.RunOption, 0, len(keys))
	for _, k := range keys {
		opts = append(opts, bkllb.AddEnv(k, s.Build.Env[k]))
	}
	return opts
}

func PlatformString(p ocispecs.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// ImageEnv is the value of an image's environment variable, else def.
func ImageEnv(img *dockerspec.DockerOCIImage, name, def string) string {
	if img == nil {
		return def
	}
	for _, kv := range img.Config.Env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name && v != "" {
			return v
		}
	}
	return def
}

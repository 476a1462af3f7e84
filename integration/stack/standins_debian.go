package stack

import (
	"context"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// debianStandIn is docker.io/library/debian:trixie: debootstrap's minbase, cleaned like the official image, with
// ca-certificates so the host's CAs can be trusted (the official image has none). The runtime.libs stage runs on it
// when the builder image cannot serve (no builder, or one on another platform).
func debianStandIn() standIn {
	config := func(v1.Platform) v1.Config {
		return v1.Config{
			Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			Cmd: []string{"bash"},
		}
	}
	return standIn{
		name:      "debian-" + trixie,
		platforms: []v1.Platform{linuxAMD64},
		layers: func(ctx context.Context, b *builder, p v1.Platform) ([]layerRecipe, error) {
			return withBase(ctx, b, p, aptInstall{})
		},
		tags: []tag{{ref: "docker.io/library/debian:" + trixie, config: config}},
	}
}

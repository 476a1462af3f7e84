package stack

import (
	"context"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// debianRust is the Rust of Debian bookworm (rustc 1.63.0, cargo 0.66), which the rust stand-in carries: it is
// tagged with that version only, so a spec asking for another Rust finds no image instead of a wrong one.
const debianRust = "1.63.0"

// rustStandIn is docker.io/library/rust:1.63.0-bookworm and :1.63-bookworm: Debian bookworm with Debian's rustc
// and cargo, gcc and libc6-dev (the linker and C runtime rustc links with), configured like the official image
// (CARGO_HOME /usr/local/cargo, RUST_VERSION). The official image has rustup's toolchain; this one has no rustup,
// so only the host target builds (no musl).
func rustStandIn() standIn {
	minor := debianRust[:len(debianRust)-len(".0")]
	config := func(v1.Platform) v1.Config {
		return v1.Config{
			Env: []string{
				"PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				"CARGO_HOME=/usr/local/cargo",
				"RUSTUP_HOME=/usr/local/rustup",
				"RUST_VERSION=" + debianRust,
			},
			Cmd: []string{"bash"},
		}
	}
	return standIn{
		name:      "rust-" + debianRust + "-bookworm",
		platforms: []v1.Platform{linuxAMD64},
		layers: func(ctx context.Context, b *builder, p v1.Platform) ([]layerRecipe, error) {
			// libc6-dev is named because rustc depends on the virtual libc-dev, which debootstrap cannot resolve.
			base, err := debootstrapLayer(ctx, b, p, "ca-certificates", "rustc", "cargo", "gcc", "libc6-dev")
			if err != nil {
				return nil, err
			}
			return []layerRecipe{base}, nil
		},
		tags: []tag{
			{ref: "docker.io/library/rust:" + debianRust + "-bookworm", config: config},
			{ref: "docker.io/library/rust:" + minor + "-bookworm", config: config},
		},
	}
}

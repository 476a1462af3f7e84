package rust

import "github.com/hardenedbuild/hardened/llb"

// Includes are the cargo configuration's paths outside the context.
func (Language) Includes(files llb.Files) []llb.Include {
	var out []llb.Include
	for _, f := range []string{".cargo/config.toml", ".cargo/config"} {
		out = append(out, llb.ConfigPaths(f, files[f])...)
	}
	return out
}

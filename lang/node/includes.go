package node

import (
	"encoding/json"
	"strings"

	"github.com/hardenedbuild/hardened/llb"
)

// Includes are package.json's local dependencies and workspaces, pnpm-workspace.yaml's packages, and
// .npmrc's and .yarnrc.yml's paths, outside the context.
func (Language) Includes(files llb.Files) []llb.Include {
	out := append(packageJSONIncludes(files["package.json"]), workspaceIncludes(files)...)
	out = append(out, llb.ConfigPaths(".npmrc", files[".npmrc"])...)
	return append(out, llb.ConfigPaths(".yarnrc.yml", files[".yarnrc.yml"])...)
}

// packageJSONIncludes finds dependencies that are local paths (file:, link:, portal: or a bare
// path) outside the context, in every dependency map npm, pnpm and yarn read.
func packageJSONIncludes(data []byte) []llb.Include {
	if data == nil {
		return nil
	}
	var pkg map[string]json.RawMessage
	if json.Unmarshal(data, &pkg) != nil {
		return nil // the language's own check says what is wrong with it
	}
	var out []llb.Include
	for _, field := range []string{"dependencies", "devDependencies", "optionalDependencies", "peerDependencies", "bundleDependencies", "overrides", "resolutions"} {
		var deps map[string]any
		if json.Unmarshal(pkg[field], &deps) != nil {
			continue
		}
		for name, v := range deps {
			spec, ok := v.(string)
			if !ok {
				continue
			}
			local := spec
			for _, scheme := range []string{"file:", "link:", "portal:"} {
				local = strings.TrimPrefix(local, scheme)
			}
			if (local != spec || strings.HasPrefix(spec, "/") || strings.HasPrefix(spec, "../") || strings.HasPrefix(spec, "~/")) && llb.LeavesContext(local) {
				out = append(out, llb.Include{File: "package.json", Line: llb.LineOf(data, `"`+spec+`"`), What: field + "." + name + ": " + spec})
			}
		}
	}
	return out
}

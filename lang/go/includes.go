package golang

import (
	"regexp"
	"strings"

	"github.com/hardenedbuild/hardened/llb"
)

// Includes are go.mod's replace directives to directories outside the context.
func (Language) Includes(files llb.Files) []llb.Include { return goModReplaces(files["go.mod"]) }

// goModReplace is a replace directive's target: `=> ../x` or `=> /abs` (a module path has no leading dot or slash).
var goModReplace = regexp.MustCompile(`=>\s*(\S+)`)

func goModReplaces(data []byte) []llb.Include {
	var out []llb.Include
	llb.Lines(data, func(n int, line string) {
		m := goModReplace.FindStringSubmatch(line)
		if m == nil {
			return
		}
		if t := m[1]; (strings.HasPrefix(t, "/") || strings.HasPrefix(t, ".")) && llb.LeavesContext(t) {
			out = append(out, llb.Include{File: "go.mod", Line: n, What: "replace " + strings.TrimSpace(line)})
		}
	})
	return out
}

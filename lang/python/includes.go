package python

import (
	"strings"

	"github.com/hardenedbuild/hardened/llb"
)

// Includes are requirements.txt's options and pyproject.toml's file: URLs that read outside the context.
func (Language) Includes(files llb.Files) []llb.Include {
	return append(pipIncludes("requirements.txt", files["requirements.txt"]), llb.FileURLs("pyproject.toml", files["pyproject.toml"])...)
}

// pipFileOptions are the requirements-file options whose value pip opens as a file or directory.
var pipFileOptions = []string{"-r", "--requirement", "-c", "--constraint", "-f", "--find-links", "-e", "--editable", "-i", "--index-url", "--extra-index-url"}

// pipIncludes finds the options of a requirements file that read outside the context, written
// `-r FILE`, `-r=FILE`, `--requirement FILE` or `-rFILE`, and direct references to file: URLs.
func pipIncludes(name string, data []byte) []llb.Include {
	var out []llb.Include
	llb.Lines(data, func(n int, line string) {
		f := strings.Fields(pipComment.ReplaceAllString(line, ""))
		for i := 0; i < len(f); i++ {
			opt, val, hasVal := strings.Cut(f[i], "=")
			known := false
			for _, o := range pipFileOptions {
				if opt == o {
					known = true
				} else if len(o) == 2 && strings.HasPrefix(f[i], o) && !hasVal {
					opt, val, hasVal, known = o, f[i][2:], true, true
				}
				if known {
					break
				}
			}
			if known && !hasVal && i+1 < len(f) {
				i++
				val, hasVal = f[i], true
			}
			isURL := strings.Contains(val, "://") && !strings.HasPrefix(val, "file:")
			switch {
			case known && hasVal && !isURL && llb.LeavesContext(val):
				out = append(out, llb.Include{File: name, Line: n, What: opt + " " + val})
			case !known && (strings.HasPrefix(f[i], "file:") || strings.HasPrefix(f[i], "/") || strings.HasPrefix(f[i], "../")) && llb.LeavesContext(f[i]):
				out = append(out, llb.Include{File: name, Line: n, What: f[i]})
			}
		}
	})
	return out
}

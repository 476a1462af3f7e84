package llb

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/hardenedbuild/hardened/spec"
)

// A project file can make a tool read, and print in its error, a file the build did not mean to
// give it: `-r /run/secrets/netrc` in requirements.txt shows the netrc's password in pip's error,
// `-r /proc/self/environ` a secret passed as a variable. The project files the frontend reads are
// checked before anything runs, and every reference to a file outside the build context is refused.

// leavesContext says whether a path a project file names is outside the build context (absolute,
// up out of it, the home directory) or cannot be known before the tool runs (a variable).
func leavesContext(p string) bool {
	p = strings.Trim(p, `"'`)
	if rest, ok := strings.CutPrefix(p, "file://"); ok {
		p = rest
	} else if rest, ok := strings.CutPrefix(p, "file:"); ok {
		p = rest
	}
	if strings.Contains(p, "$") || strings.HasPrefix(p, "~") || strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) {
		return true
	}
	c := path.Clean(p)
	return c == ".." || strings.HasPrefix(c, "../")
}

// includeProblem is one reference out of the context: the project file, its line and what it says.
type includeProblem struct {
	file string
	line int
	what string
}

// checkIncludes refuses the project files' references to files outside the build context, at the
// language line, naming each file and line.
func checkIncludes(s *spec.Spec, files Files) error {
	var ps []includeProblem
	ps = append(ps, pipIncludes("requirements.txt", files["requirements.txt"])...)
	ps = append(ps, fileURLs("pyproject.toml", files["pyproject.toml"])...)
	ps = append(ps, packageJSONIncludes(files["package.json"])...)
	ps = append(ps, configPaths(".npmrc", files[".npmrc"])...)
	ps = append(ps, configPaths(".yarnrc.yml", files[".yarnrc.yml"])...)
	ps = append(ps, goModReplaces(files["go.mod"])...)
	for _, f := range []string{".cargo/config.toml", ".cargo/config"} {
		ps = append(ps, configPaths(f, files[f])...)
	}
	if len(ps) == 0 {
		return nil
	}
	var errs spec.Errors
	for _, p := range ps {
		errs = append(errs, spec.Error{File: s.File(), Pos: s.Pos("language"), Field: "language",
			Msg:  fmt.Sprintf("%s:%d: %s, a file outside the build context that the %s tools would read (and could print: a mounted secret, /proc/self/environ)", p.file, p.line, p.what, s.Language),
			Hint: "name files inside the build context, by a relative path (copy the file into the context first)"})
	}
	return errs
}

// lines calls fn with each line of data and its 1-based number.
func lines(data []byte, fn func(n int, line string)) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		fn(n, sc.Text())
	}
}

// pipFileOptions are the requirements-file options whose value pip opens as a file or directory.
var pipFileOptions = []string{"-r", "--requirement", "-c", "--constraint", "-f", "--find-links", "-e", "--editable", "-i", "--index-url", "--extra-index-url"}

// pipIncludes finds the options of a requirements file that read outside the context, written
// `-r FILE`, `-r=FILE`, `--requirement FILE` or `-rFILE`, and direct references to file: URLs.
func pipIncludes(name string, data []byte) []includeProblem {
	var out []includeProblem
	lines(data, func(n int, line string) {
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
			case known && hasVal && !isURL && leavesContext(val):
				out = append(out, includeProblem{name, n, opt + " " + val})
			case !known && (strings.HasPrefix(f[i], "file:") || strings.HasPrefix(f[i], "/") || strings.HasPrefix(f[i], "../")) && leavesContext(f[i]):
				out = append(out, includeProblem{name, n, f[i]})
			}
		}
	})
	return out
}

// fileURL is a file: URL in a manifest (`name @ file:///path` in pyproject.toml).
// pipComment is a comment in a requirements file, as pip strips it.
var pipComment = regexp.MustCompile(`(^|\s)#.*$`)

var fileURL = regexp.MustCompile(`file:[^\s"',\]]+`)

func fileURLs(name string, data []byte) []includeProblem {
	var out []includeProblem
	lines(data, func(n int, line string) {
		for _, u := range fileURL.FindAllString(line, -1) {
			if leavesContext(u) {
				out = append(out, includeProblem{name, n, u})
			}
		}
	})
	return out
}

// packageJSONIncludes finds dependencies that are local paths (file:, link:, portal: or a bare
// path) outside the context, in every dependency map npm, pnpm and yarn read.
func packageJSONIncludes(data []byte) []includeProblem {
	if data == nil {
		return nil
	}
	var pkg map[string]json.RawMessage
	if json.Unmarshal(data, &pkg) != nil {
		return nil // the language's own check says what is wrong with it
	}
	var out []includeProblem
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
			if (local != spec || strings.HasPrefix(spec, "/") || strings.HasPrefix(spec, "../") || strings.HasPrefix(spec, "~/")) && leavesContext(local) {
				out = append(out, includeProblem{"package.json", lineOf(data, `"`+spec+`"`), field + "." + name + ": " + spec})
			}
		}
	}
	return out
}

// configValue is a key = value (.npmrc, TOML) or key: value (YAML) line's value.
var configValue = regexp.MustCompile(`^\s*[^#;\s][^=:]*[=:]\s*(.+?)\s*$`)

// configPaths finds the values of a tool's settings file that name a path outside the context: a
// CA or key file, a config to include, a directory source, a yarnPath run as the package manager.
func configPaths(name string, data []byte) []includeProblem {
	var out []includeProblem
	lines(data, func(n int, line string) {
		m := configValue.FindStringSubmatch(line)
		if m == nil {
			return
		}
		v := strings.Trim(m[1], `"'[] `)
		if strings.Contains(v, "://") && !strings.HasPrefix(v, "file:") {
			return // a registry URL
		}
		if strings.HasPrefix(v, "${") && strings.HasSuffix(v, "}") && !strings.Contains(v, "/") {
			return // a token from a secret variable: //registry/:_authToken=${NPM_TOKEN}
		}
		if (strings.ContainsAny(v[:min(len(v), 1)], "/~\\") || strings.HasPrefix(v, "../") || strings.HasPrefix(v, "file:") || strings.Contains(v, "/..")) && leavesContext(v) {
			out = append(out, includeProblem{name, n, strings.TrimSpace(line)})
		}
	})
	return out
}

// goModReplace is a replace directive's target: `=> ../x` or `=> /abs` (a module path has no leading dot or slash).
var goModReplace = regexp.MustCompile(`=>\s*(\S+)`)

func goModReplaces(data []byte) []includeProblem {
	var out []includeProblem
	lines(data, func(n int, line string) {
		m := goModReplace.FindStringSubmatch(line)
		if m == nil {
			return
		}
		if t := m[1]; (strings.HasPrefix(t, "/") || strings.HasPrefix(t, ".")) && leavesContext(t) {
			out = append(out, includeProblem{"go.mod", n, "replace " + strings.TrimSpace(line)})
		}
	})
	return out
}

// lineOf is the 1-based line of the first occurrence of s in data (1 when absent).
func lineOf(data []byte, s string) int {
	i := bytes.Index(data, []byte(s))
	if i < 0 {
		return 1
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}

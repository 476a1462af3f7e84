package llb

import (
	"bufio"
	"bytes"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/hardenedbuild/hardened/spec"
)

// A project file can make a tool read, and print in its error, a file the build did not mean to
// give it: `-r /run/secrets/netrc` in a pip requirements file shows the netrc's password in pip's error,
// `-r /proc/self/environ` a secret passed as a variable. The project files the frontend reads are
// checked before anything runs, and every reference to a file outside the build context is refused.

// LeavesContext says whether a path a project file names is outside the build context (absolute,
// up out of it, the home directory) or cannot be known before the tool runs (a variable).
func LeavesContext(p string) bool {
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

// Include is one reference out of the context: the project file, its line and what it says.
type Include struct {
	File string
	Line int
	What string
}

// checkIncludes refuses the project files' references to files outside the build context (each
// language finds its own, Plan.Includes), at the language line, naming each file and line.
func checkIncludes(s *spec.Spec, ps []Include) error {
	if len(ps) == 0 {
		return nil
	}
	var errs spec.Errors
	for _, p := range ps {
		errs = append(errs, spec.Error{File: s.File(), Pos: s.Pos("language"), Field: "language",
			Msg:  fmt.Sprintf("%s:%d: %s, a file outside the build context that the %s tools would read (and could print: a mounted secret, /proc/self/environ)", p.File, p.Line, p.What, s.Language),
			Hint: "name files inside the build context, by a relative path (copy the file into the context first)"})
	}
	return errs
}

// Lines calls fn with each line of data and its 1-based number.
func Lines(data []byte, fn func(n int, line string)) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		fn(n, sc.Text())
	}
}

// fileURL is a file: URL in a manifest (`name @ file:///path`).
var fileURL = regexp.MustCompile(`file:[^\s"',\]]+`)

// FileURLs finds the file: URLs of a manifest that leave the context.
func FileURLs(name string, data []byte) []Include {
	var out []Include
	Lines(data, func(n int, line string) {
		for _, u := range fileURL.FindAllString(line, -1) {
			if LeavesContext(u) {
				out = append(out, Include{name, n, u})
			}
		}
	})
	return out
}

// configValue is a key = value (ini, TOML) or key: value (YAML) line's value.
var configValue = regexp.MustCompile(`^\s*[^#;\s][^=:]*[=:]\s*(.+?)\s*$`)

// ConfigPaths finds the values of a tool's settings file that name a path outside the context: a
// CA or key file, a config to include, a directory source, a yarnPath run as the package manager.
func ConfigPaths(name string, data []byte) []Include {
	var out []Include
	Lines(data, func(n int, line string) {
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
		if (strings.ContainsAny(v[:min(len(v), 1)], "/~\\") || strings.HasPrefix(v, "../") || strings.HasPrefix(v, "file:") || strings.Contains(v, "/..")) && LeavesContext(v) {
			out = append(out, Include{name, n, strings.TrimSpace(line)})
		}
	})
	return out
}

// LineOf is the 1-based line of the first occurrence of s in data (1 when absent).
func LineOf(data []byte, s string) int {
	i := bytes.Index(data, []byte(s))
	if i < 0 {
		return 1
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}

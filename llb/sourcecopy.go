package llb

import (
	"path"
	"strings"

	"github.com/hardenedbuild/hardened/lockfile"
	"github.com/hardenedbuild/hardened/spec"
)

// DecidingFiles are the context paths that decide the build rather than feed it: the spec and the
// hardened.lock beside it, as exclude patterns. A source copy that took them would re-run the
// compile after a comment edited in the spec.
func DecidingFiles(s *spec.Spec) []string {
	name := path.Clean(strings.TrimPrefix(s.File(), "./"))
	if name == "." || path.IsAbs(name) || strings.HasPrefix(name, "../") {
		return []string{escapePattern(lockfile.Filename)}
	}
	return []string{escapePattern(name), escapePattern(path.Join(path.Dir(name), lockfile.Filename))}
}

// SourceExcludes are a source copy's exclude patterns: the language's own, then DecidingFiles.
func (in *BuildInput) SourceExcludes(own ...string) []string {
	return append(append([]string(nil), own...), DecidingFiles(in.Spec)...)
}

// escapePattern makes a file name match itself alone as a copy's pattern.
func escapePattern(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

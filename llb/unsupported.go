package llb

import (
	"github.com/hardenedbuild/hardened/spec"
)

// goOnlyFields are the spec fields only the go language reads.
var goOnlyFields = []string{"cgo", "build.ldflags", "build.tags"}

// unsupported reports each of fields that the spec sets although lang does not read it, so a
// setting is never silently ignored.
func unsupported(s *spec.Spec, lang string, fields ...string) spec.Errors {
	var errs spec.Errors
	for _, f := range fields {
		set := s.Pos(f).Line != 0
		switch f {
		case "cgo":
			set = s.CGO
		case "build.tags":
			set = len(s.Build.Tags) > 0
		}
		if set {
			errs = append(errs, spec.Error{Field: f, Msg: "language " + lang + " does not use " + f, Hint: "remove it"})
		}
	}
	return errs
}

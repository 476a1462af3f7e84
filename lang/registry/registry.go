package registry

import (
	"slices"

	"github.com/hardenedbuild/hardened/lang"
	golang "github.com/hardenedbuild/hardened/lang/go"
	"github.com/hardenedbuild/hardened/lang/java"
	"github.com/hardenedbuild/hardened/lang/node"
	"github.com/hardenedbuild/hardened/lang/python"
	"github.com/hardenedbuild/hardened/lang/rust"
	"github.com/hardenedbuild/hardened/lang/static"
	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/sbom"
	"github.com/hardenedbuild/hardened/spec"
)

// all are the languages, in the order `hardened init` tries them: the first it detects is the
// spec it writes.
var all = []lang.Language{golang.Language{}, node.Language{}, python.Language{}, java.Language{}, rust.Language{}, static.Language{}}

// All lists the languages, in the order `hardened init` tries them.
func All() []lang.Language { return slices.Clone(all) }

// Lookup returns the language of that name.
func Lookup(name string) (lang.Language, bool) {
	for _, l := range all {
		if l.Name() == name {
			return l, true
		}
	}
	return nil, false
}

// Names lists the languages' names, sorted.
func Names() []string {
	names := make([]string, len(all))
	for i, l := range all {
		names[i] = l.Name()
	}
	slices.Sort(names)
	return names
}

// SpecOptions are the options spec.Load needs to accept exactly these languages, with each
// language's own rules and the secret-value check.
func SpecOptions() []spec.Option {
	return []spec.Option{spec.WithLanguages(Names()...), spec.WithCheck(validate), spec.WithCheck(llb.CheckSecretValues)}
}

// validate runs the spec's language's own rules, then refuses each field it does not use.
func validate(s *spec.Spec) spec.Errors {
	l, ok := Lookup(s.Language)
	if !ok {
		return nil
	}
	errs := l.Validate(s)
	for _, f := range lang.OptionalFields {
		if !slices.Contains(l.Inputs().Fields, f) && isSet(s, f) {
			errs = append(errs, spec.Error{Field: f, Msg: "language " + l.Name() + " does not use " + f, Hint: "remove it"})
		}
	}
	return errs
}

// isSet reports whether the spec sets a field; cgo and build.tags are set by a value, not a key.
func isSet(s *spec.Spec, field string) bool {
	switch field {
	case "cgo":
		return s.CGO
	case "build.tags":
		return len(s.Build.Tags) > 0
	}
	return s.Pos(field).Line != 0
}

// Manifests are every language's manifests, sorted: the small files read with the spec, before the
// build knows its language.
func Manifests() []string {
	var names []string
	for _, l := range all {
		for _, n := range l.Inputs().Manifests {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	return names
}

// Packages are every language's packages in a build, for the SBOM: an image may ship another
// language's tree (a static artifact that is a virtualenv), so each reader looks.
func Packages(image, builder sbom.FS) []sbom.Package {
	var out []sbom.Package
	for _, l := range all {
		out = append(out, l.Packages(image, builder)...)
	}
	return out
}

// Schema is the spec's JSON Schema with each language's part of the field descriptions.
func Schema() ([]byte, error) {
	docs := make([]spec.LanguageDocs, len(all))
	for i, l := range all {
		docs[i] = spec.LanguageDocs{Language: l.Name(), Fields: l.Describe()}
	}
	return spec.Schema(docs...)
}

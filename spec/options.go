package spec

// Option tunes Parse, Validate and Load.
type Option func(*options)

type options struct {
	// languages is the set Validate accepts; nil accepts any non-empty language.
	languages []string
	// checks run after Validate's own, on a spec whose language is known.
	checks []func(*Spec) Errors
}

// WithLanguages sets the languages Validate accepts. The llb package owns that list;
// without this option any non-empty language passes.
func WithLanguages(names ...string) Option {
	return func(o *options) {
		o.languages = append([]string(nil), names...)
	}
}

// WithCheck adds a check Validate runs after its own when the spec's language is one it accepts:
// the rules of one language, which the llb package's languages supply. A problem needs only its
// Field, Msg and Hint; File, and Pos when zero, are filled in from the field.
func WithCheck(check func(*Spec) Errors) Option {
	return func(o *options) {
		if check != nil {
			o.checks = append(o.checks, check)
		}
	}
}

func newOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

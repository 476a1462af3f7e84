package spec

// Option tunes Parse, Validate and Load.
type Option func(*options)

type options struct {
	// languages is the set Validate accepts; nil accepts any non-empty language.
	languages []string
}

// WithLanguages sets the languages Validate accepts. The llb package owns that list;
// without this option any non-empty language passes.
func WithLanguages(names ...string) Option {
	return func(o *options) {
		o.languages = append([]string(nil), names...)
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

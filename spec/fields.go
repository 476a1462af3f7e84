package spec

import (
	"reflect"
	"strings"
)

// field is one exported struct field as hardened.yaml spells it; the decoder and the
// schema both read it, so the file format is defined once, by the struct tags.
type field struct {
	name     string
	index    int
	typ      reflect.Type
	required bool // the yaml tag has no omitempty
	desc     string
	example  string
	enum     []string
}

// fieldsOf lists the yaml fields of a struct type in declaration order.
func fieldsOf(t reflect.Type) []field {
	var fs []field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		tag, ok := sf.Tag.Lookup("yaml")
		if !ok || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		f := field{
			name:     name,
			index:    i,
			typ:      sf.Type,
			required: !strings.Contains(","+opts+",", ",omitempty,"),
			desc:     sf.Tag.Get("desc"),
			example:  sf.Tag.Get("example"),
		}
		if e := sf.Tag.Get("enum"); e != "" {
			f.enum = strings.Split(e, ",")
		}
		fs = append(fs, f)
	}
	return fs
}

// fieldNames lists the yaml names of a struct type, for hints.
func fieldNames(t reflect.Type) []string {
	var names []string
	for _, f := range fieldsOf(t) {
		names = append(names, f.name)
	}
	return names
}

package spec

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
)

// durationPattern loosely matches Go durations; Validate has the last word (it also refuses 0s).
const durationPattern = `^\+?([0-9]*(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+$`

// schemaExtras are constraints the struct tags cannot say, by field path ("[]" for list items).
// Types listed here widen string fields that YAML writers naturally give as numbers.
var schemaExtras = map[string]object{
	"version":                  {{"type", []string{"string", "number"}}},
	"artifacts":                {{"minItems", 1}},
	"user":                     {{"type", []string{"string", "integer"}}, {"pattern", `^[0-9]+(:[0-9]+)?$`}, {"minimum", 1}, {"maximum", maxID}},
	"entrypoint":               {{"minItems", 1}},
	"workdir":                  {{"pattern", "^/"}},
	"env":                      {{"propertyNames", object{{"pattern", envName.String()}}}},
	"expose[]":                 {{"type", []string{"string", "integer"}}, {"pattern", `^[0-9]+(/(tcp|udp))?$`}, {"minimum", 1}, {"maximum", 65535}},
	"healthcheck.test":         {{"minItems", 1}},
	"healthcheck.interval":     {{"pattern", durationPattern}},
	"healthcheck.timeout":      {{"pattern", durationPattern}},
	"healthcheck.start_period": {{"pattern", durationPattern}},
	"healthcheck.retries":      {{"minimum", 0}},
	"healthcheck.http.port":    {{"minimum", 1}, {"maximum", 65535}},
	"healthcheck.http.path":    {{"pattern", "^/"}},
	"build.env":                {{"propertyNames", object{{"pattern", envName.String()}}}},
	"build.steps[].run":        {{"minItems", 1}},
	"build.packages":           {{"uniqueItems", true}},
	"build.packages[]":         {{"pattern", debPackage.String()}},
	"runtime.libs":             {{"uniqueItems", true}},
	"runtime.libs[]":           {{"pattern", debPackage.String()}},
}

// LanguageDocs is one language's part of the field descriptions, by field path ("version",
// "build.script"); the schema appends each as "<language>: <text>." to the field's own.
type LanguageDocs struct {
	Language string
	Fields   map[string]string
}

// Schema is the JSON Schema (draft 2020-12) of hardened.yaml, made from the Spec types so that it
// cannot disagree with Parse about which fields exist, with the languages' parts of the
// descriptions in the order given. It ends with a newline.
func Schema(langs ...LanguageDocs) ([]byte, error) {
	root := object{
		{"$schema", "https://json-schema.org/draft/2020-12/schema"},
		{"title", "hardened.yaml"},
		{"description", "A hardened build spec: what to build, and how the hardened image runs."},
	}
	root = append(root, typeSchema(reflect.TypeOf(Spec{}), "", langs)...)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// typeSchema describes a Go type found at path.
func typeSchema(t reflect.Type, path string, langs []LanguageDocs) object {
	var o object
	switch t.Kind() {
	case reflect.String:
		o.set("type", "string")
	case reflect.Bool:
		o.set("type", "boolean")
	case reflect.Int:
		o.set("type", "integer")
	case reflect.Slice:
		o.set("type", "array")
		o.set("items", typeSchema(t.Elem(), path+"[]", langs))
	case reflect.Map:
		o.set("type", "object")
		// Values are kept as their literal text, so PORT: 8080 and DEBUG: true are fine.
		o.set("additionalProperties", object{{"type", []string{"string", "number", "boolean"}}})
	case reflect.Pointer:
		return typeSchema(t.Elem(), path, langs)
	case reflect.Struct:
		o.set("type", "object")
		var props object
		required := []string{}
		for _, f := range fieldsOf(t) {
			props.set(f.name, fieldSchema(f, joinPath(path, f.name), langs))
			if f.required {
				required = append(required, f.name)
			}
		}
		o.set("properties", props)
		if len(required) > 0 {
			o.set("required", required)
		}
		o.set("additionalProperties", false)
	}
	for _, m := range schemaExtras[path] {
		o.set(m.key, m.value)
	}
	return o
}

// fieldSchema is typeSchema with the field's description, enum and example.
func fieldSchema(f field, path string, langs []LanguageDocs) object {
	o := object{}
	if desc := describe(f.desc, path, langs); desc != "" {
		o.set("description", desc)
	}
	t := typeSchema(f.typ, path, langs)
	o = append(o, t...)
	if len(f.enum) > 0 {
		o.set("enum", f.enum)
	}
	if f.example != "" {
		var list []any
		switch {
		case json.Unmarshal([]byte(f.example), &list) == nil:
			o.set("examples", []any{list})
		case f.typ.Kind() == reflect.Slice:
			items, _ := o.get("items").(object)
			items.set("examples", []string{f.example})
			o.set("items", items)
		default:
			o.set("examples", []string{f.example})
		}
	}
	return o
}

// describe is a field's description followed by each language's part of it.
func describe(desc, path string, langs []LanguageDocs) string {
	parts := []string{}
	if desc != "" {
		parts = append(parts, desc)
	}
	for _, l := range langs {
		if text := l.Fields[path]; text != "" {
			parts = append(parts, l.Language+": "+text+".")
		}
	}
	return strings.Join(parts, " ")
}

// object is a JSON object that keeps its keys in the order they were set, so the schema reads
// in the order of the struct fields.
type object []member

type member struct {
	key   string
	value any
}

func (o *object) set(key string, value any) {
	for i := range *o {
		if (*o)[i].key == key {
			(*o)[i].value = value
			return
		}
	}
	*o = append(*o, member{key, value})
}

func (o object) get(key string) any {
	for _, m := range o {
		if m.key == key {
			return m.value
		}
	}
	return nil
}

func (o object) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := enc.Encode(m.key); err != nil {
			return nil, err
		}
		buf.WriteByte(':')
		if err := enc.Encode(m.value); err != nil {
			return nil, err
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

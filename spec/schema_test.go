package spec

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestSchemaFollowsTheTypes(t *testing.T) {
	raw, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Required             []string `json:"required"`
		AdditionalProperties bool     `json:"additionalProperties"`
		Properties           map[string]struct {
			Enum []string `json:"enum"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Required, []string{"language", "artifacts"}) || s.AdditionalProperties {
		t.Errorf("required %v, additionalProperties %v", s.Required, s.AdditionalProperties)
	}
	if len(s.Properties) != len(fieldNames(reflect.TypeOf(Spec{}))) {
		t.Errorf("%d properties for %d fields", len(s.Properties), len(fieldNames(reflect.TypeOf(Spec{}))))
	}
	if !reflect.DeepEqual(s.Properties["base"].Enum, bases) {
		t.Errorf("base enum %v, Validate accepts %v", s.Properties["base"].Enum, bases)
	}
	// Every extra must name a real field, or a typo would silently drop a constraint.
	for path := range schemaExtras {
		if !fieldExists(path) {
			t.Errorf("schemaExtras names %q, which is not a field", path)
		}
	}
}

// fieldExists says whether a schema path ("build.steps[].run") names a field of Spec.
func fieldExists(path string) bool {
	t := reflect.TypeOf(Spec{})
	for _, seg := range strings.Split(path, ".") {
		seg = strings.TrimSuffix(seg, "[]")
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return false
		}
		found := false
		for _, f := range fieldsOf(t) {
			if f.name == seg {
				t, found = f.typ, true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

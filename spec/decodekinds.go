package spec

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decodeString decodes a scalar as its literal text, within MaxValueLength.
func (d *decoder) decodeString(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.wrongKind(n, v.Type(), path)
		return
	}
	if len(n.Value) > MaxValueLength {
		d.fail(n, path, fmt.Sprintf("the value is %d bytes long, over the %d-byte limit", len(n.Value), MaxValueLength),
			"shorten it; a spec field holds a name, a path or a short setting")
		return
	}
	// The literal text, so that version: 1.20 stays "1.20" and user: 65532 becomes "65532".
	v.SetString(n.Value)
}

// decodeBool decodes a YAML boolean, true or false.
func (d *decoder) decodeBool(n *yaml.Node, v reflect.Value, path string) {
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		d.fail(n, path, "expected true or false, got "+describeNode(n), fmt.Sprintf("write %s: true or %s: false", lastName(path), lastName(path)))
		return
	}
	v.SetBool(b)
}

// decodeInt decodes a whole number, saying when one is out of range.
func (d *decoder) decodeInt(n *yaml.Node, v reflect.Value, path string) {
	var i int
	// Integers too big for int64 resolve as floats; say so rather than "not a whole number".
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!float" && isDigits(strings.TrimPrefix(n.Value, "-")) {
		d.fail(n, path, fmt.Sprintf("%s is out of range", n.Value), fmt.Sprintf("write %s: 3", lastName(path)))
		return
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		d.fail(n, path, "expected a whole number, got "+describeNode(n), fmt.Sprintf("write %s: 3", lastName(path)))
		return
	}
	if err := n.Decode(&i); err != nil {
		d.fail(n, path, fmt.Sprintf("%s is out of range", n.Value), fmt.Sprintf("write %s: 3", lastName(path)))
		return
	}
	v.SetInt(int64(i))
}

// decodeSlice decodes a sequence, item by item.
func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.wrongKind(n, v.Type(), path)
		return
	}
	if d.tooMany(n, path, len(n.Content)) {
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.value(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
	}
	v.Set(s)
}

// decodeMap decodes a mapping of string keys, remembering where each key is.
func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.wrongKind(n, v.Type(), path)
		return
	}
	if d.tooMany(n, path, len(n.Content)/2) {
		return
	}
	m := reflect.MakeMap(v.Type())
	for _, e := range d.entries(n, path) {
		p := path + "." + e.key.Value
		d.keyPos[p] = posOf(e.key)
		elem := reflect.New(v.Type().Elem()).Elem()
		d.value(e.value, elem, p)
		m.SetMapIndex(reflect.ValueOf(e.key.Value), elem)
	}
	v.Set(m)
}

// decodeStruct decodes a mapping onto a struct's fields, refusing unknown ones.
func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.wrongKind(n, v.Type(), path)
		return
	}
	byName := map[string]field{}
	for _, f := range fieldsOf(v.Type()) {
		byName[f.name] = f
	}
	for _, e := range d.entries(n, path) {
		f, ok := byName[e.key.Value]
		if !ok {
			d.fail(e.key, joinPath(path, e.key.Value), "unknown field", unknownFieldHint(v.Type(), e.key.Value))
			continue
		}
		d.value(e.value, v.Field(f.index), joinPath(path, f.name))
	}
}

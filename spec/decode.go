package spec

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// aliasBudget caps how many values aliases and merge keys may expand to; a spec uses a handful,
// an alias bomb needs billions.
const aliasBudget = 10000

// decoder walks a yaml.Node tree against the Spec types, collecting every problem instead of
// stopping at the first, and recording where each field and list element stands.
type decoder struct {
	file   string
	errs   Errors
	pos    map[string]Pos
	keyPos map[string]Pos
	bad    map[string]bool
	// expanding holds the anchors being expanded, so an alias inside its own anchor is refused.
	expanding  map[*yaml.Node]bool
	aliasDepth int
	budget     int
	exhausted  bool
}

func newDecoder(file string) *decoder {
	return &decoder{
		file:      file,
		pos:       map[string]Pos{},
		keyPos:    map[string]Pos{},
		bad:       map[string]bool{},
		expanding: map[*yaml.Node]bool{},
		budget:    aliasBudget,
	}
}

// posOf is where n starts; yaml leaves 0 for nodes it made up, and messages need 1-based positions.
func posOf(n *yaml.Node) Pos {
	return Pos{Line: max(n.Line, 1), Col: max(n.Column, 1)}
}

func (d *decoder) fail(n *yaml.Node, path, msg, hint string) {
	d.errs = append(d.errs, Error{File: d.file, Pos: posOf(n), Field: path, Msg: msg, Hint: hint})
	// A problem with the document itself must not hide every field's checks.
	if path != "" {
		d.bad[path] = true
	}
}

// value decodes n into v, first following an alias to its anchor.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	d.pos[path] = posOf(n)
	if n.Kind != yaml.AliasNode {
		d.decode(n, v, path)
		return
	}
	target, ok := d.enterAlias(n, path)
	if !ok {
		return
	}
	d.decode(target, v, path)
	d.leaveAlias(target)
}

func (d *decoder) enterAlias(n *yaml.Node, path string) (*yaml.Node, bool) {
	target := n.Alias
	if target == nil {
		d.fail(n, path, fmt.Sprintf("alias *%s names no anchor", n.Value), "define &"+n.Value+" before using it")
		return nil, false
	}
	if d.expanding[target] {
		d.fail(n, path, fmt.Sprintf("alias *%s is inside its own anchor", n.Value), "write the value out instead")
		return nil, false
	}
	d.expanding[target] = true
	d.aliasDepth++
	return target, true
}

func (d *decoder) leaveAlias(target *yaml.Node) {
	d.aliasDepth--
	delete(d.expanding, target)
}

// spend counts a value reached through an alias and reports once when the budget runs out.
func (d *decoder) spend(n *yaml.Node, path string) bool {
	if d.aliasDepth == 0 {
		return true
	}
	if d.exhausted {
		return false
	}
	d.budget--
	if d.budget < 0 {
		d.exhausted = true
		d.fail(n, path, "aliases expand to too many values", "write the values out; a spec needs few or no aliases")
		return false
	}
	return true
}

// MaxItems bounds one list or mapping: a spec lists a handful of artifacts, variables or labels, and
// each item becomes a build step or a config entry, so tens of thousands would make a build that takes
// minutes to describe before it fails.
const MaxItems = 1000

// tooMany refuses a list or mapping of more than MaxItems items, at the field.
func (d *decoder) tooMany(n *yaml.Node, path string, items int) bool {
	if items <= MaxItems {
		return false
	}
	d.fail(n, path, fmt.Sprintf("%d items, over the limit of %d", items, MaxItems),
		"a spec lists a few of each; split the build into several specs, or move the values into a file the build reads")
	return true
}

// MaxValueLength bounds one string value: a Linux path is at most 4096 bytes, and nothing in a spec
// is longer than a path.
const MaxValueLength = 4096

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if !d.spend(n, path) || isNull(n) {
		return // null leaves the zero value, as if the field were not written
	}
	switch v.Kind() {
	case reflect.String:
		d.decodeString(n, v, path)
	case reflect.Bool:
		d.decodeBool(n, v, path)
	case reflect.Int:
		d.decodeInt(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.Pointer:
		if n.Kind != yaml.MappingNode {
			d.wrongKind(n, v.Type(), path)
			return
		}
		p := reflect.New(v.Type().Elem())
		d.decode(n, p.Elem(), path)
		v.Set(p)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	default:
		// Only reached if types.go gains a kind this decoder does not know; fail loudly in tests.
		d.fail(n, path, "field of unsupported type "+v.Type().String(), "")
	}
}

// entry is one key and value of a mapping.
type entry struct{ key, value *yaml.Node }

// entries lists a mapping's pairs, reporting duplicate and non-scalar keys, with << merges folded
// in under the keys written explicitly.
func (d *decoder) entries(n *yaml.Node, path string) []entry {
	var out []entry
	seen := map[string]*yaml.Node{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.fail(k, path, "a key must be a plain name, got "+describeNode(k), "write name: value")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.fail(k, joinPath(path, k.Value), fmt.Sprintf("written twice (first at line %d)", first.Line), "remove one of them")
			continue
		}
		seen[k.Value] = k
		out = append(out, entry{k, v})
	}
	for _, m := range merges {
		out = d.merge(m, path, seen, out, true)
	}
	return out
}

// merge adds the pairs of a << value whose keys are not yet seen; earlier merges win, as YAML says.
func (d *decoder) merge(m *yaml.Node, path string, seen map[string]*yaml.Node, out []entry, listOK bool) []entry {
	switch {
	case m.Kind == yaml.AliasNode:
		target, ok := d.enterAlias(m, path)
		if !ok {
			return out
		}
		out = d.merge(target, path, seen, out, false)
		d.leaveAlias(target)
	case m.Kind == yaml.MappingNode:
		if !d.spend(m, path) {
			return out
		}
		for _, e := range d.entries(m, path) {
			if _, ok := seen[e.key.Value]; ok {
				continue
			}
			seen[e.key.Value] = e.key
			out = append(out, e)
		}
	case m.Kind == yaml.SequenceNode && listOK:
		for _, item := range m.Content {
			out = d.merge(item, path, seen, out, false)
		}
	default:
		d.fail(m, path, "<< must merge a mapping or a list of mappings, got "+describeNode(m), "write <<: *anchor where &anchor names a mapping")
	}
	return out
}

// wrongKind reports a value of the wrong shape with a hint in the shape the field wants.
func (d *decoder) wrongKind(n *yaml.Node, t reflect.Type, path string) {
	name := lastName(path)
	var want, hint string
	switch t.Kind() {
	case reflect.String:
		want, hint = "a single value", "write "+name+": followed by one value"
		if strings.HasSuffix(path, "]") {
			hint = "write each item of " + name + " as a single value"
		} else if ex := exampleFor(path); ex != "" {
			hint = fmt.Sprintf("write a single value, e.g. %s: %s", name, ex)
		}
	case reflect.Slice:
		want, hint = "a list", fmt.Sprintf(`write one item per line under %s:, each starting with "- "`, name)
		if t.Elem() == reflect.TypeOf(Step{}) {
			hint = `write each step as a list item, e.g. - run: ["go", "generate", "./..."]`
		} else if n.Kind == yaml.ScalarNode {
			items := []string{n.Value}
			if execForm[name] {
				items = strings.Fields(n.Value)
			}
			hint = fmt.Sprintf("write a list: %s: %s", name, flowList(items))
		}
	case reflect.Map:
		want, hint = "a mapping of names to values", fmt.Sprintf("write one NAME: value per line, indented under %s:", name)
	case reflect.Struct, reflect.Pointer:
		want = "a mapping of fields"
		st := t
		if st.Kind() == reflect.Pointer {
			st = st.Elem()
		}
		hint = fmt.Sprintf("write its fields indented under %s: (%s)", name, strings.Join(fieldNames(st), ", "))
		if st == reflect.TypeOf(Step{}) && n.Kind == yaml.ScalarNode {
			hint = "write the step as - run: " + flowList(strings.Fields(n.Value))
		}
	}
	d.fail(n, path, fmt.Sprintf("expected %s, got %s", want, describeNode(n)), hint)
}

// execForm names the list fields holding a command and its arguments, which a lone string should be split into.
var execForm = map[string]bool{"entrypoint": true, "cmd": true, "test": true, "run": true}

// exampleFor is the example tag of the field at path, for hints.
func exampleFor(path string) string {
	t := reflect.TypeOf(Spec{})
	var ex string
	for _, seg := range strings.Split(path, ".") {
		seg, _, _ = strings.Cut(seg, "[")
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return ""
		}
		found := false
		for _, f := range fieldsOf(t) {
			if f.name == seg {
				t, ex, found = f.typ, f.example, true
				break
			}
		}
		if !found {
			return ""
		}
	}
	return ex
}

// flowList writes items as a YAML flow list with quoted strings, which always reads back the same.
func flowList(items []string) string {
	q := make([]string, len(items))
	for i, it := range items {
		q[i] = quote(it)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describeNode names what a node is, in the words of the messages.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int", "!!float":
			return "the number " + n.Value
		case "!!bool":
			return n.Value
		case "!!null":
			return "nothing"
		}
		return quote(n.Value)
	}
	return "nothing"
}

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// lastName is the field name a path ends with: "build.steps[1].run[0]" gives "run".
func lastName(path string) string {
	for strings.HasSuffix(path, "]") {
		i := strings.LastIndexByte(path, '[')
		if i < 0 {
			break
		}
		path = path[:i]
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// parentPath is the path one level up: "build.steps[1].run" gives "build.steps[1]", "user" gives "".
func parentPath(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

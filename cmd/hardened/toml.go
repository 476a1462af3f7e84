package main

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"
)

// tomlTable is one table of a TOML file as init reads it: its dotted name, whether it is an
// element of an array of tables ([[bin]]), and its keys in order.
type tomlTable struct {
	name  string
	array bool
	keys  []string
	vals  map[string]tomlValue
}

// tomlValue is a string, an array of strings, or a bare value (true, 3) kept as written.
type tomlValue struct {
	str  string
	list []string
}

var (
	tomlHeader = regexp.MustCompile(`^(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$`)
	tomlKeyVal = regexp.MustCompile(`^([A-Za-z0-9_."' -]+?)\s*=\s*(.*)$`)
	tomlString = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"|'([^']*)'`)
)

// readTOML reads the tables of the Cargo.toml and pyproject.toml lines init needs: string
// values, arrays of strings (over several lines too) and bare values. It is not TOML at
// large: no inline tables, no multi-line strings; keys the file writes twice keep the first.
func readTOML(dt []byte) []*tomlTable {
	root := &tomlTable{vals: map[string]tomlValue{}}
	tables := []*tomlTable{root}
	cur := root
	sc := bufio.NewScanner(bytes.NewReader(dt))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if m := tomlHeader.FindStringSubmatch(line); m != nil {
			cur = &tomlTable{name: tomlDotted(m[2]), array: m[1] == "[[", vals: map[string]tomlValue{}}
			tables = append(tables, cur)
			continue
		}
		m := tomlKeyVal.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		key, raw := tomlDotted(m[1]), strings.TrimSpace(m[2])
		var v tomlValue
		switch {
		case strings.HasPrefix(raw, "["):
			for !tomlArrayClosed(raw) && sc.Scan() {
				raw += " " + strings.TrimSpace(sc.Text())
			}
			for _, s := range tomlString.FindAllStringSubmatch(raw, -1) {
				v.list = append(v.list, s[1]+s[2])
			}
		case strings.HasPrefix(raw, "{"):
			continue
		default:
			if s := tomlString.FindStringSubmatch(raw); s != nil && strings.Index(raw, s[0]) == 0 {
				v.str = s[1] + s[2]
			} else {
				v.str, _, _ = strings.Cut(raw, "#")
				v.str = strings.TrimSpace(v.str)
			}
		}
		if _, seen := cur.vals[key]; !seen {
			cur.keys = append(cur.keys, key)
			cur.vals[key] = v
		}
	}
	return tables
}

// tomlArrayClosed says whether an array's text so far has its closing bracket, outside strings.
func tomlArrayClosed(raw string) bool {
	stripped := tomlString.ReplaceAllString(raw, `""`)
	stripped, _, _ = strings.Cut(stripped, "#")
	return strings.Count(stripped, "[") <= strings.Count(stripped, "]")
}

// tomlDotted drops the quotes and spaces of a dotted key: project."scripts" is project.scripts.
func tomlDotted(k string) string {
	parts := strings.Split(k, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return strings.Join(parts, ".")
}

// tomlGet is the value of a dotted key under the first plain table of that name, written
// in the table ([package] name) or dotted from the root (package.name = ...).
func tomlGet(tables []*tomlTable, key string) (tomlValue, bool) {
	for _, t := range tables {
		if t.array {
			continue
		}
		rest := key
		if t.name != "" {
			var ok bool
			if rest, ok = strings.CutPrefix(key, t.name+"."); !ok {
				continue
			}
		}
		if v, ok := t.vals[rest]; ok {
			return v, true
		}
	}
	return tomlValue{}, false
}

// tomlTableNamed is the first plain table of that name, nil when there is none.
func tomlTableNamed(tables []*tomlTable, name string) *tomlTable {
	for _, t := range tables {
		if !t.array && t.name == name {
			return t
		}
	}
	return nil
}

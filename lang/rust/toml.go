package rust

import "github.com/BurntSushi/toml"

// tomlTables is a TOML file's top-level table; nil when it does not parse (cargo then refuses it
// itself, with a better message).
func tomlTables(dt []byte) map[string]any {
	var m map[string]any
	if _, err := toml.Decode(string(dt), &m); err != nil {
		return nil
	}
	return m
}

// tomlString is the string at a dotted path of a TOML file ("toolchain", "channel"), empty when
// the file does not parse or the value is missing or not a string.
func tomlString(dt []byte, path ...string) string {
	var v any = tomlTables(dt)
	for _, k := range path {
		t, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = t[k]
	}
	s, _ := v.(string)
	return s
}

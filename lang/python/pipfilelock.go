package python

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// pipfileLock is what the build reads of Pipfile.lock (pipfile-spec 6): the default section is
// already the whole flat set of packages `pipenv install --deploy` installs, each pinned and hashed.
type pipfileLock struct {
	Meta struct {
		Sources []pipfileSource `json:"sources"`
	} `json:"_meta"`
	Default map[string]pipfilePackage `json:"default"`
}

type pipfileSource struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

type pipfilePackage struct {
	Version  string   `json:"version"`
	Hashes   []string `json:"hashes"`
	Markers  string   `json:"markers"`
	Index    string   `json:"index"`
	Git      string   `json:"git"`
	Path     string   `json:"path"`
	File     string   `json:"file"`
	Editable bool     `json:"editable"`
}

// pipfilePlan reads Pipfile.lock as `pipenv install --deploy` (without --dev) installs it: the
// develop section is left out, markers are kept, and every package comes from a hashed file.
func pipfilePlan(data []byte) (*lockPlan, error) {
	var lock pipfileLock
	if err := json.Unmarshal(data, &lock); err != nil {
		return nil, lockErr("run `pipenv lock` again", "Pipfile.lock does not parse: %v", err)
	}
	at := func(path ...string) string {
		return "Pipfile.lock:" + jsonKeyPos(data, path...) + ": " + strings.Join(path, ".")
	}
	if lock.Default == nil {
		return nil, lockErr("run `pipenv lock` again", "Pipfile.lock has no default section")
	}
	plan := &lockPlan{file: "Pipfile.lock", rootDir: "."}
	var pkgs []lockedPackage
	var registries []string
	names := make([]string, 0, len(lock.Default))
	for name := range lock.Default {
		names = append(names, name)
	}
	slices.Sort(names) // the first problem reported is always the same one
	for _, name := range names {
		p := lock.Default[name]
		lp, err := pipfileLocked(name, p, func(key string) string { return at("default", name, key) })
		if err != nil {
			return nil, err
		}
		if err := lp.check("Pipfile.lock", at("default", name)); err != nil {
			return nil, err
		}
		registry, err := pipfileIndex(lock.Meta.Sources, p, at, name)
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, lp)
		if registry != "" {
			registries = append(registries, registry)
		}
	}
	extra, err := indexOptions(plan, registries)
	if err != nil {
		return nil, err
	}
	plan.reqs = render("Pipfile.lock", pkgs, plan, extra)
	return plan, nil
}

// pipfileLocked is one package's pin: name==version, or name @ url for an http(s) file, with its
// hashes and marker; git, local paths and editable installs are refused.
func pipfileLocked(name string, p pipfilePackage, at func(key string) string) (lockedPackage, error) {
	lp := lockedPackage{name: name, marker: p.Markers, hashes: p.Hashes}
	switch {
	case p.Git != "":
		return lp, lockErr("publish it to your index and lock that version, or export requirements.txt",
			"%s: %s comes from git (%s), which pip --require-hashes cannot check against a hash", at("git"), name, p.Git)
	case p.Path != "" || p.Editable:
		return lp, lockErr("build it into a wheel, publish it to your index and lock that version",
			"%s: %s comes from the local path %q, which pip --require-hashes cannot check against a hash", at(firstKey(p.Path != "", "path", "editable")), name, p.Path)
	case p.File != "" && !strings.HasPrefix(p.File, "https://") && !strings.HasPrefix(p.File, "http://"):
		return lp, lockErr("build it into a wheel, publish it to your index and lock that version",
			"%s: %s comes from the file %q, which is not an http(s) URL", at("file"), name, p.File)
	case p.File != "":
		lp.url = p.File
	case !strings.HasPrefix(p.Version, "=="):
		return lp, lockErr("run `pipenv lock` again; a lock pins every package with ==",
			"%s: %s is locked as %q, not one pinned version", at("version"), name, p.Version)
	default:
		lp.version = strings.TrimPrefix(p.Version, "==")
	}
	if len(p.Hashes) == 0 {
		return lp, lockErr("lock again where the index gives hashes; pip installs nothing unhashed", "%s: %s %s has no hash", at("hashes"), name, lp.version)
	}
	return lp, nil
}

func firstKey(first bool, a, b string) string {
	if first {
		return a
	}
	return b
}

// pipfileIndex is the URL of the source a package comes from: its index by name, else the
// lock's first source (pipenv's default); a direct file needs none.
func pipfileIndex(sources []pipfileSource, p pipfilePackage, at func(path ...string) string, name string) (string, error) {
	if p.File != "" || len(sources) == 0 {
		return "", nil
	}
	i := 0
	if p.Index != "" {
		i = slices.IndexFunc(sources, func(s pipfileSource) bool { return s.Name == p.Index })
		if i < 0 {
			return "", lockErr("run `pipenv lock` again", "%s: %s names the index %q, which _meta.sources does not have", at("default", name, "index"), name, p.Index)
		}
	}
	u := sources[i].URL
	if strings.Contains(u, "@") || strings.Contains(u, "$") {
		return "", lockErr("keep the credentials out of the lock and give them as a build secret (docs/languages.md, python)",
			"%s: Pipfile.lock names an index with credentials, or a variable pipenv would expand, in its URL", at("_meta", "sources", strconv.Itoa(i), "url"))
	}
	return u, nil
}

// jsonKeyPos is "LINE:COL" of the key at path in a JSON document (array elements by index), else
// of the nearest key above it that is there, else 1:1; Go's decoder keeps no positions.
func jsonKeyPos(data []byte, path ...string) string {
	off := -1
	for n := len(path); n > 0 && off < 0; n-- {
		off = keyOffset(json.NewDecoder(bytes.NewReader(data)), path[:n])
	}
	if off < 0 {
		return "1:1"
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Sprintf("%d:%d", line, col)
}

// keyOffset walks the next value and returns the offset where the key at path starts, -1 if
// the value has no such key.
func keyOffset(dec *json.Decoder, path []string) int {
	tok, err := dec.Token()
	d, ok := tok.(json.Delim)
	if err != nil || !ok {
		return -1
	}
	for i := 0; dec.More(); i++ {
		key := strconv.Itoa(i)
		if d == '{' {
			kt, err := dec.Token()
			if err != nil {
				return -1
			}
			key, _ = kt.(string)
		}
		start := int(dec.InputOffset())
		if d == '{' {
			q, _ := json.Marshal(key)
			start -= len(q)
		}
		if len(path) > 0 && key == path[0] {
			if len(path) == 1 {
				return start
			}
			return keyOffset(dec, path[1:])
		}
		keyOffset(dec, nil) // skips the value
	}
	_, _ = dec.Token() // the closing delimiter
	return -1
}

package audit

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// maxContentScan bounds the bytes HX-SEC-CONTENT reads through the filesystem when there is no
// layer data (inside a build); a report says how many files it left out.
const maxContentScan = 256 << 20

func checkSecretEnv(f *facts) outcome {
	var ev []Evidence
	for _, kv := range f.cfg.Config.Env {
		name, value, _ := strings.Cut(kv, "=")
		field := "config.Env." + name
		if secretName(name, value) {
			ev = append(ev, Evidence{Field: field, Detail: fmt.Sprintf("%s=**** (%d chars): the name says it is a secret", name, len(value))})
			continue
		}
		for _, m := range findValueSecrets(value) {
			ev = append(ev, Evidence{Field: field, Detail: m})
		}
	}
	if len(ev) > 0 {
		return failed(ev, "%s in ENV", plural(len(ev), "secret", "secrets"))
	}
	return pass("no secret in %s", plural(len(f.cfg.Config.Env), "ENV variable", "ENV variables"))
}

// historyAssignment finds NAME=value in ENV, ARG and LABEL lines and in the |N NAME=value
// prefix BuildKit and Docker record for RUN steps with build arguments.
var (
	historyInstruction = regexp.MustCompile(`^(?:/bin/sh -c #\(nop\)\s+)?(ENV|ARG|LABEL)\s+(.*)$`)
	historyRunArgs     = regexp.MustCompile(`^(?:RUN\s+)?\|\d+\s+((?:[A-Za-z_][A-Za-z0-9_]*=(?:"[^"]*"|'[^']*'|\S*)\s+)+)`)
	assignment         = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_.-]*)=("[^"]*"|'[^']*'|\S*)`)
)

func checkSecretHistory(f *facts) outcome {
	var ev []Evidence
	for i, h := range f.cfg.History {
		field := fmt.Sprintf("history[%d].created_by", i)
		add := func(detail string) {
			ev = append(ev, Evidence{Field: field, Detail: detail, history: i + 1})
		}
		line := strings.TrimSpace(h.CreatedBy)
		var assigns string
		kind := "RUN"
		if m := historyInstruction.FindStringSubmatch(line); m != nil {
			kind, assigns = m[1], m[2]
		} else if m := historyRunArgs.FindStringSubmatch(line); m != nil {
			assigns = m[1]
		}
		named := map[string]bool{}
		for _, a := range assignment.FindAllStringSubmatch(assigns, -1) {
			value := strings.Trim(a[2], `"'`)
			if secretName(a[1], value) {
				named[a[1]] = true
				add(fmt.Sprintf("%s %s=**** (%d chars): the name says it is a secret", kind, a[1], len(value)))
			}
		}
		if len(named) == 0 {
			for _, m := range findValueSecrets(line) {
				add(m)
			}
		}
	}
	keys := make([]string, 0, len(f.cfg.Config.Labels))
	for k := range f.cfg.Config.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, m := range findValueSecrets(f.cfg.Config.Labels[k]) {
			ev = append(ev, Evidence{Field: "config.Labels." + k, Detail: m})
		}
	}
	if len(ev) > 0 {
		return failed(ev, "%s in the history or labels", plural(len(ev), "secret", "secrets"))
	}
	return pass("no secret in %s or %s", plural(len(f.cfg.History), "history entry", "history entries"), plural(len(keys), "label", "labels"))
}

// finalHits are the secrets of the merged filesystem of one kind: from the layers when known
// (the version of each path that is final), else read through the filesystem.
func (f *facts) finalHits(kind hitKind) []secretHit {
	if f.layers != nil {
		var out []secretHit
		for _, h := range f.layers.hits {
			if o, ok := f.layers.origin[h.path]; ok && o == h.layer && h.kind == kind {
				if _, ok := f.entry(h.path); ok {
					out = append(out, h)
				}
			}
		}
		return out
	}
	if kind == hitName {
		return f.fsNameHits()
	}
	return f.fsContentScan().hits
}

func (f *facts) fsNameHits() []secretHit {
	if f.namesDone {
		return f.nameHits
	}
	f.namesDone = true
	for _, e := range f.files {
		if !e.Mode.IsRegular() {
			continue
		}
		p := e.Path
		content := func() ([]byte, error) {
			if e.Size > maxScan {
				return nil, nil // a gated credential file is small; a large one is not searched
			}
			d, _ := f.read(p)
			return d, nil
		}
		hits, err := scanSecrets(p, e.Size, content, scanNames)
		if err != nil {
			f.fail(err)
			return nil
		}
		f.nameHits = append(f.nameHits, hits...)
	}
	return f.nameHits
}

// contentScan is HX-SEC-CONTENT's pass over the merged filesystem.
type contentScan struct {
	hits             []secretHit
	scanned, skipped int
}

func (f *facts) fsContentScan() *contentScan {
	if f.content != nil {
		return f.content
	}
	c := &contentScan{}
	f.content = c
	var budget int64 = maxContentScan
	for _, e := range f.files {
		if !e.Mode.IsRegular() || e.Size > maxScan || e.Size == 0 || !contentSearched(e.Path) {
			continue
		}
		if budget < e.Size {
			c.skipped++
			continue
		}
		budget -= e.Size
		c.scanned++
		d, err := f.t.FS.ReadFile(f.ctx, e.Path)
		if err != nil {
			f.fail(fmt.Errorf("reading %s: %w", e.Path, err))
			return c
		}
		for _, m := range findTokens(d) {
			c.hits = append(c.hits, secretHit{path: e.Path, layer: -1, kind: hitContent, detail: m})
		}
	}
	return c
}

func (f *facts) hitEvidence(hits []secretHit) []Evidence {
	var ev []Evidence
	for _, h := range hits {
		e := Evidence{Path: h.path, Detail: h.detail}
		if h.layer >= 0 {
			e.Layer = f.layers.ref(h.layer)
		}
		ev = append(ev, e)
	}
	return ev
}

func checkSecretFiles(f *facts) outcome {
	if ev := f.hitEvidence(f.finalHits(hitName)); len(ev) > 0 {
		return failed(ev, "%s", plural(len(ev), "credential file", "credential files"))
	}
	return pass("no key, credential store or token dotfile")
}

func checkSecretContent(f *facts) outcome {
	hits := f.finalHits(hitContent)
	note := ""
	if f.layers == nil {
		if c := f.fsContentScan(); c.skipped > 0 {
			note = fmt.Sprintf("; %d files over the %s read budget were not searched", c.skipped, formatBytes(maxContentScan))
		}
	}
	if ev := f.hitEvidence(hits); len(ev) > 0 {
		return failed(ev, "%s in file contents%s", plural(len(ev), "secret", "secrets"), note)
	}
	return pass("no private key or token in text files up to %s%s", formatBytes(maxScan), note)
}

func checkSecretLayers(f *facts) outcome {
	var ev []Evidence
	for _, h := range f.layers.hits {
		final, present := f.layers.origin[h.path]
		if present && final == h.layer {
			continue // in the merged filesystem: HX-SEC-FILES and HX-SEC-CONTENT report it
		}
		what := "deleted in a later layer, still in this layer's blob"
		if present {
			what = fmt.Sprintf("replaced in layer %d, still in this layer's blob", final)
		}
		ev = append(ev, Evidence{Path: h.path, Layer: f.layers.ref(h.layer), Detail: h.detail + "; " + what})
	}
	if len(ev) > 0 {
		return failed(ev, "%s only in lower layers", plural(len(ev), "secret", "secrets"))
	}
	return pass("no secret hidden in any of %s", plural(len(f.layers.entries), "layer", "layers"))
}

//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestProvenanceShowsSpecLines: `--provenance=mode=max` records hardened.yaml as the build's
// source, with its text, and maps every step the spec produced to the spec line it came from, so
// a provenance viewer (and `docker buildx history`) shows which line of hardened.yaml made each
// step: the compile comes from `artifacts:`.
func TestProvenanceShowsSpecLines(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "go")
	specPath := filepath.Join(dir, "hardened.yaml")
	out := filepath.Join(t.TempDir(), "app.tar")
	build(t, st.Buildx(context.Background(), "build", "--provenance=mode=max", "-f", specPath,
		"-o", "type=oci,dest="+out, dir))

	preds := append(predicates(t, out, "https://slsa.dev/provenance/v0.2"), predicates(t, out, "https://slsa.dev/provenance/v1")...)
	if len(preds) != 1 {
		t.Fatalf("want one provenance attestation, got %d", len(preds))
	}
	var pred any
	if err := json.Unmarshal(preds[0], &pred); err != nil {
		t.Fatal(err)
	}

	// The source: hardened.yaml, with the spec's bytes.
	var source struct {
		Locations map[string]json.RawMessage `json:"locations"`
		Infos     []struct {
			Filename string `json:"filename"`
			Data     []byte `json:"data"`
		} `json:"infos"`
	}
	raw := find(pred, func(k string, v any) bool {
		m, ok := v.(map[string]any)
		return k == "source" && ok && m["infos"] != nil
	})
	if raw == nil {
		t.Fatalf("the provenance has no source (mode=max):\n%.3000s", preds[0])
	}
	remarshal(t, raw, &source)
	specText := readHost(t, specPath)
	if len(source.Infos) != 1 || filepath.Base(source.Infos[0].Filename) != "hardened.yaml" || !bytes.Equal(source.Infos[0].Data, specText) {
		t.Fatalf("the provenance's source is %+v, want hardened.yaml with the spec's text", source.Infos)
	}

	// The steps: every exec (the module download, the compile) has a location in hardened.yaml.
	var steps []struct {
		ID string         `json:"id"`
		Op map[string]any `json:"op"`
	}
	cfg := find(pred, func(k string, v any) bool {
		m, ok := v.(map[string]any)
		return k == "buildConfig" && ok && m["llbDefinition"] != nil
	})
	if cfg == nil {
		t.Fatalf("the provenance has no buildConfig (mode=max)")
	}
	remarshal(t, cfg.(map[string]any)["llbDefinition"], &steps)
	artifactsLine := specLine(t, specText, "artifacts:")
	var execs, compiles int
	for _, s := range steps {
		op, _ := json.Marshal(s.Op)
		if !strings.Contains(string(op), `"exec"`) {
			continue
		}
		execs++
		loc, ok := source.Locations[s.ID]
		if !ok {
			t.Errorf("step %s has no location in hardened.yaml: %.300s", s.ID, op)
			continue
		}
		var l any
		remarshal(t, loc, &l)
		lines := numbers(l, "line")
		if len(lines) == 0 {
			t.Errorf("step %s's location has no line: %s", s.ID, loc)
		}
		if strings.Contains(string(op), `"go","build"`) {
			compiles++
			if lines[0] != artifactsLine {
				t.Errorf("the compile step points at line %d, want %d (artifacts:)", lines[0], artifactsLine)
			}
		}
	}
	if execs < 2 || compiles != 1 {
		t.Errorf("the provenance lists %d exec steps and %d compiles; want the spec's download and compile", execs, compiles)
	}
}

// find returns the first value in a JSON tree whose key and value match.
func find(v any, match func(k string, v any) bool) any {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if match(k, c) {
				return c
			}
		}
		for _, c := range x {
			if r := find(c, match); r != nil {
				return r
			}
		}
	case []any:
		for _, c := range x {
			if r := find(c, match); r != nil {
				return r
			}
		}
	}
	return nil
}

// numbers lists every number under the key name in a JSON tree.
func numbers(v any, name string) []int {
	var out []int
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if n, ok := c.(float64); ok && k == name {
				out = append(out, int(n))
			}
			out = append(out, numbers(c, name)...)
		}
	case []any:
		for _, c := range x {
			out = append(out, numbers(c, name)...)
		}
	}
	return out
}

func remarshal(t *testing.T, from, to any) {
	t.Helper()
	dt, err := json.Marshal(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(dt, to); err != nil {
		t.Fatalf("%v: %.500s", err, dt)
	}
}

// specLine is the 1-based line of the spec that starts with prefix.
func specLine(t *testing.T, spec []byte, prefix string) int {
	t.Helper()
	for i, l := range strings.Split(string(spec), "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	t.Fatal(fmt.Sprintf("the spec has no line starting %q", prefix))
	return 0
}

package static_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/hardenedbuild/hardened/lang/registry"
	hllb "github.com/hardenedbuild/hardened/llb"
)

func TestStaticExampleLLB(t *testing.T) {
	s, files := loadDir(t, "static")
	lang, _ := registry.Lookup("static")
	if breq, err := lang.Builder(s, files, amd64, amd64); err != nil || breq.Ref != "" {
		t.Fatalf("static asks for builder %q (%v); it has none", breq.Ref, err)
	}
	in := resolved(t, s, files, amd64)
	in.Builder = hllb.Image{} // the frontend resolves none
	res, g := convert(t, s, in)

	// No builder image: the context and the pinned base are the only sources, and nothing runs.
	wantSources := []string{
		"docker-image://gcr.io/distroless/static-debian13:nonroot@" + staticDigest.String(),
		"local://context",
	}
	got := g.Sources()
	slices.Sort(got)
	if !slices.Equal(got, wantSources) {
		t.Errorf("sources = %q, want %q", got, wantSources)
	}
	if execs := g.Execs(); len(execs) != 0 {
		t.Errorf("a static build runs %d commands, want none", len(execs))
	}
	take := g.Named(t, "take the prebuilt artifacts from the context")
	if cp := findCopy(t, take, "/hello-server"); cp.Dest != "/hardened/out/hello-server" {
		t.Errorf("artifact copied to %s", cp.Dest)
	}
	cp := findCopy(t, g.Named(t, "copy artifacts to /app (root-owned, modes 0644/0755)"), "/hardened/out")
	if cp.Dest != "/app" || cp.ModeStr != hllb.AppMode || cp.Owner.GetUser().GetByID() != 0 {
		t.Errorf("final copy = %s -> %s mode %q owner %v", cp.Src, cp.Dest, cp.ModeStr, cp.Owner)
	}
	if !slices.Equal(res.Image.Config.Entrypoint, []string{"/app/hello-server"}) || res.Image.Config.User != "65532:65532" {
		t.Errorf("entrypoint %q user %q", res.Image.Config.Entrypoint, res.Image.Config.User)
	}
}

func TestStaticOnScratch(t *testing.T) {
	s := load(t, "language: static\nartifacts: [bin/tool]\nbase: scratch\n")
	in := resolved(t, s, nil, amd64)
	in.Builder = hllb.Image{}
	res, g := convert(t, s, in)
	if got := g.Sources(); !slices.Equal(got, []string{"local://context"}) {
		t.Errorf("sources = %q, want the context only", got)
	}
	if res.Image.Config.Labels[hllb.LabelBaseName] != "scratch" {
		t.Errorf("base label = %q", res.Image.Config.Labels[hllb.LabelBaseName])
	}
}

func TestStaticSpecChecks(t *testing.T) {
	for yaml, want := range map[string]string{
		"language: static\nartifacts: [a]\nbuild:\n  steps:\n    - run: [x]\n": "hardened.yaml:5:5: build.steps: language static does not use build.steps; remove it",
		"language: static\nversion: \"1\"\nartifacts: [a]\n":                   "hardened.yaml:2:10: version: language static does not use version; remove it",
	} {
		_, err := loadChecked(yaml)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: error = %v, want prefix %q", yaml, err, want)
		}
	}
	if _, err := loadChecked("language: static\nartifacts: [bin/tool]\nbase: cc\n"); err != nil {
		t.Errorf("a valid static spec: %v", err)
	}
}

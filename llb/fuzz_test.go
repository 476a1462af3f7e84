package llb_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/lang/registry"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// FuzzConvert: every spec the parser accepts converts without panic, for every
// language, and its LLB marshals into ops that decode again.
func FuzzConvert(f *testing.F) {
	for _, ex := range []string{"go", "node", "python", "static"} {
		if dt, err := os.ReadFile(filepath.Join("..", "examples", ex, "hardened.yaml")); err == nil {
			f.Add(dt)
		}
	}
	f.Add([]byte("language: go\nversion: \"1.26\"\ncgo: true\nartifacts: [./a, ./b]\nbuild:\n  steps:\n    - run: [x]\n"))
	f.Add([]byte("language: static\nartifacts: [./bin/tool]\nbase: scratch\nuser: \"1000:1000\"\n"))
	files := hllb.Files{
		"go.mod":            []byte("module x\n\ngo 1.26\n"),
		"package.json":      []byte(`{"name":"x","engines":{"node":">=18"}}`),
		"package-lock.json": []byte(`{"lockfileVersion":3}`),
		"requirements.txt":  []byte("--find-links wheels\nitsdangerous==2.2.0\n"),
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := spec.Load("hardened.yaml", data, registry.SpecOptions()...)
		if err != nil {
			return
		}
		lang, _ := registry.Lookup(s.Language)
		breq, err := lang.Builder(s, files, amd64, amd64)
		if err != nil {
			return // a spec error the frontend reports with its position
		}
		in := hllb.Inputs{Context: bkllb.Local("context", bkllb.LocalUniqueID("fuzz")), Files: files, Target: amd64}
		if breq.Ref != "" {
			in.Builder = hllb.Image{Ref: breq.Ref, Digest: golangDigest, State: bkllb.Image(breq.Ref + "@" + golangDigest.String())}
		}
		if req, ok, err := baseImage(s, files, amd64); err != nil {
			return
		} else if ok {
			in.Base = &hllb.Image{Ref: req.Ref, Digest: staticDigest, State: bkllb.Image(req.Ref + "@" + staticDigest.String())}
		}
		res, err := hllb.Convert(s, in)
		if err != nil {
			return
		}
		def, err := res.Final.Marshal(context.Background(), bkllb.Platform(amd64))
		if err != nil {
			t.Fatalf("an accepted spec does not marshal: %v\n%s", err, data)
		}
		for _, dt := range def.Def {
			var op pb.Op
			if err := op.UnmarshalVT(dt); err != nil {
				t.Fatalf("an op does not decode: %v", err)
			}
		}
		if res.Image.Config.User == "" || res.Image.Config.User[0] == '0' && (len(res.Image.Config.User) == 1 || res.Image.Config.User[1] == ':') {
			t.Fatalf("an accepted spec runs as root: %q", res.Image.Config.User)
		}
	})
}

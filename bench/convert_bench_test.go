package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/lang/registry"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/plan"
	"github.com/hardenedbuild/hardened/spec"
)

// BenchmarkConvert is the frontend's pure work for each benchmarked example: parse and validate the spec,
// convert it to LLB with resolved (here: made-up) image digests, and marshal the definition sent to the solver.
func BenchmarkConvert(b *testing.B) {
	for _, ex := range examples {
		b.Run(ex.Name, func(b *testing.B) {
			yaml, files := exampleInputs(b, ex)
			b.ReportAllocs()
			for b.Loop() {
				convertOnce(b, yaml, files)
			}
		})
	}
}

// The benchmark's conversion works for every example, so a change that breaks it fails go test, not
// the bench run an hour later (java's runtime libraries once did).
func TestConvertEveryExample(t *testing.T) {
	for _, ex := range examples {
		t.Run(ex.Name, func(t *testing.T) {
			yaml, files := exampleInputs(t, ex)
			convertOnce(t, yaml, files)
		})
	}
}

// exampleInputs are an example's spec and the project files its language reads.
func exampleInputs(tb testing.TB, ex *example) ([]byte, hllb.Files) {
	dir := filepath.Join("..", filepath.FromSlash(ex.dir()))
	yaml, err := os.ReadFile(filepath.Join(dir, "hardened.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	s, err := spec.Load("hardened.yaml", yaml, registry.SpecOptions()...)
	if err != nil {
		tb.Fatal(err)
	}
	lang, _ := registry.Lookup(s.Language)
	files := hllb.Files{}
	for _, n := range lang.Inputs().Files() {
		if dt, err := os.ReadFile(filepath.Join(dir, n)); err == nil {
			files[n] = dt
		}
	}
	return yaml, files
}

// convertOnce parses, validates, converts and marshals, as the frontend does for one platform.
func convertOnce(tb testing.TB, yaml []byte, files hllb.Files) {
	target := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	s, err := spec.Load("hardened.yaml", yaml, registry.SpecOptions()...)
	if err != nil {
		tb.Fatal(err)
	}
	in, err := inputs(s, files, target)
	if err != nil {
		tb.Fatal(err)
	}
	res, err := hllb.Convert(s, in)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := res.Final.Marshal(context.Background(), bkllb.Platform(target)); err != nil {
		tb.Fatal(err)
	}
}

// inputs stands for what the frontend resolves through the gateway: pinned images and the base's config.
func inputs(s *spec.Spec, files hllb.Files, target ocispecs.Platform) (hllb.Inputs, error) {
	pl, err := plan.New(s, files, target, target)
	if err != nil {
		return hllb.Inputs{}, err
	}
	breq := pl.Builder
	pin := func(ref string) string { return ref + "@" + digest.FromString(ref).String() }
	in := hllb.Inputs{
		Plan:    pl,
		Context: bkllb.Local("context", bkllb.LocalUniqueID("bench")),
		Files:   files,
		Builder: hllb.Image{Ref: breq.Ref, Digest: digest.FromString(breq.Ref),
			State: bkllb.Image(pin(breq.Ref), bkllb.Platform(breq.Platform))},
		Target: target,
	}
	if len(pl.RuntimeLibs) > 0 {
		// The runtime libraries as the frontend resolves them (java's jlink'd JRE needs zlib1g).
		in.Libs = &hllb.Libs{State: bkllb.Scratch()}
		for _, p := range pl.RuntimeLibs {
			in.Libs.Packages = append(in.Libs.Packages, hllb.DebPackage{Name: p, Version: "1"})
		}
	}
	if pl.Base != nil {
		req := *pl.Base
		cfg := &dockerspec.DockerOCIImage{}
		cfg.Config.User = "65532"
		in.Base = &hllb.Image{Ref: req.Ref, Digest: digest.FromString(req.Ref), Config: cfg,
			State: bkllb.Image(pin(req.Ref), bkllb.Platform(target))}
	}
	return in, nil
}

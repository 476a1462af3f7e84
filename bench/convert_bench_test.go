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
			dir := filepath.Join("..", filepath.FromSlash(ex.dir()))
			yaml, err := os.ReadFile(filepath.Join(dir, "hardened.yaml"))
			if err != nil {
				b.Fatal(err)
			}
			s, err := spec.Load("hardened.yaml", yaml, registry.SpecOptions()...)
			if err != nil {
				b.Fatal(err)
			}
			lang, _ := registry.Lookup(s.Language)
			files := hllb.Files{}
			for _, n := range lang.Inputs().Files() {
				if dt, err := os.ReadFile(filepath.Join(dir, n)); err == nil {
					files[n] = dt
				}
			}
			target := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				s, err := spec.Load("hardened.yaml", yaml, registry.SpecOptions()...)
				if err != nil {
					b.Fatal(err)
				}
				in, err := inputs(s, files, target)
				if err != nil {
					b.Fatal(err)
				}
				res, err := hllb.Convert(s, in)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := res.Final.Marshal(ctx, bkllb.Platform(target)); err != nil {
					b.Fatal(err)
				}
			}
		})
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
	if pl.Base != nil {
		req := *pl.Base
		cfg := &dockerspec.DockerOCIImage{}
		cfg.Config.User = "65532"
		in.Base = &hllb.Image{Ref: req.Ref, Digest: digest.FromString(req.Ref), Config: cfg,
			State: bkllb.Image(pin(req.Ref), bkllb.Platform(target))}
	}
	return in, nil
}

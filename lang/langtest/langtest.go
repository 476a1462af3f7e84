// Package langtest holds what the languages' conversion tests share: a spec loaded as the frontend
// loads it, the inputs the frontend would resolve for it, and assertions on the LLB graph. The tests
// of one language live in its package (lang/<name>); llb's own tests use it too.
package langtest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/internal/llbtest"
	"github.com/hardenedbuild/hardened/lang/registry"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/plan"
	"github.com/hardenedbuild/hardened/spec"
)

var (
	Amd64 = ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	Arm64 = ocispecs.Platform{OS: "linux", Architecture: "arm64"}
	// Digests stand for what the frontend resolves through the gateway: the builder's and the base's.
	BuilderDigest = digest.FromString("golang")
	BaseDigest    = digest.FromString("distroless-static")
)

// ExamplesDir is the repository's examples/, found from this file, so a test of any package reads it.
func ExamplesDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "examples")
}

// Load loads a spec with the languages' names only, as the conversion sees one.
func Load(t *testing.T, yaml string) *spec.Spec {
	t.Helper()
	s, err := spec.Load("hardened.yaml", []byte(yaml), spec.WithLanguages(registry.Names()...))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// LoadChecked is Load with each language's own rules, as the frontend and lint run them.
func LoadChecked(yaml string) (*spec.Spec, error) {
	return spec.Load("hardened.yaml", []byte(yaml), registry.SpecOptions()...)
}

// LoadDir reads examples/<dir>: its hardened.yaml, loaded as the frontend does, and the context
// files its language asks for.
func LoadDir(t *testing.T, dir string) (*spec.Spec, hllb.Files) {
	t.Helper()
	dir = filepath.Join(ExamplesDir(), dir)
	dt, err := os.ReadFile(filepath.Join(dir, "hardened.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.Load("hardened.yaml", dt, registry.SpecOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	lang, _ := registry.Lookup(s.Language)
	files := hllb.Files{}
	for _, f := range lang.Inputs().Files() {
		if b, err := os.ReadFile(filepath.Join(dir, f)); err == nil {
			files[f] = b
		}
	}
	return s, files
}

// Resolved builds the inputs the frontend would: pinned images with their configs.
func Resolved(t *testing.T, s *spec.Spec, files hllb.Files, target ocispecs.Platform) hllb.Inputs {
	t.Helper()
	lang, ok := registry.Lookup(s.Language)
	if !ok {
		t.Fatalf("no language %q", s.Language)
	}
	breq, err := lang.Builder(s, files, target, Amd64)
	if err != nil {
		t.Fatal(err)
	}
	in := hllb.Inputs{
		Context: bkllb.Local("context", bkllb.LocalUniqueID("test")),
		Files:   files,
		Builder: hllb.Image{
			Ref: breq.Ref, Digest: BuilderDigest,
			State: bkllb.Image(breq.Ref+"@"+BuilderDigest.String(), bkllb.Platform(breq.Platform)),
		},
		Target: target,
	}
	if in.Plan, err = plan.New(s, files, target, Amd64); err != nil {
		t.Fatal(err)
	}
	if len(in.Plan.RuntimeLibs) > 0 && s.Pos("runtime.libs").Line == 0 {
		// Packages the language needs (Java's jlink'd JRE needs zlib1g), resolved as the frontend would;
		// a spec's own runtime.libs stay for the test to resolve.
		in.Libs = &hllb.Libs{State: bkllb.Scratch()}
		for _, p := range in.Plan.RuntimeLibs {
			in.Libs.Packages = append(in.Libs.Packages, hllb.DebPackage{Name: p, Version: "1"})
		}
	}
	req, ok, err := BaseImage(s, files, target)
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		cfg := &dockerspec.DockerOCIImage{}
		cfg.Config.User = "65532"
		cfg.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}
		in.Base = &hllb.Image{
			Ref: req.Ref, Digest: BaseDigest, Config: cfg,
			State: bkllb.Image(req.Ref+"@"+BaseDigest.String(), bkllb.Platform(target)),
		}
	}
	return in
}

// BaseImage is the language's base for the spec; ok is false for scratch.
func BaseImage(s *spec.Spec, files hllb.Files, target ocispecs.Platform) (hllb.ImageRequest, bool, error) {
	l, _ := registry.Lookup(s.Language)
	req, err := l.Base(s, files, target)
	return req, req.Ref != "", err
}

// BaseNeedsFiles is the spec's language's answer.
func BaseNeedsFiles(s *spec.Spec) bool {
	l, _ := registry.Lookup(s.Language)
	return l.BaseNeedsFiles(s)
}

// Convert converts the spec and marshals its final state for the target.
func Convert(t *testing.T, s *spec.Spec, in hllb.Inputs) (*hllb.Result, *llbtest.Graph) {
	t.Helper()
	res, err := hllb.Convert(s, in)
	if err != nil {
		t.Fatal(err)
	}
	return res, llbtest.Marshal(t, res.Final, bkllb.Platform(in.Target))
}

// AssertCacheMount checks o mounts the shared cache id at dest.
func AssertCacheMount(t *testing.T, o llbtest.Op, dest, id string) {
	t.Helper()
	for _, m := range o.Op.GetExec().GetMounts() {
		if m.Dest == dest {
			if m.MountType != pb.MountType_CACHE || m.CacheOpt.GetID() != id || m.CacheOpt.GetSharing() != pb.CacheSharingOpt_SHARED {
				t.Errorf("%s: mount %s = type %v id %q sharing %v, want shared cache %q", o.Name, dest, m.MountType, m.CacheOpt.GetID(), m.CacheOpt.GetSharing(), id)
			}
			return
		}
	}
	t.Errorf("%s: no mount at %s", o.Name, dest)
}

// AssertLockedCache checks o mounts the locked cache id at dest.
func AssertLockedCache(t *testing.T, o llbtest.Op, dest, id string) {
	t.Helper()
	for _, m := range o.Op.GetExec().GetMounts() {
		if m.Dest == dest {
			if m.MountType != pb.MountType_CACHE || m.CacheOpt.GetID() != id || m.CacheOpt.GetSharing() != pb.CacheSharingOpt_LOCKED {
				t.Errorf("%s: mount %s = %v %q %v, want locked cache %q", o.Name, dest, m.MountType, m.CacheOpt.GetID(), m.CacheOpt.GetSharing(), id)
			}
			return
		}
	}
	t.Errorf("%s: no mount at %s", o.Name, dest)
}

// CacheMountAt is o's cache mount at dest.
func CacheMountAt(t *testing.T, o llbtest.Op, dest string) *pb.Mount {
	t.Helper()
	for _, m := range o.Op.GetExec().GetMounts() {
		if m.Dest == dest && m.MountType == pb.MountType_CACHE {
			return m
		}
	}
	t.Fatalf("%s: no cache mount at %s", o.Name, dest)
	return nil
}

// FindCopy is o's copy of src.
func FindCopy(t *testing.T, o llbtest.Op, src string) *pb.FileActionCopy {
	t.Helper()
	for _, a := range o.Op.GetFile().GetActions() {
		if c := a.GetCopy(); c != nil && c.Src == src {
			return c
		}
	}
	t.Fatalf("%s: no copy of %s", o.Name, src)
	return nil
}

// AssertNoCopy fails if o copies src.
func AssertNoCopy(t *testing.T, o llbtest.Op, src string) {
	t.Helper()
	for _, a := range o.Op.GetFile().GetActions() {
		if c := a.GetCopy(); c != nil && c.Src == src {
			t.Errorf("%s copies %s", o.Name, src)
		}
	}
}

// CopyInput is the op whose output o's copy of src reads.
func CopyInput(t *testing.T, g *llbtest.Graph, o llbtest.Op, src string) llbtest.Op {
	t.Helper()
	for _, a := range o.Op.GetFile().GetActions() {
		if c := a.GetCopy(); c != nil && c.Src == src {
			if in, ok := g.Input(o, int(a.SecondaryInput)); ok {
				return in
			}
		}
	}
	t.Fatalf("%s: no copy of %s from an input", o.Name, src)
	return llbtest.Op{}
}

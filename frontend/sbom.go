package frontend

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	intoto "github.com/in-toto/in-toto-golang/in_toto"
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	bksbom "github.com/moby/buildkit/frontend/attestations/sbom"
	"github.com/moby/buildkit/frontend/dockerui"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/result"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/lang/registry"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/sbom"
)

// defaultScanner is what buildx asks for with a bare --sbom=true. No registry may be
// reachable from a builder, and the frontend knows exactly what it put in the image,
// so that request gets our own SBOM; a scanner the user names gets BuildKit's path.
const defaultScanner = "docker.io/docker/buildkit-syft-scanner:stable-1"

// scanTarget is one platform's build, kept for its attestations.
type scanTarget struct {
	final     bkllb.State
	finalRef  gwclient.Reference
	builder   bkllb.State
	artifacts []string
	epoch     time.Time
	// report is the hardened check report of the final image, when one was asked for.
	report []byte
}

// scanTargets collects the platforms of one Build call by platform id.
type scanTargets struct{ m sync.Map }

func (s *scanTargets) add(p ocispecs.Platform, t *scanTarget) {
	s.m.Store(platforms.FormatAll(platforms.Normalize(p)), t)
}

func (s *scanTargets) get(p ocispecs.Platform) (*scanTarget, bool) {
	if v, ok := s.m.Load(platforms.FormatAll(platforms.Normalize(p))); ok {
		return v.(*scanTarget), true
	}
	// A single-platform build may be exported under a spelling of its own.
	var only *scanTarget
	n := 0
	s.m.Range(func(_, v any) bool { only = v.(*scanTarget); n++; return true })
	return only, n == 1
}

// addSBOMs attaches SPDX attestations to every platform when the build asked for one.
func addSBOMs(ctx context.Context, c gwclient.Client, bc *dockerui.Client, rb *dockerui.ResultBuilder, targets *scanTargets) error {
	if bc.SBOM == nil {
		return nil
	}
	named := bc.SBOM.Generator
	if n, err := reference.ParseNormalizedNamed(named); err == nil {
		named = reference.TagNameOnly(n).String()
	}
	if named != defaultScanner {
		return scannerSBOMs(ctx, c, bc, rb, targets)
	}
	return rb.EachPlatform(ctx, func(ctx context.Context, id string, p ocispecs.Platform) error {
		t, ok := targets.get(p)
		if !ok {
			return fmt.Errorf("no build for platform %s", id)
		}
		atts, err := ownSBOMs(ctx, c, t)
		if err != nil {
			return fmt.Errorf("making the SBOM for %s: %w", id, err)
		}
		for _, a := range atts {
			rb.AddAttestation(id, a)
		}
		return nil
	})
}

// scannerSBOMs hands the final image and the builder to the scanner the user named,
// as the Dockerfile frontend does for BUILDKIT_SBOM_SCAN_STAGE.
func scannerSBOMs(ctx context.Context, c gwclient.Client, bc *dockerui.Client, rb *dockerui.ResultBuilder, targets *scanTargets) error {
	scanner, err := bksbom.CreateSBOMScanner(ctx, c, bc.SBOM.Generator, bc.BuildPlatforms[0], sourceresolver.Opt{
		ImageOpt: &sourceresolver.ResolveImageOpt{ResolveMode: bc.ImageResolveMode.String()},
	}, bc.SBOM.Parameters)
	if err != nil || scanner == nil {
		return err
	}
	return rb.EachPlatform(ctx, func(ctx context.Context, id string, p ocispecs.Platform) error {
		t, ok := targets.get(p)
		if !ok {
			return fmt.Errorf("no build for platform %s", id)
		}
		att, err := scanner(ctx, id, t.final, map[string]bkllb.State{"builder": t.builder})
		if err != nil {
			return err
		}
		solved, err := result.ConvertAttestation(&att, func(st *bkllb.State) (gwclient.Reference, error) {
			return solveRef(ctx, c, *st)
		})
		if err != nil {
			return err
		}
		rb.AddAttestation(id, *solved)
		return nil
	})
}

// ownSBOMs reads the final image's Debian packages and Go modules, and the builder's
// packages, and returns them as two SPDX attestations (image, then builder).
func ownSBOMs(ctx context.Context, c gwclient.Client, t *scanTarget) ([]result.Attestation[gwclient.Reference], error) {
	final, err := imagePackages(ctx, t.finalRef, t.artifacts)
	if err != nil {
		return nil, err
	}
	builderRef, err := solveRef(ctx, c, t.builder)
	if err != nil {
		return nil, err
	}
	builder, err := imagePackages(ctx, builderRef, nil)
	if err != nil {
		return nil, err
	}
	// The application's own dependencies: those it ships with their metadata, and those compiled
	// into it that only the builder's lock files name.
	final = append(final, registry.Packages(sbomFS{ctx, t.finalRef}, sbomFS{ctx, builderRef})...)
	imageDoc, err := sbom.SPDX("image", t.epoch, final)
	if err != nil {
		return nil, err
	}
	builderDoc, err := sbom.SPDX("builder", t.epoch, builder)
	if err != nil {
		return nil, err
	}
	st := bkllb.Scratch().
		File(bkllb.Mkfile("/sbom.spdx.json", 0o644, imageDoc).Mkfile("/sbom-builder.spdx.json", 0o644, builderDoc),
			bkllb.WithCustomName("write the SPDX SBOMs"))
	ref, err := solveRef(ctx, c, st)
	if err != nil {
		return nil, err
	}
	att := func(p string, core bool) result.Attestation[gwclient.Reference] {
		md := map[string][]byte{result.AttestationReasonKey: []byte(result.AttestationReasonSBOM)}
		if core {
			md[result.AttestationSBOMCore] = []byte(bksbom.CoreSBOMName)
		}
		return result.Attestation[gwclient.Reference]{
			Kind: gwpb.AttestationKind_InToto, Metadata: md, Ref: ref, Path: p,
			InToto: result.InTotoAttestation{PredicateType: intoto.PredicateSPDX},
		}
	}
	return []result.Attestation[gwclient.Reference]{att("/sbom.spdx.json", true), att("/sbom-builder.spdx.json", false)}, nil
}

// imagePackages lists the Debian packages (status.d, or a full dpkg status) of an image
// and the Go modules of the given binaries.
func imagePackages(ctx context.Context, ref gwclient.Reference, binaries []string) ([]sbom.Package, error) {
	if ref == nil {
		return nil, nil
	}
	distro := debianDistro(ctx, ref)
	var pkgs []sbom.Package
	if sts, err := ref.ReadDir(ctx, gwclient.ReadDirRequest{Path: sbom.StatusDir}); err == nil {
		names := make([]string, 0, len(sts))
		for _, st := range sts {
			names = append(names, path.Base(st.Path))
		}
		read := func(p string) ([]byte, error) { return ref.ReadFile(ctx, gwclient.ReadRequest{Filename: p}) }
		found, err := sbom.StatusD(names, read, distro)
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, found...)
	}
	if dt, err := ref.ReadFile(ctx, gwclient.ReadRequest{Filename: "/var/lib/dpkg/status"}); err == nil {
		pkgs = append(pkgs, sbom.Dpkg("/var/lib/dpkg/status", dt, distro)...)
	}
	for _, b := range binaries {
		st, err := ref.StatFile(ctx, gwclient.StatRequest{Path: b})
		if err != nil {
			continue // not a file of this language's layout
		}
		mods, ok := sbom.GoModules(b, &gatewayReaderAt{ctx: ctx, ref: ref, path: b, size: st.Size})
		if ok {
			pkgs = append(pkgs, mods...)
		}
	}
	return pkgs, nil
}

// debianDistro is "debian-<VERSION_ID>" from /etc/os-release, for package URLs.
func debianDistro(ctx context.Context, ref gwclient.Reference) string {
	dt, err := ref.ReadFile(ctx, gwclient.ReadRequest{Filename: "/etc/os-release"})
	if err != nil {
		return ""
	}
	var id, version string
	for _, line := range strings.Split(string(dt), "\n") {
		k, v, _ := strings.Cut(line, "=")
		v = strings.Trim(v, `"`)
		switch k {
		case "ID":
			id = v
		case "VERSION_ID":
			version = v
		}
	}
	if id == "" || version == "" {
		return ""
	}
	return id + "-" + version
}

// sbomFS is a solved reference as the sbom package reads it.
type sbomFS struct {
	ctx context.Context
	ref gwclient.Reference
}

func (f sbomFS) ReadDir(dir string) ([]string, error) {
	sts, err := f.ref.ReadDir(f.ctx, gwclient.ReadDirRequest{Path: dir})
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(sts))
	for _, st := range sts {
		names = append(names, path.Base(st.Path))
	}
	return names, nil
}

func (f sbomFS) ReadFile(name string) ([]byte, error) {
	return f.ref.ReadFile(f.ctx, gwclient.ReadRequest{Filename: name})
}

func (f sbomFS) Open(name string) (io.ReaderAt, int64, error) {
	st, err := f.ref.StatFile(f.ctx, gwclient.StatRequest{Path: name})
	if err != nil {
		return nil, 0, err
	}
	return &gatewayReaderAt{ctx: f.ctx, ref: f.ref, path: name, size: st.Size}, st.Size, nil
}

// gatewayReaderAt reads a file of a solved reference in ranges, so a large binary never
// travels as one message.
type gatewayReaderAt struct {
	ctx  context.Context
	ref  gwclient.Reference
	path string
	size int64
}

func (g *gatewayReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= g.size {
		return 0, fmt.Errorf("read past the end of %s", g.path)
	}
	n := int64(len(p))
	if off+n > g.size {
		n = g.size - off
	}
	dt, err := g.ref.ReadFile(g.ctx, gwclient.ReadRequest{Filename: g.path, Range: &gwclient.FileRange{Offset: int(off), Length: int(n)}})
	if err != nil {
		return 0, err
	}
	c := copy(p, dt)
	if c < len(p) {
		return c, fmt.Errorf("short read of %s", g.path)
	}
	return c, nil
}

// artifactPaths are the files of the final image the SBOM reads modules from: the plan's
// artifact names, which for Go follow the module path.
func artifactPaths(names []string) []string {
	var out []string
	for _, n := range names {
		out = append(out, hllb.ArtifactDir+"/"+n)
	}
	return out
}

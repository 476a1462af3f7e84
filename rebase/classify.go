package rebase

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"path"
	"strings"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/audit"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/sbom"
)

// exporterComment is what BuildKit writes in the history of the layers a build adds.
const exporterComment = "buildkit.exporter.image.v0"

// stripStep is the history entry (the step's name) of the layer that clears the base's setuid/setgid
// bits when the build proves the rest (llb.StripSetuid); verifyLayer begins the one the frontend's verify
// step leaves when it walks the image (tool.VerifyLayer, a build that writes its check report).
const (
	stripStep   = "strip setuid/setgid bits from the base"
	verifyLayer = "mount /tree from exec "
)

// frontendSteps begin the names of the final stage's steps (llb.Convert): the first history entry
// with one of them is the first layer the build put on the base.
var frontendSteps = []string{stripStep, "runtime.libs: ", "copy the health probe to ", "copy the dependency tree to " + hllb.ArtifactDir, "copy artifacts to " + hllb.ArtifactDir}

// layout is where a hardened image's base ends, and which of the layers above it are the app's, read
// from its history.
type layout struct {
	// baseHistory and baseLayers count the base's history entries and layers.
	baseHistory, baseLayers int
	// appHistory and appLayers are the entries and layer indexes the build put on the base, without
	// the layer that cleared the base's setuid/setgid bits, which holds the old base's files.
	appHistory []ocispecs.History
	appLayers  []int
	// verifyName is the old image's verify layer entry, "" without one.
	verifyName string
}

// split finds the frontend's first layer in the image's history; ok is false for an image the
// frontend did not build.
func split(img *dockerspec.DockerOCIImage) (layout, bool) {
	layers, start := 0, -1
	var lay layout
	for i, h := range img.History {
		if start < 0 && h.Comment == exporterComment && frontendStep(h.CreatedBy) {
			start, lay.baseHistory, lay.baseLayers = i, i, layers
		}
		switch {
		case start < 0:
		case clearsBits(h):
			if strings.HasPrefix(h.CreatedBy, verifyLayer) {
				lay.verifyName = h.CreatedBy
			}
		default:
			lay.appHistory = append(lay.appHistory, h)
			if !h.EmptyLayer {
				lay.appLayers = append(lay.appLayers, layers)
			}
		}
		if !h.EmptyLayer {
			layers++
		}
	}
	return lay, start >= 0
}

// clearsBits says whether a history entry is a layer the frontend made to clear setuid/setgid bits.
func clearsBits(h ocispecs.History) bool {
	return h.Comment == exporterComment && !h.EmptyLayer &&
		(h.CreatedBy == stripStep || strings.HasPrefix(h.CreatedBy, verifyLayer) && strings.Contains(h.CreatedBy, " verify --strip "))
}

func frontendStep(createdBy string) bool {
	for _, s := range frontendSteps {
		if strings.HasPrefix(createdBy, s) {
			return true
		}
	}
	return false
}

// appLinking says how the image's entrypoint binary needs the base: "" for a static binary, else
// the ELF interpreter it names (a dynamic binary needs the base's C library). An entrypoint that is
// not an ELF binary of /app (a script, a runtime from the base) is refused: the app runs on the base.
func appLinking(ctx context.Context, fsys audit.FS, img *dockerspec.DockerOCIImage) (interp string, why string) {
	ep := append(append([]string(nil), img.Config.Entrypoint...), img.Config.Cmd...)
	if len(ep) == 0 {
		return "", "the image has no entrypoint"
	}
	if !strings.HasPrefix(path.Clean(ep[0]), hllb.ArtifactDir+"/") {
		return "", "its entrypoint " + ep[0] + " is a program of the base (the app runs on the base's runtime)"
	}
	dt, err := fsys.ReadFile(ctx, ep[0])
	if err != nil {
		return "", "its entrypoint " + ep[0] + " cannot be read: " + err.Error()
	}
	f, err := elf.NewFile(bytes.NewReader(dt))
	if err != nil {
		return "", "its entrypoint " + ep[0] + " is not an ELF binary (a script runs on the base's interpreter)"
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return "", "its entrypoint's ELF interpreter cannot be read: " + err.Error()
			}
			return strings.TrimRight(string(b), "\x00"), ""
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		return "", "its entrypoint needs " + strings.Join(libs, ", ") + " without naming an interpreter"
	}
	return "", ""
}

// errNoStatus is a base without a Debian package database: no SBOM of it, no glibc to compare.
var errNoStatus = errors.New("no Debian package database (/var/lib/dpkg/status or status.d)")

// packages lists an image's Debian packages from its status.d and dpkg status, as the frontend's SBOM
// reads them.
func packages(ctx context.Context, fsys audit.FS) ([]sbom.Package, error) {
	distro := osRelease(ctx, fsys)
	var pkgs []sbom.Package
	found := false
	if entries, err := fsys.ReadDir(ctx, sbom.StatusDir); err == nil {
		found = true
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			names = append(names, path.Base(e.Path))
		}
		read := func(p string) ([]byte, error) { return fsys.ReadFile(ctx, p) }
		got, err := sbom.StatusD(names, read, distro)
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, got...)
	}
	if dt, err := fsys.ReadFile(ctx, "/var/lib/dpkg/status"); err == nil {
		found = true
		pkgs = append(pkgs, sbom.Dpkg("/var/lib/dpkg/status", dt, distro)...)
	}
	if !found {
		return nil, errNoStatus
	}
	return pkgs, nil
}

// glibc is the version of libc6 among pkgs, "" without one.
func glibc(pkgs []sbom.Package) string {
	for _, p := range pkgs {
		if p.Name == "libc6" {
			return p.Version
		}
	}
	return ""
}

// osRelease is the image's ID-VERSION_ID ("debian-13"), as the frontend's SBOM qualifies package URLs.
func osRelease(ctx context.Context, fsys audit.FS) string {
	dt, err := fsys.ReadFile(ctx, "/etc/os-release")
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

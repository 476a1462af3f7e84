package plan

import (
	"fmt"
	"slices"
	"strings"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/lang"
	"github.com/hardenedbuild/hardened/lang/registry"
	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// New is the plan of a validated spec for a target platform, built on the build platform. files
// are the context files the language reads. Errors come in the order the build meets them:
// builder, base, libs.
func New(s *spec.Spec, files llb.Files, target, build ocispecs.Platform) (llb.Plan, error) {
	l, ok := registry.Lookup(s.Language)
	if !ok {
		return llb.Plan{}, fmt.Errorf("language %q is not supported; write one of: %s", s.Language, strings.Join(registry.Names(), ", "))
	}
	layout := l.Layout()
	p := llb.Plan{
		Language:           s.Language,
		Entrypoint:         EntrypointOf(s, files),
		ArtifactNames:      lang.ArtifactNames(l, s, files),
		Env:                lang.ImageEnv(l, s),
		AppDir:             layout.AppDir,
		ArtifactsInContext: layout.InContext,
		ArtifactsAsIs:      layout.AsIs,
		BaseNeedsFiles:     l.BaseNeedsFiles(s),
		Build:              l.Build,
		Includes:           l.Includes,
	}
	var err error
	if p.Builder, err = l.Builder(s, files, target, build); err != nil {
		return llb.Plan{}, err
	}
	base, err := l.Base(s, files, target)
	if err != nil {
		return llb.Plan{}, err
	}
	if base.Ref != "" {
		p.Base = &base
	}
	p.RuntimeLibs = runtimeLibs(s, layout)
	if len(p.RuntimeLibs) > 0 {
		libs, onBuilder, err := llb.LibsImage(s, base, p.Builder, target)
		if err != nil {
			return llb.Plan{}, err
		}
		p.Libs, p.LibsOnBuilder = &libs, onBuilder
	}
	return p, nil
}

// runtimeLibs are the Debian packages the runtime-libs stage installs: the spec's runtime.libs, then
// those the language's runtime needs that the spec does not name.
func runtimeLibs(s *spec.Spec, layout lang.Layout) []string {
	libs := slices.Clone(s.Runtime.Libs)
	if layout.RuntimeLibs == nil {
		return libs
	}
	for _, p := range layout.RuntimeLibs(s) {
		if !slices.Contains(libs, p) {
			libs = append(libs, p)
		}
	}
	return libs
}

// Early is the plan the spec makes before the context files are read, for the images to resolve
// while they are: each request that can be made without them, the others left empty (the files
// may make a request another, so the build's own plan has the last word).
func Early(s *spec.Spec, target, build ocispecs.Platform) llb.Plan {
	l, ok := registry.Lookup(s.Language)
	if !ok {
		return llb.Plan{Language: s.Language}
	}
	p := llb.Plan{Language: s.Language, BaseNeedsFiles: l.BaseNeedsFiles(s)}
	if req, err := l.Builder(s, nil, target, build); err == nil {
		p.Builder = req
	}
	if req, err := l.Base(s, nil, target); err == nil && req.Ref != "" {
		p.Base = &req
	}
	return p
}

// EntrypointOf is the image's exec-form entrypoint: the spec's, else its language's, whose
// binaries can be named after the context files.
func EntrypointOf(s *spec.Spec, files llb.Files) []string {
	if len(s.Entrypoint) > 0 {
		return append([]string(nil), s.Entrypoint...)
	}
	if l, ok := registry.Lookup(s.Language); ok {
		return l.Entrypoint(s, files)
	}
	return nil
}

// Entrypoint is EntrypointOf before the context files are read.
func Entrypoint(s *spec.Spec) []string { return EntrypointOf(s, nil) }

// Env is the image's environment: the language's defaults, then the spec's env.
func Env(s *spec.Spec) map[string]string {
	if l, ok := registry.Lookup(s.Language); ok {
		return lang.ImageEnv(l, s)
	}
	return s.Env
}

// ContextFiles are the context files the spec's language reads.
func ContextFiles(s *spec.Spec) []string {
	if l, ok := registry.Lookup(s.Language); ok {
		return l.Inputs().Files()
	}
	return nil
}

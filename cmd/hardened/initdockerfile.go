package main

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/hardenedbuild/hardened/lang/registry"
	"github.com/hardenedbuild/hardened/spec"
)

// migration is what init carries over from a Dockerfile into the spec, and what it cannot (notes,
// one line each, written as comments).
type migration struct {
	file       string
	version    string
	versionTag string
	expose     []string
	env        map[string]string
	workdir    string
	appWorkdir bool
	user       string
	entrypoint []string
	cmd        []string
	health     *spec.Healthcheck
	// healthHTTP is a curl or wget HEALTHCHECK of a loopback URL, as healthcheck.http (inittest.go).
	healthHTTP *spec.Healthcheck
	libs       []string
	notes      []string
	// goBuilds are the packages `go build` compiles, and binaries maps the paths their binaries
	// have in the Dockerfile's stages to the package.
	goBuilds []string
	binaries map[string]string
	// nameOf is the name a package's binary has under /app.
	nameOf func(pkg string) string
	// goFiles says the final stage's other copies are notes: a go spec ships binaries alone.
	goFiles bool
	// appNames are the main packages init found by their binaries' names, which a copy may name
	// though the Dockerfile builds them another way (make).
	appNames map[string]string
	// contextRoots are where each stage (by name) copied the whole build context; files are the
	// final stage's copies of context paths, runtime.files once contextFiles has looked at them.
	contextRoots map[string]string
	files        []fileCopy
	runtimeFiles []string
}

// readDockerfile parses a Dockerfile with BuildKit's own parser and collects what the spec can say.
func readDockerfile(name, language string, mains []string, nameOf func(pkg string) string) (*migration, error) {
	dt, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	res, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	stages, _, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("%s: no FROM", name)
	}
	m := &migration{file: path.Base(name), env: map[string]string{}, binaries: map[string]string{}, nameOf: nameOf, goFiles: language == "go"}
	m.appNames, m.contextRoots = map[string]string{}, map[string]string{}
	for _, p := range mains {
		m.appNames[nameOf(p)] = p
	}
	for _, st := range stages {
		m.builder(st, language)
		m.contextRoot(st)
		for _, c := range st.Commands {
			if r, ok := c.(*instructions.RunCommand); ok {
				m.goBuild(r)
			}
		}
	}
	final := stages[len(stages)-1]
	for _, c := range final.Commands {
		m.final(c, stages)
	}
	if m.appWorkdir && m.workdir != "" && m.workdir != spec.DefaultWorkdir {
		m.notef("WORKDIR %s: the app's files are at /app in the image, its working directory", m.workdir)
		m.workdir = ""
	}
	return m, nil
}

// builder takes the toolchain version from the tag of the first stage built on the language's image.
func (m *migration) builder(st instructions.Stage, language string) {
	if m.versionTag != "" {
		return
	}
	ref := st.BaseName
	repo, tag, _ := strings.Cut(path.Base(ref), ":")
	tag, _, _ = strings.Cut(tag, "@")
	l, ok := registry.Lookup(language)
	if !ok || !slices.Contains(l.Inputs().BuilderImages, repo) || tag == "" {
		return
	}
	m.versionTag = repo + ":" + tag
	v, _, _ := strings.Cut(tag, "-")
	if v != "" && strings.Trim(v, "0123456789.") == "" && l.Inputs().VersionTags {
		m.version = v
	}
}

// notef adds a note of what is not carried over.
func (m *migration) notef(format string, args ...any) {
	m.notes = append(m.notes, fmt.Sprintf(format, args...))
}

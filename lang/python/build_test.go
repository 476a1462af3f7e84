package python

import (
	"slices"
	"strings"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/internal/llbtest"
	"github.com/hardenedbuild/hardened/llb"
)

func buildGraph(t *testing.T, files llb.Files) *llbtest.Graph {
	t.Helper()
	in := &llb.BuildInput{
		Spec:    pySpec(t),
		Files:   files,
		Builder: llb.Image{Ref: "python", State: bkllb.Image("docker.io/library/python:3.13-trixie")},
		Context: bkllb.Local("context"),
		Locate:  func(string) bkllb.ConstraintsOpt { return bkllb.WithDescription(map[string]string{}) },
		Network: bkllb.Network(pb.NetMode_UNSET),
	}
	st, deps, err := Language{}.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	if deps == nil || deps.Src != "/deps/.venv" {
		t.Fatalf("deps = %+v", deps)
	}
	return llbtest.Marshal(t, st)
}

// A lock installs from the requirements file written from it, hashes required and nothing
// resolved again, with the wheelhouse it names copied first and the source after: a source change
// leaves the install cached.
func TestLockBuild(t *testing.T) {
	g := buildGraph(t, projectFiles(t, "uvapp"))
	write := g.Named(t, "write /hardened/python/requirements.txt from uv.lock")
	var written string
	for _, a := range write.Op.GetFile().GetActions() {
		if f := a.GetMkfile(); f != nil && f.Path == lockRequirements {
			written = string(f.Data)
		}
	}
	if !strings.Contains(written, "words==2.1.0 \\\n    --hash=sha256:648e63fd") {
		t.Errorf("the requirements written are:\n%s", written)
	}
	wheels := g.Named(t, "copy wheels")
	installName := "python3 -m pip --python /venv/bin/python install --no-compile --require-hashes --no-deps -r " + lockRequirements
	install := g.Named(t, installName)
	if args := install.Op.GetExec().GetMeta().GetArgs(); !slices.Equal(args, strings.Fields(installName)) {
		t.Errorf("install args %q", args)
	}
	source := g.Named(t, "copy source")
	if !g.DependsOn(install, write.Digest) || !g.DependsOn(install, wheels.Digest) || g.DependsOn(install, source.Digest) {
		t.Error("the install must follow the requirements and the wheelhouse, and precede the source")
	}
	for _, o := range g.Execs() {
		if strings.HasSuffix(o.Name, " .") {
			t.Errorf("a virtual project is installed: %q", o.Name)
		}
	}
}

// A packaged project of a lock is installed itself, without dependencies, after the source, into
// its own root, whose site-packages join the app's virtualenv.
func TestLockBuildInstallsTheProject(t *testing.T) {
	files := projectFiles(t, "uvapp")
	files["uv.lock"] = []byte(strings.Replace(string(files["uv.lock"]), `source = { virtual = "." }`, `source = { editable = "." }`, 1))
	g := buildGraph(t, files)
	name := "python3 -m pip --python /venv/bin/python install --no-compile --no-deps --root /hardened/project --find-links wheels --no-index ."
	project := g.Named(t, name)
	if !g.DependsOn(project, g.Named(t, "copy source").Digest) {
		t.Error("the project is installed before its source is copied")
	}
	layout := g.Named(t, "lay out the app in /hardened/out: the artifacts")
	found := false
	for _, a := range layout.Op.GetFile().GetActions() {
		if c := a.GetCopy(); c != nil && c.Src == "/hardened/project/venv/lib/python3.13/site-packages" && c.Dest == "/hardened/out/.venv/lib/python3.13/site-packages" {
			found = true
		}
	}
	if !found {
		t.Error("the project's install does not reach the app's virtualenv")
	}
}

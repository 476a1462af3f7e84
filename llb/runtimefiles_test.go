package llb_test

import (
	"strings"
	"testing"
	"time"

	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// runtime.files land at /app/<path> from the build context (never the builder, so build.steps cannot
// change them), in a stage copied whole onto the final image root-owned, with AppMode, at the epoch.
func TestRuntimeFilesCopiedFromContext(t *testing.T) {
	epoch := time.Unix(1700000000, 0).UTC()
	for _, tc := range []struct {
		ex    string
		steps bool
	}{{"go", false}, {"go", true}, {"rust", false}, {"rust", true}} {
		s, files := loadDir(t, tc.ex)
		s.Runtime.Files = []string{"config", "./migrations/", "templates/index.html"}
		if tc.steps {
			s.Build.Steps = []spec.Step{{Run: []string{"touch", "/out/config"}}}
		}
		in := resolved(t, s, files, amd64)
		in.Epoch = &epoch
		_, g := convert(t, s, in)
		stage := g.Named(t, "stage /app with runtime.files")
		for src, dest := range map[string]string{"/config": "/app/config", "/migrations": "/app/migrations", "/templates/index.html": "/app/templates/index.html"} {
			cp := findCopy(t, stage, src)
			if cp.Dest != dest || !cp.CreateDestPath || !cp.FollowSymlink {
				t.Errorf("%s (steps %v): copy %s -> %s (create dest path %v, follow %v), want -> %s", tc.ex, tc.steps, src, cp.Dest, cp.CreateDestPath, cp.FollowSymlink, dest)
			}
			from := copyInput(t, g, stage, src)
			if id := from.Op.GetSource().GetIdentifier(); !strings.HasPrefix(id, "local://context") {
				t.Errorf("%s (steps %v): %s is copied from %q, want the build context", tc.ex, tc.steps, src, id)
			}
		}
		final := g.Named(t, "copy artifacts to /app (root-owned, modes 0644/0755)")
		cp := findCopy(t, final, "/app")
		if cp.Dest != "/app" || cp.ModeStr != hllb.AppMode || !rootOwned(cp.Owner) || cp.Timestamp != epoch.UnixNano() {
			t.Errorf("%s (steps %v): final copy -> %s mode %q owner %v time %d, want /app, %q, 0:0, %d",
				tc.ex, tc.steps, cp.Dest, cp.ModeStr, cp.Owner, cp.Timestamp, hllb.AppMode, epoch.UnixNano())
		}
		if in := copyInput(t, g, final, "/app"); in.Digest != stage.Digest {
			t.Errorf("%s (steps %v): the final copy of /app reads %s, not the stage", tc.ex, tc.steps, in.Name)
		}
	}
}

// Without runtime.files the layout is as it was: no stage, no copy from the context into /app.
func TestNoRuntimeFilesNoStage(t *testing.T) {
	s, files := loadDir(t, "go")
	_, g := convert(t, s, resolved(t, s, files, amd64))
	for _, o := range g.Ops {
		if o.Name == "stage /app with runtime.files" {
			t.Fatal("a runtime.files stage without runtime.files")
		}
	}
}

// A Go module root's binary is named after the module, which only the plan knows: a runtime.files
// path over it is refused at its position.
func TestRuntimeFilesOverModuleBinary(t *testing.T) {
	s := load(t, "language: go\nartifacts: [.]\nruntime:\n  files: [config, svc/app.yml]\n")
	files := hllb.Files{"go.mod": []byte("module example.com/svc\n\ngo 1.26\n")}
	_, err := hllb.Convert(s, resolved(t, s, files, amd64))
	if err == nil || !strings.Contains(err.Error(), `hardened.yaml:4:19: runtime.files[1]: "svc/app.yml" would be copied over /app/svc, the binary of artifacts[0]`) {
		t.Fatalf("error = %v", err)
	}
	if strings.Contains(err.Error(), "runtime.files[0]") {
		t.Errorf("config refused: %v", err)
	}
}

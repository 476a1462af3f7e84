package llb_test

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/moby/buildkit/solver/pb"
	mode "github.com/tonistiigi/dchapes-mode"

	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// Every copy into /app, in every language, with and without build.steps, normalises modes and owner:
// the context's 0664/0775 and whatever the steps leave never reach the image as they were.
func TestEveryAppCopyNormalisesModes(t *testing.T) {
	for _, ex := range []string{"go", "node", "python", "java", "rust", "static"} {
		for _, steps := range []bool{false, true} {
			s, files := loadDir(t, ex)
			if steps {
				s.Build.Steps = []spec.Step{{Run: []string{"chmod", "-R", "777", "/out"}}}
			}
			_, g := convert(t, s, resolved(t, s, files, amd64))
			copies := 0
			for _, o := range g.Ops {
				for _, a := range o.Op.GetFile().GetActions() {
					if mk := a.GetMkdir(); mk != nil && underApp(mk.Path) && (mk.Mode != 0o755 || mk.Owner.GetUser().GetByID() != 0) {
						t.Errorf("%s (steps %v): mkdir %s mode %o owner %v", ex, steps, mk.Path, mk.Mode, mk.Owner)
					}
					cp := a.GetCopy()
					if cp == nil || !underApp(cp.Dest) {
						continue
					}
					copies++
					if cp.ModeStr != hllb.AppMode || !rootOwned(cp.Owner) {
						t.Errorf("%s (steps %v): copy %s -> %s mode %q owner %v, want %q owned by 0:0", ex, steps, cp.Src, cp.Dest, cp.ModeStr, cp.Owner, hllb.AppMode)
					}
				}
			}
			if copies == 0 {
				t.Errorf("%s (steps %v): no copy into /app found", ex, steps)
			}
		}
	}
}

func underApp(p string) bool { return p == "/app" || strings.HasPrefix(p, "/app/") }

func rootOwned(o *pb.ChownOpt) bool {
	return o != nil && o.GetUser().GetByID() == 0 && o.GetGroup().GetByID() == 0 && o.GetUser().GetByName() == nil && o.GetGroup().GetByName() == nil
}

// AppMode, applied as BuildKit applies a copy's symbolic mode (fsutil's parser), leaves the
// execute bit as the only variable: whatever the source, 0644 or 0755, directories 0755.
func TestAppModeNormalises(t *testing.T) {
	set, err := mode.ParseWithUmask(hllb.AppMode, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, want fs.FileMode }{
		{0o664, 0o644},
		{0o666, 0o644},
		{0o600, 0o644},
		{0o000, 0o644},
		{0o775, 0o755},
		{0o100, 0o755},
		{0o777 | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky, 0o755},
		{0o644 | fs.ModeSetgid, 0o644},
		{fs.ModeDir | 0o777 | fs.ModeSticky | fs.ModeSetgid, fs.ModeDir | 0o755},
		{fs.ModeDir | 0o700, fs.ModeDir | 0o755},
		{fs.ModeDir, fs.ModeDir | 0o755},
	} {
		if got := set.Apply(tc.in); got != tc.want {
			t.Errorf("%v -> %v, want %v", tc.in, got, tc.want)
		}
	}
}

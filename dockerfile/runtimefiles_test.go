package dockerfile

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/solver/pb"

	hllb "github.com/hardenedbuild/hardened/llb"
)

// runtime.files are COPY lines from the context into /app with the frontend's mode, in the hand-written
// go Dockerfile and the translated rust one; BuildKit's Dockerfile frontend reads each as a copy from
// the context (not a stage) with that mode. The goldens keep the whole Dockerfiles for review.
func TestRuntimeFilesCopies(t *testing.T) {
	for _, name := range []string{"go", "rust"} {
		t.Run(name, func(t *testing.T) {
			s, files := loadExample(t, name)
			s.Runtime.Files = []string{"config", "./migrations/", "templates/index.html"}
			df, err := Generate(s, Options{Files: files})
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+"-runtime-files.Dockerfile")
			if *update {
				if err := os.WriteFile(golden, df, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if want, err := os.ReadFile(golden); err != nil || !bytes.Equal(df, want) {
				t.Errorf("Dockerfile differs from %s (run go test ./dockerfile -update if intended; %v):\n%s", golden, err, df)
			}
			caps := pb.Caps.CapSet(pb.Caps.All())
			res, err := dockerfile2llb.Dockerfile2LLB(context.Background(), df, dockerfile2llb.ConvertOpt{
				Config: dockerui.Config{}, TargetPlatform: &amd64, MetaResolver: emptyConfigs{}, LLBCaps: &caps})
			if err != nil {
				t.Fatalf("the Dockerfile frontend refuses it: %v\n%s", err, df)
			}
			def, err := res.State.Marshal(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"/app/config": "/config", "/app/migrations": "/migrations", "/app/templates/index.html": "/templates/index.html"}
			for _, dt := range def.Def {
				var op pb.Op
				if err := op.UnmarshalVT(dt); err != nil {
					t.Fatal(err)
				}
				for _, a := range op.GetFile().GetActions() {
					cp := a.GetCopy()
					if cp == nil || want[cp.Dest] == "" {
						continue
					}
					if cp.Src != want[cp.Dest] || cp.ModeStr != hllb.AppMode || cp.Owner != nil && cp.Owner.GetUser().GetByID() != 0 {
						t.Errorf("copy %s -> %s mode %q owner %v, want %s with %q, root", cp.Src, cp.Dest, cp.ModeStr, cp.Owner, want[cp.Dest], hllb.AppMode)
					}
					delete(want, cp.Dest)
				}
			}
			if len(want) > 0 {
				t.Errorf("no copy to %v in the Dockerfile frontend's LLB:\n%s", want, df)
			}
		})
	}
}

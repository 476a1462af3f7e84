package llb

import (
	"context"
	"slices"
	"testing"
	"time"

	bkllb "github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// LayerHistory names the layers a chain adds on its base as BuildKit does when it builds them: the
// file ops' names, an exec's mount as "mount DEST from exec ARGS"; nothing for the base, whose
// history is its own, nor for what the chain only reads (a copy's source).
func TestLayerHistory(t *testing.T) {
	epoch := time.Unix(1700000000, 0).UTC()
	other := bkllb.Image("docker.io/library/golang:1").File(bkllb.Mkfile("/x", 0o644, nil), bkllb.WithCustomName("not a layer of the image"))
	st := bkllb.Image("gcr.io/distroless/static-debian13:nonroot").
		File(bkllb.Mkdir("/app", 0o755), bkllb.WithCustomName("first")).
		File(bkllb.Copy(other, "/x", "/app/x").Mkfile("/app/y", 0o644, nil), bkllb.WithCustomName("second, two actions"))
	run := bkllb.Image("tool").Run(bkllb.Args([]string{"tool", "strip", "/tree"}), bkllb.WithCustomName("the step"))
	st = run.AddMount("/tree", st)
	def, err := st.Marshal(context.Background(), bkllb.Platform(ocispecs.Platform{OS: "linux", Architecture: "amd64"}))
	if err != nil {
		t.Fatal(err)
	}
	h, err := LayerHistory(def, epoch)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range h {
		names = append(names, e.CreatedBy)
		if e.Comment != HistoryComment || e.Created == nil || !e.Created.Equal(epoch) || e.EmptyLayer {
			t.Errorf("%q: comment %q, created %v, empty %v", e.CreatedBy, e.Comment, e.Created, e.EmptyLayer)
		}
	}
	want := []string{"first", "second, two actions", "mount /tree from exec tool strip /tree"}
	if !slices.Equal(names, want) {
		t.Errorf("history %q, want %q", names, want)
	}
	scratch, err := bkllb.Scratch().File(bkllb.Mkfile("/a", 0o644, nil), bkllb.WithCustomName("only")).Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if h, err := LayerHistory(scratch, epoch); err != nil || len(h) != 1 || h[0].CreatedBy != "only" {
		t.Errorf("on scratch: %v, %v; want one entry, only", h, err)
	}
}

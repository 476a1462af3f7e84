package frontend

import (
	"context"
	"maps"
	"slices"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"

	hllb "github.com/hardenedbuild/hardened/llb"
)

// The context files are read from the local context early only when the main context dockerui hands out
// is that local: its excludes are then applied to them; anything else is read from the main context.
func TestLocalExcludes(t *testing.T) {
	ctx := context.Background()
	excludes := []string{"*.md", "!README.md"}
	main := dockerui.DefaultMainContext(bkllb.SessionID("s1"), bkllb.ExcludePatterns(excludes))
	got, ok := localExcludes(ctx, *main, "s1")
	if !ok || !slices.Equal(got, excludes) {
		t.Fatalf("dockerui's main context: excludes %q, %v; want %q, true", got, ok, excludes)
	}
	if got, ok := localExcludes(ctx, *dockerui.DefaultMainContext(bkllb.SessionID("s1")), "s1"); !ok || len(got) != 0 {
		t.Errorf("without a .dockerignore: excludes %q, %v; want none, true", got, ok)
	}
	git := bkllb.Git("https://example.com/app.git", "main")
	for name, st := range map[string]bkllb.State{
		"another session":      *main,
		"a git context":        git,
		"another local":        bkllb.Local("dockerfile", bkllb.SessionID("s1")),
		"a subdirectory of it": bkllb.Scratch().File(bkllb.Copy(*main, "/sub", "/")),
		"a partial read":       *dockerui.DefaultMainContext(bkllb.SessionID("s1"), bkllb.FollowPaths([]string{"go.mod"})),
	} {
		session := "s1"
		if name == "another session" {
			session = "s2"
		}
		if _, ok := localExcludes(ctx, st, session); ok {
			t.Errorf("%s is taken for the local context", name)
		}
	}
}

func TestWithoutExcluded(t *testing.T) {
	files := hllb.Files{"go.mod": nil, "package.json": nil, ".cargo/config.toml": nil, "rust-toolchain.toml": nil}
	for _, tc := range []struct {
		excludes []string
		want     []string
	}{
		{nil, []string{".cargo/config.toml", "go.mod", "package.json", "rust-toolchain.toml"}},
		{[]string{"go.mod"}, []string{".cargo/config.toml", "package.json", "rust-toolchain.toml"}},
		{[]string{"*", "!go.mod"}, []string{"go.mod"}},
		{[]string{".cargo"}, []string{"go.mod", "package.json", "rust-toolchain.toml"}},
		{[]string{"**/*.toml"}, []string{"go.mod", "package.json"}},
		{[]string{"./package.json"}, []string{".cargo/config.toml", "go.mod", "rust-toolchain.toml"}},
	} {
		got, err := withoutExcluded(files, tc.excludes)
		if err != nil {
			t.Fatal(err)
		}
		if names := slices.Sorted(maps.Keys(got)); !slices.Equal(names, tc.want) {
			t.Errorf("excludes %q leave %q, want %q", tc.excludes, names, tc.want)
		}
	}
	if _, err := withoutExcluded(files, []string{"[a-"}); err == nil {
		t.Error("a malformed pattern is not reported")
	}
}

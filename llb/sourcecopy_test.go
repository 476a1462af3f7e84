package llb_test

import (
	"slices"
	"testing"

	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// Every copy of the whole context leaves out the spec and hardened.lock: they decide the build, and a
// comment edited in the spec must not re-run the copy, nor the compile after it.
func TestSourceCopiesLeaveOutTheSpecAndLock(t *testing.T) {
	for _, ex := range []string{"go", "rust", "python", "node", "java"} {
		t.Run(ex, func(t *testing.T) {
			s, files := loadDir(t, ex)
			_, g := convert(t, s, resolved(t, s, files, amd64))
			whole := 0
			for _, o := range g.Ops {
				for _, a := range o.Op.GetFile().GetActions() {
					c := a.GetCopy()
					if c == nil || c.Src != "/" || len(c.IncludePatterns) > 0 {
						continue
					}
					in, ok := g.Input(o, int(a.SecondaryInput))
					if !ok || in.Op.GetSource().GetIdentifier() != "local://context" {
						continue
					}
					whole++
					for _, want := range []string{"hardened.yaml", "hardened.lock"} {
						if !slices.Contains(c.ExcludePatterns, want) {
							t.Errorf("%s: the context copy excludes %q, not %q", o.Name, c.ExcludePatterns, want)
						}
					}
				}
			}
			if whole == 0 {
				t.Fatal("no copy of the whole context found")
			}
			for _, o := range g.Execs() {
				for _, m := range o.Op.GetExec().GetMounts() {
					if m.Input < 0 {
						continue
					}
					if in, ok := g.Input(o, int(m.Input)); ok && in.Op.GetSource().GetIdentifier() == "local://context" {
						t.Errorf("%s mounts the context, spec included, at %s", o.Name, m.Dest)
					}
				}
			}
		})
	}
}

func TestDecidingFiles(t *testing.T) {
	for name, want := range map[string][]string{
		"hardened.yaml":       {"hardened.yaml", "hardened.lock"},
		"./deploy/app[1].yml": {`deploy/app\[1\].yml`, "deploy/hardened.lock"},
		"../outside.yaml":     {"hardened.lock"},
	} {
		s, err := spec.Load(name, []byte("language: go\nartifacts: [.]\n"))
		if err != nil {
			t.Fatal(err)
		}
		if got := hllb.DecidingFiles(s); !slices.Equal(got, want) {
			t.Errorf("DecidingFiles(%q) = %q, want %q", name, got, want)
		}
	}
}

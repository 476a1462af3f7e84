package llb_test

import (
	"context"
	"strings"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"

	hllb "github.com/hardenedbuild/hardened/llb"
)

// Every example's final stage (go-cgo: the runtime libs case), on its base or on scratch, with the base's setuid files
// cleared, is provably free of added setuid/setgid bits: the frontend's self-check relies on it.
func TestFinalStagesAddNoSetuid(t *testing.T) {
	check := func(t *testing.T, in hllb.Inputs, res *hllb.Result) {
		t.Helper()
		var base *bkllb.State
		if in.Base != nil {
			base = &in.Base.State
		}
		if err := hllb.AddsNoSetuid(context.Background(), res.Final, base, bkllb.Platform(in.Target)); err != nil {
			t.Errorf("the final stage does not prove it adds no setuid/setgid bit: %v", err)
		}
		if in.Base != nil {
			// Proven against the wrong base, the chain must not end where it is looked for.
			other := bkllb.Image("docker.io/library/busybox:latest")
			if err := hllb.AddsNoSetuid(context.Background(), res.Final, &other, bkllb.Platform(in.Target)); err == nil {
				t.Error("the final stage proves itself on a base it was not built on")
			}
		}
	}
	for _, ex := range []string{"go", "node", "python", "java", "rust", "static"} {
		t.Run(ex, func(t *testing.T) {
			s, files := loadDir(t, ex)
			in := resolved(t, s, files, amd64)
			res, err := hllb.Convert(s, in)
			if err != nil {
				t.Fatal(err)
			}
			check(t, in, res)
			in.BaseSpecial = []hllb.SpecialFile{{Path: "/usr/bin/su"}, {Path: "/var/mail", Dir: true}}
			if res, err = hllb.Convert(s, in); err != nil {
				t.Fatal(err)
			}
			check(t, in, res)
			strip := hllb.StripSetuid(res.Final, in.BaseSpecial)
			check(t, in, &hllb.Result{Final: strip})
		})
	}
	t.Run("scratch", func(t *testing.T) {
		s := load(t, "language: go\nversion: \"1.26\"\nbase: scratch\nartifacts: [./cmd/server]\n")
		in := resolved(t, s, nil, amd64)
		res, err := hllb.Convert(s, in)
		if err != nil {
			t.Fatal(err)
		}
		check(t, in, res)
	})
	t.Run("runtime libs", func(t *testing.T) {
		s := load(t, cgoLibsSpec)
		in, _ := libsInputs(t, s)
		res, err := hllb.Convert(s, in)
		if err != nil {
			t.Fatal(err)
		}
		check(t, in, res)
	})
}

func TestAddsNoSetuidRefusesWhatItCannotProve(t *testing.T) {
	base := bkllb.Image("gcr.io/distroless/static-debian13:nonroot@sha256:0000000000000000000000000000000000000000000000000000000000000000")
	src := bkllb.Image("docker.io/library/golang:1.26")
	for name, tc := range map[string]struct {
		final bkllb.State
		want  string
	}{
		"a copy that keeps the modes": {base.File(bkllb.Copy(src, "/usr/bin/su", "/app/su")), "keeps the setuid/setgid bits"},
		"a copy with a setuid mode": {base.File(bkllb.Copy(src, "/usr/bin/su", "/app/su", &bkllb.CopyInfo{Mode: &bkllb.ChmodOpt{Mode: 0o4755}})),
			"keeps the setuid/setgid bits"},
		"a RUN on the base":         {base.Run(bkllb.Args([]string{"/bin/true"})).Root(), "RUN step"},
		"another image":             {src.File(bkllb.Mkdir("/app", 0o755)), "source docker-image://"},
		"scratch for a based build": {bkllb.Scratch().File(bkllb.Mkdir("/app", 0o755)), "starts from scratch"},
		"a keeping copy under a clearing one": {base.File(bkllb.Copy(src, "/usr/bin/su", "/app/su").
			Copy(src, "/bin", "/app/bin", &bkllb.CopyInfo{Mode: &bkllb.ChmodOpt{ModeStr: "u-s,g-s"}})), "keeps the setuid/setgid bits"},
	} {
		t.Run(name, func(t *testing.T) {
			err := hllb.AddsNoSetuid(context.Background(), tc.final, &base, bkllb.Platform(amd64))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
	ok := base.File(bkllb.Mkdir("/app", 0o755).Copy(src, "/bin", "/app/bin", &bkllb.CopyInfo{Mode: &bkllb.ChmodOpt{Mode: 0o755}}).
		Copy(src, "/usr/bin/su", "/app/su", &bkllb.CopyInfo{Mode: &bkllb.ChmodOpt{ModeStr: "u-s,g-s"}}))
	if err := hllb.AddsNoSetuid(context.Background(), ok, &base, bkllb.Platform(amd64)); err != nil {
		t.Errorf("copies with an explicit mode or u-s,g-s on the base: %v", err)
	}
}

package llb_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/internal/llbtest"
	golang "github.com/hardenedbuild/hardened/lang/go"
	hllb "github.com/hardenedbuild/hardened/llb"
)

func TestDeterministicLLB(t *testing.T) {
	s := load(t, `language: go
version: "1.26"
artifacts: [./cmd/a, ./cmd/b]
env: {Z: "1", A: "2", M: "3"}
labels: {z: "1", a: "2"}
build:
  env: {GOFLAGS: -mod=mod, B: x, A: y}
  steps:
    - run: [go, version]
`)
	var first []byte
	for i := 0; i < 20; i++ {
		res, err := hllb.Convert(s, resolved(t, s, nil, amd64))
		if err != nil {
			t.Fatal(err)
		}
		g := llbtest.Marshal(t, res.Final, bkllb.Platform(amd64))
		var buf bytes.Buffer
		for _, dt := range g.Def.Def {
			buf.Write(dt)
		}
		if i == 0 {
			first = buf.Bytes()
		} else if !bytes.Equal(first, buf.Bytes()) {
			t.Fatalf("marshal %d differs from the first", i)
		}
	}
}

func TestCacheMountNamespace(t *testing.T) {
	s, files := loadExample(t)
	in := resolved(t, s, files, amd64)
	in.CacheNS = "team-a"
	_, g := convert(t, s, in)
	assertCacheMount(t, g.Named(t, golang.ModulesStep), "/root/.cache/go-mod", "team-a/hardened/go/mod")
}

func TestScratchHasNoBase(t *testing.T) {
	s := load(t, "language: go\nversion: \"1.26\"\nbase: scratch\nartifacts: [./cmd/server]\n")
	res, g := convert(t, s, resolved(t, s, nil, amd64))
	for _, src := range g.Sources() {
		if strings.Contains(src, "distroless") {
			t.Errorf("scratch build has base source %s", src)
		}
	}
	if res.Image.Config.Labels[hllb.LabelBaseName] != "scratch" {
		t.Errorf("base label = %q", res.Image.Config.Labels[hllb.LabelBaseName])
	}
	if res.Image.Config.User != "65532:65532" {
		t.Errorf("user = %q", res.Image.Config.User)
	}
}

func TestStepsRunExecFormAfterCompile(t *testing.T) {
	s := load(t, `language: go
version: "1.26"
artifacts: [./cmd/server]
build:
  steps:
    - name: mark setuid
      run: [chmod, "u+s", /hardened/out/server]
`)
	_, g := convert(t, s, resolved(t, s, nil, amd64))
	step := g.Named(t, "mark setuid")
	if args := step.Op.GetExec().GetMeta().GetArgs(); !slices.Equal(args, []string{"chmod", "u+s", "/hardened/out/server"}) {
		t.Errorf("step args = %q: a step must run exec form, never through a shell", args)
	}
	if !g.DependsOn(step, g.Named(t, "compile ./cmd/server for linux/amd64").Digest) {
		t.Error("the step does not run after the compile")
	}
	// A step may leave more than the artifacts in /hardened/out: only the artifacts are staged in /app, which
	// the final stage copies whole.
	stage := g.Named(t, "stage /app")
	if cp := findCopy(t, stage, "/hardened/out/server"); cp.Dest != "/app/server" || cp.ModeStr != "u=rwX,go=rX,-st" {
		t.Errorf("staged copy = %s -> %s mode %q, want /app/server mode u=rwX,go=rX,-st", cp.Src, cp.Dest, cp.ModeStr)
	}
	final := g.Named(t, "copy artifacts to /app (root-owned, modes 0644/0755)")
	if cp := findCopy(t, final, "/app"); cp.Dest != "/app" || cp.ModeStr != "u=rwX,go=rX,-st" {
		t.Errorf("final copy of /app = %s -> %s mode %q", cp.Src, cp.Dest, cp.ModeStr)
	}
	if src, ok := g.Input(final, 1); !ok || src.Digest != stage.Digest {
		t.Error("the final stage copies /app from elsewhere than the staging")
	}
}

func TestBaseSetuidFilesAreStripped(t *testing.T) {
	s, files := loadExample(t)
	in := resolved(t, s, files, amd64)
	in.BaseSpecial = []hllb.SpecialFile{{Path: "/usr/bin/su"}, {Path: "/var/mail", Dir: true}}
	_, g := convert(t, s, in)
	strip := g.Named(t, "strip setuid/setgid bits from the base")
	su := findCopy(t, strip, "/usr/bin/su")
	if su.Dest != "/usr/bin/su" || su.ModeStr != "u-s,g-s" {
		t.Errorf("su copy = %s -> %s mode %q", su.Src, su.Dest, su.ModeStr)
	}
	// A copy onto an existing directory would merge into it and keep its mode: the directory goes first.
	if mail := findCopy(t, strip, "/var/mail"); mail.Dest != "/var/mail" || mail.ModeStr != "u-s,g-s" {
		t.Errorf("/var/mail copy = %s -> %s mode %q, want back onto itself with u-s,g-s", mail.Src, mail.Dest, mail.ModeStr)
	}
	var removed []string
	for _, a := range strip.Op.GetFile().GetActions() {
		if rm := a.GetRm(); rm != nil {
			removed = append(removed, rm.Path)
		}
	}
	if !slices.Equal(removed, []string{"/var/mail"}) {
		t.Errorf("removed %q before the copies, want only the directory /var/mail", removed)
	}
}

func TestEpochStampsConfigAndFiles(t *testing.T) {
	s, files := loadExample(t)
	in := resolved(t, s, files, amd64)
	epoch := time.Unix(1700000000, 0).UTC()
	in.Epoch = &epoch
	res, g := convert(t, s, in)
	if res.Image.Created == nil || !res.Image.Created.Equal(epoch) {
		t.Errorf("created = %v, want %v", res.Image.Created, epoch)
	}
	for _, c := range []*pb.FileActionCopy{
		findCopy(t, g.Named(t, "copy artifacts to /app (root-owned, modes 0644/0755)"), "/hardened/out"),
	} {
		if c.Timestamp != epoch.UnixNano() {
			t.Errorf("copy of %s timestamp = %d, want %d", c.Src, c.Timestamp, epoch.UnixNano())
		}
	}
}

func TestProxyReachesTheBuilderOnly(t *testing.T) {
	s, files := loadExample(t)
	in := resolved(t, s, files, amd64)
	in.Proxy = &bkllb.ProxyEnv{HTTPSProxy: "http://proxy.internal:3128"}
	res, g := convert(t, s, in)
	download := g.Named(t, golang.ModulesStep)
	if p := download.Op.GetExec().GetMeta().GetProxyEnv(); p.GetHttpsProxy() != "http://proxy.internal:3128" {
		t.Errorf("go mod download proxy = %v", p)
	}
	compile := g.Named(t, "compile ./cmd/server for linux/amd64")
	if p := compile.Op.GetExec().GetMeta().GetProxyEnv(); p != nil {
		t.Errorf("the compile has no network, yet got proxy %v", p)
	}
	for _, kv := range res.Image.Config.Env {
		if strings.Contains(strings.ToLower(kv), "proxy") {
			t.Errorf("proxy leaked into the image env: %s", kv)
		}
	}
}

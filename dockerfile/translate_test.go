package dockerfile

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"

	"github.com/hardenedbuild/hardened/lang/registry"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// loadExample reads an example's spec and the context files its language reads.
func loadExample(t *testing.T, name string) (*spec.Spec, hllb.Files) {
	t.Helper()
	dir := filepath.Join("..", "examples", name)
	y, err := os.ReadFile(filepath.Join(dir, "hardened.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.Load("hardened.yaml", y, registry.SpecOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	files, err := ReadContextFiles(s, dir)
	if err != nil {
		t.Fatal(err)
	}
	return s, files
}

// TestExampleGoldens keeps the Dockerfile of every example in testdata, for review.
func TestExampleGoldens(t *testing.T) {
	for _, name := range []string{"go", "go-cgo", "python", "node", "java", "rust", "static"} {
		t.Run(name, func(t *testing.T) {
			s, files := loadExample(t, name)
			got, err := Generate(s, Options{Files: files})
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".Dockerfile")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./dockerfile -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Dockerfile differs from %s (run go test ./dockerfile -update if intended):\n%s", golden, got)
			}
		})
	}
}

// emptyConfigs answers the Dockerfile frontend's image lookups with a config that sets nothing,
// as the hardened frontend's conversion is given none here either.
type emptyConfigs struct{}

func (emptyConfigs) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	p := amd64
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		p = *opt.ImageOpt.Platform
	}
	// One layer: an image without any is scratch to the Dockerfile frontend.
	cfg := fmt.Sprintf(`{"architecture":%q,"os":%q,"rootfs":{"type":"layers","diff_ids":[%q]},"config":{}}`, p.Architecture, p.OS, digest.FromString("layer of "+ref))
	return ref, digest.FromString(ref), []byte(cfg), nil
}

// step is an exec as it runs: command, environment, directory, network and mounts.
type step struct {
	args   []string
	env    map[string]string
	cwd    string
	net    pb.NetMode
	mounts []string
}

func (s step) String() string {
	return fmt.Sprintf("%q in %s, network %v, mounts %v, env %v", s.args, s.cwd, s.net, s.mounts, s.env)
}

// steps lists the execs of a builder chain, with an `env` prefix taken into the environment.
func steps(t *testing.T, def *bkllb.Definition, ignoreEnv ...string) []step {
	t.Helper()
	chain, err := builderChain(def)
	if err != nil {
		t.Fatal(err)
	}
	var out []step
	for _, l := range chain {
		e := l.op.GetExec()
		if e == nil || slices.Equal(e.Meta.Args[:min(3, len(e.Meta.Args))], []string{"ln", "-sfn", "--"}) ||
			slices.Equal(e.Meta.Args[:min(2, len(e.Meta.Args))], []string{"rm", "-r"}) {
			continue // a file op of the frontend's, which the Dockerfile writes as RUN ln or RUN rm
		}
		st := step{args: e.Meta.Args, env: stepEnv(e), cwd: e.Meta.Cwd, net: e.Network}
		if st.cwd == "" {
			st.cwd = "/"
		}
		if len(st.args) > 0 && st.args[0] == "env" {
			args := st.args[1:]
			for len(args) > 0 {
				if args[0] == "-u" && len(args) > 1 {
					delete(st.env, args[1])
					args = args[2:]
				} else if k, v, ok := strings.Cut(args[0], "="); ok {
					st.env[k] = v
					args = args[1:]
				} else {
					break
				}
			}
			st.args = args
		}
		for _, k := range ignoreEnv {
			delete(st.env, k)
		}
		for _, m := range e.Mounts {
			switch {
			case m.CacheOpt != nil:
				// The Dockerfile frontend writes an id as BUILDKIT_CACHE_MOUNT_NS + "/" + id.
				st.mounts = append(st.mounts, fmt.Sprintf("cache %s at %s %v", strings.TrimPrefix(m.CacheOpt.ID, "/"), m.Dest, m.CacheOpt.Sharing))
			case m.SecretOpt != nil:
				st.mounts = append(st.mounts, fmt.Sprintf("secret %s at %s mode %o optional %v", m.SecretOpt.ID, m.Dest, m.SecretOpt.Mode, m.SecretOpt.Optional))
			case m.MountType == pb.MountType_BIND && m.Input >= 0 && m.Dest != "/":
				src, _, _ := strings.Cut(l.sources[m.Input], "@") // the Dockerfile frontend pins what it resolved
				st.mounts = append(st.mounts, fmt.Sprintf("bind %s%s at %s readonly %v", src, m.Selector, m.Dest, m.Readonly))
			case m.SSHOpt != nil:
				st.mounts = append(st.mounts, fmt.Sprintf("ssh %s optional %v", m.SSHOpt.ID, m.SSHOpt.Optional))
			}
		}
		for _, se := range e.Secretenv {
			st.mounts = append(st.mounts, fmt.Sprintf("secret %s as $%s optional %v", se.ID, se.Name, se.Optional))
		}
		slices.Sort(st.mounts)
		out = append(out, st)
	}
	return out
}

var lastStage = regexp.MustCompile(`(?m)^FROM \S+(?: \S+)? AS (build\S*)$`)

// TestDockerfileRunsWhatTheFrontendRuns converts the written Dockerfile with BuildKit's own
// Dockerfile frontend (dockerfile2llb) and holds its builder stages to the hardened frontend's
// builder: the same commands in the same order, each with the same environment, directory,
// network, cache mounts, secrets and SSH agents. It covers every example, and specs that use
// the fields which change the builder (build.env, build.args, secrets, ssh, packages, steps).
func TestDockerfileRunsWhatTheFrontendRuns(t *testing.T) {
	type tc struct {
		name  string
		s     *spec.Spec
		files hllb.Files
	}
	var cases []tc
	for _, name := range []string{"go", "go-cgo", "python", "node", "java", "rust", "static"} {
		s, files := loadExample(t, name)
		cases = append(cases, tc{name, s, files})
	}
	extra := `build:
  env: {GOFLAGS: -mod=mod, PIP_INDEX_URL: "https://pypi.example/simple", EXTRA: "a b $HOME"}
  args: {VERSION: "1.2"}
  secrets: [{id: netrc, target: /root/.netrc}, {id: tok, env: PRIVATE_TOKEN, optional: true}]
  ssh: [default]
  packages: [libssl-dev]
  steps: [{name: generate, run: [make, gen]}, {sh: "echo $HARDENED_OUT"}]
`
	for _, name := range []string{"python", "node", "rust", "java"} {
		dir := filepath.Join("..", "examples", name)
		y, err := os.ReadFile(filepath.Join(dir, "hardened.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := spec.Load("hardened.yaml", append(y, extra...), registry.SpecOptions()...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		_, files := loadExample(t, name)
		cases = append(cases, tc{name + " with every builder field", s, files})
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			df, err := Generate(c.s, Options{Files: c.files})
			if err != nil {
				t.Fatal(err)
			}
			m := lastStage.FindAllStringSubmatch(string(df), -1)
			if len(m) == 0 {
				t.Fatalf("no build stage in:\n%s", df)
			}
			caps := pb.Caps.CapSet(pb.Caps.All()) // a writable bind mount asks what the solver supports
			res, err := dockerfile2llb.Dockerfile2LLB(ctx, df, dockerfile2llb.ConvertOpt{
				Config:         dockerui.Config{Target: m[len(m)-1][1]},
				TargetPlatform: &amd64,
				MetaResolver:   emptyConfigs{},
				LLBCaps:        &caps,
			})
			if err != nil {
				t.Fatalf("the Dockerfile frontend refuses it: %v\n%s", err, df)
			}
			dfDef, err := res.State.Marshal(ctx)
			if err != nil {
				t.Fatal(err)
			}
			builder := bkllb.Scratch()
			if lang, _ := registry.Lookup(c.s.Language); lang != nil {
				if req, err := lang.Builder(c.s, c.files, amd64, amd64); err == nil && req.Ref != "" {
					builder = bkllb.Image(req.Ref)
				}
			}
			conv, err := hllb.Convert(c.s, hllb.Inputs{Plan: planFor(t, c.s, c.files), Context: bkllb.Local("context"), Files: c.files,
				Builder: hllb.Image{State: builder}, Target: amd64, Libs: &hllb.Libs{State: bkllb.Scratch()}})
			if err != nil {
				t.Fatal(err)
			}
			def, err := conv.Builder.Marshal(ctx)
			if err != nil {
				t.Fatal(err)
			}

			// The Dockerfile's ARGs reach its steps' environment; the frontend has no such variables.
			ignore := []string{"TARGETOS", "TARGETARCH"}
			want, got := steps(t, def), steps(t, dfDef, ignore...)
			if len(want) == 0 && c.s.Language != "static" {
				t.Fatalf("the frontend's builder runs nothing")
			}
			for i := range max(len(want), len(got)) {
				switch {
				case i >= len(got):
					t.Errorf("the frontend runs %v; the Dockerfile has no RUN left for it", want[i])
				case i >= len(want):
					t.Errorf("the Dockerfile runs %v, which the frontend does not", got[i])
				case !slices.Equal(want[i].args, got[i].args) || !maps.Equal(want[i].env, got[i].env) ||
					want[i].cwd != got[i].cwd || want[i].net != got[i].net || !slices.Equal(want[i].mounts, got[i].mounts):
					t.Errorf("step %d:\nfrontend   %v\nDockerfile %v", i, want[i], got[i])
				}
			}
			if len(planLibs(t, c.s, c.files)) > 0 {
				compareLibsStage(t, c.s, c.files, df)
			}
			if t.Failed() {
				t.Logf("the Dockerfile:\n%s", df)
			}
		})
	}
}

// compareLibsStage holds the Dockerfile's runtime-libs stage to the frontend's (llb.RuntimeLibs):
// the same step with the same base mounted, then only the step that fails on apt's problems.
func compareLibsStage(t *testing.T, s *spec.Spec, files hllb.Files, df []byte) {
	t.Helper()
	ctx := context.Background()
	res, err := dockerfile2llb.Dockerfile2LLB(ctx, df, dockerfile2llb.ConvertOpt{
		Config: dockerui.Config{Target: libsStage}, TargetPlatform: &amd64, MetaResolver: emptyConfigs{},
	})
	if err != nil {
		t.Fatalf("the Dockerfile frontend refuses the runtime-libs stage: %v", err)
	}
	dfDef, err := res.State.Marshal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lang, _ := registry.Lookup(s.Language)
	breq, err := lang.Builder(s, files, amd64, amd64)
	if err != nil {
		t.Fatal(err)
	}
	baseReq, err := lang.Base(s, files, amd64)
	if err != nil {
		t.Fatal(err)
	}
	lreq, _, err := hllb.LibsImage(s, baseReq, breq, amd64)
	if err != nil {
		t.Fatal(err)
	}
	st, err := hllb.RuntimeLibs(s, hllb.LibsInput{Packages: planLibs(t, s, files), Image: hllb.Image{State: bkllb.Image(lreq.Ref)}, Base: hllb.Image{Ref: baseReq.Ref, State: bkllb.Image(baseReq.Ref)}})
	if err != nil {
		t.Fatal(err)
	}
	def, err := st.Marshal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, got := steps(t, def), steps(t, dfDef)
	if len(got) != len(want)+1 || !slices.Equal(got[len(got)-1].args[:2], []string{"sh", "-c"}) {
		t.Fatalf("the runtime-libs stage runs %d steps, want the frontend's %d and a check:\n%v", len(got), len(want), got)
	}
	for i := range want {
		if !slices.Equal(want[i].args, got[i].args) || !maps.Equal(want[i].env, got[i].env) ||
			want[i].cwd != got[i].cwd || want[i].net != got[i].net || !slices.Equal(want[i].mounts, got[i].mounts) {
			t.Errorf("runtime-libs step %d:\nfrontend   %v\nDockerfile %v", i, want[i], got[i])
		}
	}
	if !strings.Contains(strings.Join(got[0].mounts, " "), "bind docker-image://"+baseReq.Ref+" at ") {
		t.Errorf("the runtime-libs step does not mount the base: %v", got[0].mounts)
	}
}

package dockerfile

import (
	"context"
	"flag"
	"maps"
	"os"
	"strings"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/lang/registry"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/lockfile"
	"github.com/hardenedbuild/hardened/plan"
	"github.com/hardenedbuild/hardened/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var amd64 = ocispecs.Platform{OS: "linux", Architecture: "amd64"}

// load reads a spec and its go.mod the way the command does.
func load(t *testing.T, yaml string, gomod string) (*spec.Spec, hllb.Files) {
	t.Helper()
	s, err := spec.Load("hardened.yaml", []byte(yaml), registry.SpecOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	return s, hllb.Files{"go.mod": []byte(gomod)}
}

func TestLockPinsEveryFrom(t *testing.T) {
	s, files := loadExample(t, "go")
	l := lockfile.New()
	b, d := "sha256:"+strings.Repeat("b", 64), "sha256:"+strings.Repeat("d", 64)
	l.Set("linux/amd64", "builder", "docker.io/library/golang:1.26-trixie", b)
	l.Set("linux/amd64", "base", "gcr.io/distroless/static-debian13:nonroot", d)
	out, err := Generate(s, Options{Files: files, Lock: l})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"FROM --platform=$BUILDPLATFORM docker.io/library/golang:1.26-trixie@" + b + " AS modules\n",
		"FROM gcr.io/distroless/static-debian13:nonroot@" + d + "\n",
		`LABEL "org.opencontainers.image.base.digest"="` + d + `"`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// A lock that does not cover the spec is refused, naming the entry, as the frontend does.
	s.Version = "1.25"
	if _, err := Generate(s, Options{Files: files, Lock: l}); err == nil || !strings.Contains(err.Error(), "images.linux/amd64.builder") {
		t.Errorf("a stale lock gave %v, want an error naming images.linux/amd64.builder", err)
	}
	if _, err := Generate(s, Options{Files: files, Lock: l, Platform: ocispecs.Platform{OS: "linux", Architecture: "arm64"}}); err == nil || !strings.Contains(err.Error(), "linux/arm64") {
		t.Errorf("a lock without the platform gave %v", err)
	}
}

func TestSpecVariants(t *testing.T) {
	const mod = "module x\n\ngo 1.25.3\n"
	for _, tc := range []struct {
		name, yaml string
		want, not  []string
	}{
		{"cgo builds on the target platform on base", "language: go\nartifacts: [./cmd/a]\ncgo: true\n",
			[]string{"FROM docker.io/library/golang:1.25-trixie AS modules\n", "CGO_ENABLED=1", "FROM gcr.io/distroless/base-debian13:nonroot\n"},
			[]string{"$BUILDPLATFORM"}},
		{"scratch", "language: go\nartifacts: [.]\nbase: scratch\n",
			[]string{"FROM scratch\n", `ENTRYPOINT ["/app/x"]`, "COPY --from=build --chmod=0755 /hardened/out/x /app/x\n", `"org.opencontainers.image.base.name"="scratch"`},
			nil},
		{"everything", `language: go
version: "1.26.8"
artifacts: [./cmd/server, ./cmd/migrate]
user: "1000"
entrypoint: [/app/migrate, --up]
cmd: ["--addr", ":80 80"]
workdir: /srv
env: {B: 'say "$HOME" \now', A: "1"}
expose: [8080, 53/udp]
healthcheck: {test: [/app/server, -check], interval: 1m30s, retries: 3, start_period: 5s}
build:
  env: {GOFLAGS: -mod=mod}
  ldflags: -X main.v=1
  tags: [netgo, osusergo]
  steps: [{name: generate, run: [go, generate, ./...]}]
`, []string{
			"golang:1.26.8-trixie",
			`RUN --network=none --mount=type=cache,id=hardened/go/build,target=/root/.cache/go-build,sharing=shared ["go","build","-trimpath","-ldflags","-X main.v=1 -buildid=","-tags","netgo,osusergo","-o","/hardened/out/migrate","./cmd/migrate"]`,
			`ENV GOFLAGS="-mod=mod"`,
			"ENV GOPROXY= HARDENED_OUT=/out\n# generate\nRUN [\"go\",\"generate\",\"./...\"]\n",
			"USER 1000:1000\n", `ENTRYPOINT ["/app/migrate","--up"]`, `CMD ["--addr",":80 80"]`, "WORKDIR /srv\n",
			`ENV A="1"`, `ENV B="say \"\$HOME\" \\now"`, "EXPOSE 8080/tcp\nEXPOSE 53/udp\n",
			`HEALTHCHECK --interval=1m30s --start-period=5s --retries=3 CMD ["/app/server","-check"]`,
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, files := load(t, tc.yaml, mod)
			out, err := Generate(s, Options{Files: files})
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range tc.want {
				if !strings.Contains(string(out), want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			for _, not := range tc.not {
				if strings.Contains(string(out), not) {
					t.Errorf("output has %q:\n%s", not, out)
				}
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	s, files := load(t, "language: go\nartifacts: [./cmd/a]\nenv: {A: \"x\\ny\"}\n", "module x\ngo 1.26\n")
	if _, err := Generate(s, Options{Files: files}); err == nil || !strings.Contains(err.Error(), "env.A") {
		t.Errorf("a line break in env gave %v", err)
	}
	s, _ = load(t, "language: go\nartifacts: [./cmd/a]\n", "")
	if _, err := Generate(s, Options{Files: hllb.Files{}}); err == nil || !strings.Contains(err.Error(), "go.mod") {
		t.Errorf("no go.mod gave %v", err)
	}
	s, files = load(t, "language: go\ncgo: true\nartifacts: [./cmd/a]\nruntime:\n  libs: [libpq5]\n", "module x\ngo 1.26\n")
	if _, err := Generate(s, Options{Files: files, Lock: lockfile.New()}); err == nil || !strings.Contains(err.Error(), "has no") {
		t.Errorf("runtime.libs with a lock that has no entries gave %v", err)
	}
}

// TestCompileMatchesFrontend holds the Dockerfile to the frontend's own LLB: each exec the
// frontend's builder runs is a RUN of the Dockerfile's build stage, in the same order, with the
// same arguments, cache mounts, network and environment (as the ENV lines before it leave it,
// for a linux/amd64 target).
func TestCompileMatchesFrontend(t *testing.T) {
	s, files := load(t, `language: go
artifacts: [./cmd/server, ./cmd/migrate]
build:
  ldflags: -s -X main.v=1
  tags: [netgo]
  env: {GOFLAGS: -mod=mod}
  secrets: [{id: netrc, target: /root/.netrc}, {id: tok, env: PRIVATE_TOKEN}]
  ssh: [default]
  steps: [{run: [go, generate, ./...]}]
`, "module x\ngo 1.26\n")
	res, err := hllb.Convert(s, hllb.Inputs{
		Plan:    planFor(t, s, files),
		Context: bkllb.Local("context"),
		Files:   files,
		Builder: hllb.Image{State: bkllb.Image("docker.io/library/golang:1.26-trixie")},
		Target:  amd64,
	})
	if err != nil {
		t.Fatal(err)
	}
	def, err := res.Final.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out, err := Generate(s, Options{Files: files})
	if err != nil {
		t.Fatal(err)
	}

	// The RUN lines of the build stage, each with the environment the ENV lines leave.
	type run struct {
		line string
		env  map[string]string
	}
	var runs []run
	env := map[string]string{"TARGETOS": "linux", "TARGETARCH": "amd64"}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "FROM ") && !strings.Contains(l, " AS ") { // the final stage
			break
		}
		if rest, ok := strings.CutPrefix(l, "ENV "); ok {
			for _, kv := range envWords(rest) {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = os.Expand(v, func(n string) string { return env[n] })
			}
		}
		if strings.HasPrefix(l, "RUN ") && !strings.Contains(l, `["ln","-sfn","--"`) { // a file op of the frontend's
			e := maps.Clone(env)
			if strings.Contains(l, "--mount=type=ssh,") { // BuildKit's llb points it at the first agent, for any frontend
				e["SSH_AUTH_SOCK"] = "/run/buildkit/ssh_agent.0"
			}
			runs = append(runs, run{l, e})
		}
	}

	w := &writer{}
	i := 0
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.Unmarshal(dt); err != nil {
			t.Fatal(err)
		}
		e := op.GetExec()
		if e == nil {
			continue
		}
		args := w.execForm("", e.Meta.Args)
		if i >= len(runs) {
			t.Errorf("the frontend runs %s; the Dockerfile has no RUN left for it", args)
			continue
		}
		r := runs[i]
		i++
		if !strings.HasSuffix(r.line, " "+args) {
			t.Errorf("the frontend runs %s; the Dockerfile's RUN %d is %s", args, i, r.line)
		}
		if none := e.Network == pb.NetMode_NONE; none != strings.Contains(r.line, "--network=none") {
			t.Errorf("%s: the frontend's network none is %v; the Dockerfile's RUN %d is %s", args, none, i, r.line)
		}
		var mounts int
		for _, m := range e.Mounts {
			if m.CacheOpt != nil {
				mounts++
				if !strings.Contains(r.line, "--mount=type=cache,id="+m.CacheOpt.ID+",target="+m.Dest+",") {
					t.Errorf("%s: the frontend mounts cache %s at %s; the Dockerfile's RUN does not: %s", args, m.CacheOpt.ID, m.Dest, r.line)
				}
			}
			if m.SecretOpt != nil {
				mounts++
				if !strings.Contains(r.line, "--mount=type=secret,id="+m.SecretOpt.ID+",target="+m.Dest+",") {
					t.Errorf("%s: the frontend mounts secret %s at %s; the Dockerfile's RUN does not: %s", args, m.SecretOpt.ID, m.Dest, r.line)
				}
			}
			if m.SSHOpt != nil {
				mounts++
				if !strings.Contains(r.line, "--mount=type=ssh,id="+m.SSHOpt.ID+",") {
					t.Errorf("%s: the frontend forwards SSH %s; the Dockerfile's RUN does not: %s", args, m.SSHOpt.ID, r.line)
				}
			}
		}
		for _, se := range e.Secretenv {
			mounts++
			if !strings.Contains(r.line, "--mount=type=secret,id="+se.ID+",env="+se.Name) {
				t.Errorf("%s: the frontend sets secret %s as %s; the Dockerfile's RUN does not: %s", args, se.ID, se.Name, r.line)
			}
		}
		if got := strings.Count(r.line, "--mount=type=cache,") + strings.Count(r.line, "--mount=type=secret,") + strings.Count(r.line, "--mount=type=ssh,"); got != mounts {
			t.Errorf("%s: the frontend mounts %d caches, the Dockerfile %d", args, mounts, got)
		}
		want := map[string]string{} // the last setting of a name counts
		for _, kv := range e.Meta.Env {
			k, v, _ := strings.Cut(kv, "=")
			want[k] = v
		}
		for k, v := range want {
			if r.env[k] != v {
				t.Errorf("%s: the frontend sets %s=%s; the Dockerfile has %q", args, k, v, r.env[k])
			}
		}
	}
	if i != len(runs) {
		t.Errorf("the Dockerfile's build stage has %d RUNs, the frontend %d execs", len(runs), i)
	}
}

// envWords splits an ENV line's K=V pairs, taking a double-quoted value as written here.
func envWords(s string) []string {
	var words []string
	var b strings.Builder
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && quoted && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == '"':
			quoted = !quoted
		case c == ' ' && !quoted:
			if b.Len() > 0 {
				words = append(words, b.String())
				b.Reset()
			}
		default:
			b.WriteByte(c)
		}
	}
	if b.Len() > 0 {
		words = append(words, b.String())
	}
	return words
}

// planFor is the spec's plan for linux/amd64, built there, as the frontend computes it.
func planFor(t *testing.T, s *spec.Spec, files hllb.Files) hllb.Plan {
	t.Helper()
	p, err := plan.New(s, files, amd64, amd64)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

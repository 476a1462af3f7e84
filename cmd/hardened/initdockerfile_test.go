package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hardenedbuild/hardened/lang/registry"
	"github.com/hardenedbuild/hardened/spec"
)

// copyTree copies a testdata project into a temporary directory, adding files.
func copyTree(t *testing.T, src string, add map[string]string) string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(src, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		dt, err := os.ReadFile(p)
		rel, _ := filepath.Rel(src, p)
		files[filepath.ToSlash(rel)] = string(dt)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range add {
		files[k] = v
	}
	return tree(t, files)
}

// initSpec runs init on dir and returns the spec it wrote, which must load as lint loads it.
func initSpec(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := runInit(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout.String(), stderr.String())
	}
	data, err := os.ReadFile(filepath.Join(args[len(args)-1], "hardened.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := spec.Load("hardened.yaml", data, registry.SpecOptions()...); err != nil {
		t.Fatalf("the written spec fails lint: %v\n%s", err, data)
	}
	return string(data)
}

func wantAll(t *testing.T, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("spec lacks %q:\n%s", w, got)
		}
	}
}

// The Go module-root project's Dockerfile: what the spec can say is carried over, the rest noted.
func TestInitFromDockerfileGo(t *testing.T) {
	dir := copyTree(t, "../../lang/go/testdata/moduleroot", nil)
	got := initSpec(t, dir)
	wantAll(t, got,
		"# From Dockerfile's FROM golang:1.26-trixie.\nversion: \"1.26\"\n",
		"artifacts: [.]\n", "expose: [\"8080\"]\n", "env:\n  GREETING: \"hello\"\n", "user: \"65532\"\n",
		"cmd: [\"-port\", \"8080\"]\n", "healthcheck:\n  test: [/app/greeter, \"-check\"]\n  interval: 30s\n",
		"#   ENV API_TOKEN: a secret", "#   EXPOSE 80: a port below 1024", "#   ADD https://example.com/robots.txt: a download")
	if strings.Contains(got, "changeme") {
		t.Errorf("the secret's value reached the spec:\n%s", got)
	}
}

// -f names the Dockerfile; the main package it builds comes first; what has no exec form is noted.
func TestInitFromDockerfileChoices(t *testing.T) {
	dir := tree(t, map[string]string{
		"go.mod": "module example.com/svc\n\ngo 1.26\n", "cmd/api/main.go": mainGo, "cmd/worker/main.go": mainGo,
		"build/api.Dockerfile": "FROM golang:1.26 AS b\nRUN go build -o /bin/api ./cmd/api\nFROM gcr.io/distroless/static\n" +
			"COPY --from=b /bin/api /api\nUSER app\nWORKDIR /data\nRUN apt-get install -y libvips42 ca-certificates\n" +
			"HEALTHCHECK CMD curl -f http://localhost/ || exit 1\nENTRYPOINT [\"/api\", \"--serve\"]\n",
	})
	got := initSpec(t, "-f", filepath.Join(dir, "build/api.Dockerfile"), dir)
	wantAll(t, got, "artifacts: [./cmd/api, ./cmd/worker]\n", "as api.Dockerfile builds it", "cmd: [\"--serve\"]\n",
		"workdir: /data\n", "#   USER app: not a number", "healthcheck:\n  http: {port: 80, path: /}\n", // the curl of loopback becomes the build's probe
		"# runtime:\n#   libs: [libvips42]\n")
}

// A Go Dockerfile that builds with make and ships files beside the binary: the binary is the artifact
// by its name, every other copy is a note, one line each.
func TestInitFromDockerfileGoFiles(t *testing.T) {
	dir := tree(t, map[string]string{
		"go.mod": "module example.com/svc\n\ngo 1.26\n", "cmd/server/main.go": mainGo, "config/local.yml": "a: 1\n",
		"cmd/server/Dockerfile": "FROM golang:1.26 AS build\nWORKDIR /app\nCOPY . .\nRUN make build\nFROM gcr.io/distroless/static\n" +
			"WORKDIR /app\nCOPY --from=build /app/server .\nCOPY --from=build /app/config/*.yml ./config/\nCOPY LICENSE /\n",
	})
	got := initSpec(t, "-f", filepath.Join(dir, "cmd/server/Dockerfile"), dir)
	wantAll(t, got, "artifacts: [./cmd/server]\n",
		"#   COPY --from=build /app/config/*.yml ./config/: a go image holds the binaries and runtime.files alone (paths of the context, at the same path under /app); embed such files in the binary (//go:embed) or mount them at run time (a ConfigMap)\n",
		"#   COPY LICENSE /: a go image holds the binaries and runtime.files alone")
	if strings.Contains(got, "/app/server .:") {
		t.Errorf("the binary the Dockerfile's make builds is noted:\n%s", got)
	}
}

// A scratch Dockerfile as small Go services write it: golang:1 (the newest Go) is no version to carry
// over, the certificates, time zones and /tmp are distroless's own, and the binary copied is the entry.
func TestInitFromDockerfileGoScratch(t *testing.T) {
	dir := tree(t, map[string]string{
		"go.mod": "module example.com/whoareyou\n\ngo 1.26\n", "main.go": mainGo,
		"Dockerfile": "FROM golang:1-alpine AS builder\nWORKDIR /go/src\nCOPY . .\nRUN make build\nFROM scratch\n" +
			"COPY --from=builder /usr/share/zoneinfo /usr/share/zoneinfo\nCOPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/\n" +
			"COPY --from=builder /tmp /tmp\nENV PORT=8080 DATA=/data\nWORKDIR ${DATA}\nCOPY --from=builder /go/src/whoareyou /usr/bin/\nEXPOSE ${PORT}\n" +
			"ENTRYPOINT [\"/usr/bin/whoareyou\"]\n",
	})
	got := initSpec(t, dir)
	wantAll(t, got, "artifacts: [.]\n", "expose: [\"8080\"]\n", "workdir: /data\n") // ${VAR} as BuildKit expands them
	for _, not := range []string{"version:", "zoneinfo", "ca-certificates", "ENTRYPOINT", "/tmp"} {
		if strings.Contains(got, not) {
			t.Errorf("spec has %q:\n%s", not, got)
		}
	}
}

// The server init starts listens where the Dockerfile's EXPOSE says traffic goes, not on its default.
func TestInitFromDockerfilePythonPort(t *testing.T) {
	dir := tree(t, map[string]string{
		"requirements.txt": "flask==3.0.0\ngunicorn==23.0.0\n", "blog.py": "from flask import Flask\n\napp = Flask(__name__)\n",
		"tests.py": "", "Dockerfile": "FROM python:slim\nCOPY . .\nRUN pip install -r requirements.txt\nEXPOSE 5000\nENTRYPOINT [\"./boot.sh\"]\n",
	})
	got := initSpec(t, dir)
	wantAll(t, got, "artifacts: [blog.py]\n", "\"--bind\", \"0.0.0.0:5000\"", "on port 5000 (Dockerfile's EXPOSE)", "http: {port: 5000,")
	if strings.Contains(got, "8000") {
		t.Errorf("the spec still names gunicorn's default port:\n%s", got)
	}
}

// The TypeScript project with a Dockerfile: node's version from the builder's tag, CMD as its entry.
func TestInitFromDockerfileNode(t *testing.T) {
	dir := copyTree(t, "../../lang/node/testdata/typescript", map[string]string{"Dockerfile": "FROM node:22-bookworm AS build\n" +
		"WORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nFROM node:22-slim\nWORKDIR /usr/src/app\nCOPY --from=build /app .\n" +
		"ENV NODE_ENV=production PORT=8080\nEXPOSE 8080\nCMD [\"node\", \"dist/server.js\", \"--port=8080\"]\n"})
	got := initSpec(t, dir)
	wantAll(t, got, "version: \"22\"\n", "artifacts: [dist/server.js, dist, views]\n", "build:\n  script: build\n",
		"cmd: [\"--port=8080\"]\n", "env:\n  NODE_ENV: \"production\"\n  PORT: \"8080\"\n")
	if strings.Contains(got, "workdir:") || !strings.Contains(got, "#   WORKDIR /usr/src/app: the app's files are at /app") {
		t.Errorf("WORKDIR /usr/src/app holds the app, which is /app here:\n%s", got)
	}
}

// A Dockerfile that starts the app with npm: the note says the image runs node on what the scripts
// run; a note quoting a multi-line error stays a comment on every line.
func TestInitFromDockerfileNpmStart(t *testing.T) {
	dir := copyTree(t, "../../lang/node/testdata/typescript", map[string]string{"Dockerfile": "FROM node:22-slim\nWORKDIR /app\nCOPY . .\n" +
		"RUN npm ci && npm run build\nEXPOSE 8080\nCMD [\"npm\", \"start\"]\n"})
	got := initSpec(t, dir)
	wantAll(t, got, "#   ENTRYPOINT/CMD npm start: a package manager, which the image does not have, starts the app there; the entrypoint runs /nodejs/bin/node /app/dist/server.js")
	var b strings.Builder
	m := &migration{file: "Dockerfile", notes: []string{"FROM node:20: hardened.yaml:5:10: version: one\nhardened.yaml:9:30: artifacts[1]: two"}}
	m.yaml(&b, func(string, string) {})
	if want := "#   FROM node:20: hardened.yaml:5:10: version: one\n#   hardened.yaml:9:30: artifacts[1]: two\n"; !strings.Contains(b.String(), want) {
		t.Errorf("notes:\n%s\nwant\n%s", b.String(), want)
	}
}

// COPY SRC . puts the binary in the directory the stage is in: / here, so ENTRYPOINT /NAME runs it.
func TestInitFromDockerfileGoCopyDot(t *testing.T) {
	dir := tree(t, map[string]string{
		"go.mod": "module example.com/whoareyou\n\ngo 1.26\n", "main.go": mainGo,
		"Dockerfile": "FROM golang:1.26 AS builder\nWORKDIR /go/src\nCOPY . .\nRUN make build\nFROM scratch\n" +
			"COPY --from=builder /go/src/whoareyou .\nENTRYPOINT [\"/whoareyou\", \"--verbose\"]\n",
	})
	got := initSpec(t, dir)
	wantAll(t, got, "cmd: [\"--verbose\"]\n")
	if strings.Contains(got, "#   ENTRYPOINT/CMD") {
		t.Errorf("the Dockerfile's entry is noted as another program:\n%s", got)
	}
}

// A Node.js Dockerfile with an init, tools installed for its health check, and a privileged PORT:
// the tools are no runtime.libs candidates, the init is noted and its app is the entry, PORT=80 is
// not carried (the app could not bind it), and node:18 is noted as unsupported.
func TestInitFromDockerfileNodeInit(t *testing.T) {
	dir := tree(t, map[string]string{
		"package.json": `{"main": "server.js", "dependencies": {"express": "^4.18.2"}}`, "package-lock.json": "{}",
		"server.js": "const port = process.env.PORT || 4000;\n",
		"Dockerfile": "FROM node:18-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl tini libvips42\n" +
			"WORKDIR /app\nCOPY . .\nRUN npm ci\nENV PORT=80\nEXPOSE 80\nENTRYPOINT [\"/usr/bin/tini\", \"--\"]\nCMD [\"node\", \"server.js\"]\n",
	})
	got := initSpec(t, dir)
	wantAll(t, got, "#   libs: [libvips42]\n", "#   apt-get install tini: a tool", "#   ENV PORT=80: a port below 1024",
		"#   ENTRYPOINT /usr/bin/tini --: an init", "#   FROM node:18-slim: ", "Node.js 18 has no supported distroless image")
	for _, not := range []string{"PORT: \"80\"", "#   ENTRYPOINT/CMD", "cmd:"} {
		if strings.Contains(got, not) {
			t.Errorf("spec has %q:\n%s", not, got)
		}
	}
}

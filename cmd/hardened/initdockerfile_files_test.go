package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// A Go Dockerfile's final stage copies context paths beside the binary: those at the same path under
// its WORKDIR become runtime.files (a COPY without --from, or from the stage that copied the whole
// context, under that stage's WORKDIR); build output, a path put elsewhere, a glob and a path over the
// binary stay notes, one line each.
func TestInitFromDockerfileGoRuntimeFiles(t *testing.T) {
	dir := tree(t, map[string]string{
		"go.mod": "module example.com/svc\n\ngo 1.26\n", "cmd/server/main.go": mainGo,
		"config/app.yml": "a: 1\n", "migrations/001.sql": "select 1;\n", "templates/index.html": "<p>\n",
		"docs/README.md": "x\n", "static/a.css": "a{}\n", "server/x": "x\n",
		"Dockerfile": "FROM golang:1.26 AS build\nWORKDIR /src\nCOPY . .\nRUN go build -o /bin/server ./cmd/server\n" +
			"FROM gcr.io/distroless/static\nWORKDIR /app\nCOPY --from=build /bin/server .\n" +
			"COPY config ./config\n" +
			"COPY --from=build /src/migrations ./migrations\n" +
			"COPY templates/index.html templates/\n" +
			"COPY config/app.yml ./config/app.yml\n" +
			"COPY docs/README.md .\n" +
			"COPY --from=build /src/gen/api.json ./gen/api.json\n" +
			"COPY static/ ./public/\n" +
			"COPY --from=build /src/static/*.css ./static/\n" +
			"COPY server ./server\n",
	})
	got := initSpec(t, dir)
	wantAll(t, got, "artifacts: [./cmd/server]\n", "runtime:\n  files: [config, migrations, templates/index.html]\n")
	const why = ": a go image holds the binaries and runtime.files alone"
	for _, note := range []string{"COPY docs/README.md .", "COPY --from=build /src/gen/api.json ./gen/api.json", "COPY static/ ./public/",
		"COPY --from=build /src/static/*.css ./static/", "COPY server ./server"} {
		wantAll(t, got, "#   "+note+why)
	}
	for _, carried := range []string{"COPY config ./config:", "/src/migrations ./migrations:", "templates/index.html templates/:", "config/app.yml ./config/app.yml:"} {
		if strings.Contains(got, carried) {
			t.Errorf("%q is noted though runtime.files ships it:\n%s", carried, got)
		}
	}
}

// Without a stage that copied the context, a COPY --from path is build output, never runtime.files.
func TestInitFromDockerfileGoBuildOutputStaysNote(t *testing.T) {
	dir := tree(t, map[string]string{
		"go.mod": "module example.com/svc\n\ngo 1.26\n", "cmd/server/main.go": mainGo, "config/app.yml": "a: 1\n",
		"Dockerfile": "FROM golang:1.26 AS build\nWORKDIR /src\nCOPY go.mod ./\nCOPY cmd cmd\nRUN go build -o /bin/server ./cmd/server && mkdir /src/config\n" +
			"FROM gcr.io/distroless/static\nWORKDIR /app\nCOPY --from=build /bin/server .\nCOPY --from=build /src/config ./config\n",
	})
	got := initSpec(t, "-f", filepath.Join(dir, "Dockerfile"), dir)
	if strings.Contains(got, "runtime:\n  files:") {
		t.Errorf("build output became runtime.files:\n%s", got)
	}
	wantAll(t, got, "#   COPY --from=build /src/config ./config: a go image holds")
}

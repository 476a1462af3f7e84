package main

import (
	"strings"
	"testing"

	"github.com/hardenedbuild/hardened/spec"
)

// init writes test: when it finds both the port and a health route, and says where each came from; with
// one or neither, a commented template with what it found. Every spec it writes validates (runInit loads it).
func TestInitWritesTest(t *testing.T) {
	const gomod = "module x\n\ngo 1.26\n"
	mainGo := "package main\n\nfunc main() {}\n"
	routes := "package main\n\nimport \"net/http\"\n\nfunc main() {\n\thttp.HandleFunc(\"GET /healthz\", nil)\n\thttp.HandleFunc(\"/ping\", nil)\n}\n"
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string
		not   []string
	}{
		{"EXPOSE and a route in the source", map[string]string{"go.mod": gomod, "main.go": routes,
			"Dockerfile": "FROM golang:1.26 AS b\nRUN go build -o /s .\nFROM scratch\nCOPY --from=b /s /s\nEXPOSE 9000\nENTRYPOINT [\"/s\"]\n"},
			[]string{"port from Dockerfile's EXPOSE, path from main.go", "test:\n  http: {port: 9000, path: /healthz}\n"}, []string{"# test:"}},
		{"curl HEALTHCHECK becomes the probe and the test", map[string]string{"go.mod": gomod, "main.go": mainGo,
			"Dockerfile": "FROM golang:1.26 AS b\nRUN go build -o /s .\nFROM debian\nCOPY --from=b /s /s\nEXPOSE 8080\n" +
				"HEALTHCHECK --interval=15s CMD curl -fsS http://localhost:3000/api/health?deep=1 || exit 1\nENTRYPOINT [\"/s\"]\n"},
			[]string{"From Dockerfile's HEALTHCHECK, whose curl or wget", "healthcheck:\n  http: {port: 3000, path: \"/api/health?deep=1\"}\n  interval: 15s\n",
				"test:\n  http: {port: 3000, path: \"/api/health?deep=1\"}\n", "(from Dockerfile's HEALTHCHECK)"}, []string{"curl, which distroless does not have"}},
		{"curl of another host stays a note", map[string]string{"go.mod": gomod, "main.go": mainGo,
			"Dockerfile": "FROM golang:1.26 AS b\nRUN go build -o /s .\nFROM debian\nCOPY --from=b /s /s\nHEALTHCHECK CMD [\"curl\", \"-f\", \"http://example.com/\"]\nENTRYPOINT [\"/s\"]\n"},
			[]string{"HEALTHCHECK runs curl, which distroless does not have", "# test:\n#   http: {port: 8080, path: /healthz}\n"}, []string{"\nhealthcheck:", "\ntest:"}},
		{"a shell line beyond curl stays a note", map[string]string{"go.mod": gomod, "main.go": mainGo,
			"Dockerfile": "FROM golang:1.26 AS b\nRUN go build -o /s .\nFROM debian\nCOPY --from=b /s /s\nHEALTHCHECK CMD curl -f http://localhost/ && rm -rf /tmp/x\nENTRYPOINT [\"/s\"]\n"},
			[]string{"a shell line, and the image has no shell"}, []string{"\nhealthcheck:", "\ntest:"}},
		{"a port without a route", map[string]string{"go.mod": gomod, "main.go": mainGo,
			"Dockerfile": "FROM golang:1.26 AS b\nRUN go build -o /s .\nFROM scratch\nCOPY --from=b /s /s\nEXPOSE 53/udp 7000\nENTRYPOINT [\"/s\"]\n"},
			[]string{"# The port is from Dockerfile's EXPOSE.\n# test:\n#   http: {port: 7000, path: /healthz}\n"}, []string{"\ntest:", "The path is"}},
		{"neither", map[string]string{"go.mod": gomod, "main.go": mainGo},
			[]string{"# test:\n#   http: {port: 8080, path: /healthz}\n"}, []string{"\ntest:", "is from"}},
		{"a Node PORT default becomes expose and the test", map[string]string{"package.json": `{"name": "x", "scripts": {"start": "node server.js"}}`,
			"server.js": "const port = process.env.PORT || 3000;\napp.get('/healthz', ok);\napp.listen(port);\n"},
			[]string{"# The port the app listens on, from server.js.\nexpose: [\"3000\"]\n", "test:\n  http: {port: 3000, path: /healthz}\n"}, []string{"# test:"}},
		{"a Python PORT default", map[string]string{"requirements.txt": "", "main.py": "import os\nport = int(os.environ.get(\"PORT\", \"8000\"))\n"},
			[]string{"expose: [\"8000\"]\n", "# The port is from main.py.\n"}, nil},
		{"ports that disagree are not guessed", map[string]string{"package.json": `{"name": "x", "scripts": {"start": "node server.js"}}`,
			"server.js": "app.listen(3000);\n", "admin.js": "admin.listen(9000);\n"},
			[]string{"# test:\n#   http: {port: 8080, path: /healthz}\n"}, []string{"expose:", "The port is"}},
		{"a port below 1024 is not exposed", map[string]string{"package.json": `{"name": "x", "scripts": {"start": "node server.js"}}`,
			"server.js": "app.listen(80);\n"},
			[]string{"# The port is from server.js.\n"}, []string{"expose:"}},
		{"the Dockerfile's EXPOSE is the only expose", map[string]string{"go.mod": gomod, "main.go": "package main\n\nfunc main() { http.ListenAndServe(\":9100\", nil) }\n",
			"Dockerfile": "FROM golang:1.26 AS b\nRUN go build -o /s .\nFROM scratch\nCOPY --from=b /s /s\nEXPOSE 9000\nENTRYPOINT [\"/s\"]\n"},
			[]string{"From Dockerfile's EXPOSE.\nexpose: [\"9000\"]\n"}, []string{"expose: [\"9100\"]", "The port the app listens on"}},
		{"a Go ListenAndServe literal", map[string]string{"go.mod": gomod, "main.go": "package main\n\nfunc main() { http.ListenAndServe(\"0.0.0.0:9100\", nil) }\n"},
			[]string{"# The port the app listens on, from main.go.\nexpose: [\"9100\"]\n"}, nil},
		{"a server's port, not the one the source falls back to", map[string]string{"requirements.txt": "flask\ngunicorn\n", "Procfile": "web: gunicorn app:app\n",
			"app.py": "import os\nfrom flask import Flask\napp = Flask(__name__)\nif __name__ == '__main__':\n    app.run(port=int(os.environ.get('PORT', 3000)))\n"},
			[]string{"# The port the app listens on, from the entrypoint's arguments.\nexpose: [\"8000\"]\n"}, []string{"3000"}},
		{"a route only in vendored code", map[string]string{"go.mod": gomod, "main.go": mainGo, "vendor/x/x.go": routes, "main_test.go": routes},
			[]string{"# test:"}, []string{"The path is"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := initSpec(t, tree(t, tc.files))
			wantAll(t, got, tc.want...)
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("unexpected %q in\n%s", n, got)
				}
			}
		})
	}
}

func TestEntrypointPort(t *testing.T) {
	for want, args := range map[string][]string{
		"8000": {"/app/.venv/bin/python", "-m", "uvicorn", "--host", "0.0.0.0", "--port", "8000", "app:app"},
		"8001": {"python", "-m", "gunicorn", "--bind", "0.0.0.0:8001", "app:app"},
		"8002": {"hypercorn", "--bind=[::]:8002"},
		"":     {"/app/server", "--port", "http"},
	} {
		if got := entrypointPort(args); got != want {
			t.Errorf("entrypointPort(%q) = %q, want %q", args, got, want)
		}
	}
}

func TestLoopbackURL(t *testing.T) {
	for in, want := range map[string]*spec.HTTPTest{
		"http://localhost:8080/healthz": {Port: 8080, Path: "/healthz"},
		"http://127.0.0.1/":             {Port: 80, Path: "/"},
		"http://[::1]:9000":             {Port: 9000, Path: "/"},
		"https://localhost:8443/":       nil,
		"http://example.com:8080/":      nil,
		"-f":                            nil,
	} {
		got := loopbackURL([]string{"-fsS", in})
		if (got == nil) != (want == nil) || got != nil && *got != *want {
			t.Errorf("loopbackURL(%q) = %+v, want %+v", in, got, want)
		}
	}
}

package spec

import (
	"strings"
	"testing"
	"time"
)

func TestValidateTestProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want problem
	}{
		{"neither", minimal + "test:\n  timeout: 5s\n", problem{"4:3", "test", "neither http nor run", "test: {http: {port: 8080"}},
		{"both", minimal + "test:\n  http: {port: 8080}\n  run: [--version]\n", problem{"4:3", "test", "both http and run", "keep one"}},
		{"port missing", minimal + "test:\n  http: {path: /healthz}\n", problem{"4:9", "test.http.port", "missing", "e.g. port: 8080"}},
		{"port zero", minimal + "test:\n  http: {port: 0}\n", problem{"4:16", "test.http.port", "port 0 is out of range", "from 1 to 65535"}},
		{"port too big", minimal + "test:\n  http: {port: 70000}\n", problem{"4:16", "test.http.port", "port 70000 is out of range", "from 1 to 65535"}},
		{"port text", minimal + "test:\n  http: {port: http}\n", problem{"4:16", "test.http.port", "expected a whole number", "port: 3"}},
		{"path relative", minimal + "test:\n  http: {port: 8080, path: healthz}\n", problem{"4:28", "test.http.path", `"healthz" is not absolute`, "write path: /healthz"}},
		{"path space", minimal + "test:\n  http: {port: 8080, path: '/a b'}\n", problem{"4:28", "test.http.path", "not a URL path", "path: /healthz"}},
		{"path ESC", minimal + "test:\n  http: {port: 8080, path: \"/a\\eb\"}\n", problem{"4:28", "test.http.path", "U+001B, ESC", "printable"}},
		{"run empty", minimal + "test:\n  run: []\n", problem{"4:8", "test.run", "empty list", `run: ["--version"]`}},
		{"run empty arg", minimal + "test:\n  run: ['']\n", problem{"4:9", "test.run[0]", "empty string", "remove the item"}},
		{"timeout long", minimal + "test:\n  run: [--version]\n  timeout: 3m\n", problem{"5:12", "test.timeout", `"3m" is over 2m`, "timeout: 2m or less"}},
		{"timeout not a duration", minimal + "test:\n  run: [--version]\n  timeout: '10'\n", problem{"5:12", "test.timeout", "not a duration", "timeout: 30s"}},
		{"env name", minimal + "test:\n  run: [--version]\n  env: {1X: a}\n", problem{"5:9", "test.env.1X", "not a valid variable name", "letters, digits and _"}},
		{"env name newline", minimal + "test:\n  run: [--version]\n  env: {\"A\\nB\": a}\n", problem{"5:9", "test.env.A\nB", "U+000A, line break", "letters, digits and _"}},
		{"env name ESC", minimal + "test:\n  run: [--version]\n  env: {\"A\\eB\": a}\n", problem{"5:9", "test.env.A\x1bB", "U+001B, ESC", "letters, digits and _"}},
		{"unknown field", minimal + "test:\n  http: {port: 8080}\n  retries: 3\n", problem{"5:3", "test.retries", "unknown field", ""}},
		{"writable relative", minimal + "runtime:\n  writable: [tmp]\n", problem{"4:14", "runtime.writable[0]", `"tmp" is not absolute`, "write /tmp"}},
		{"writable unclean", minimal + "runtime:\n  writable: [/tmp/]\n", problem{"4:14", "runtime.writable[0]", "not a clean path", "write /tmp"}},
		{"writable root", minimal + "runtime:\n  writable: [/]\n", problem{"4:14", "runtime.writable[0]", "whole root", "e.g. /tmp"}},
		{"writable app", minimal + "runtime:\n  writable: [/app]\n", problem{"4:14", "runtime.writable[0]", "over the app's own files", "/app/cache"}},
		{"writable workdir parent", minimal + "workdir: /srv/app\nruntime:\n  writable: [/srv]\n", problem{"5:14", "runtime.writable[0]", "over the app's own files", "e.g. /tmp"}},
		{"writable twice", minimal + "runtime:\n  writable: [/tmp, /tmp]\n", problem{"4:20", "runtime.writable[1]", "listed twice", "remove one"}},
		{"writable NUL", minimal + "runtime:\n  writable: [\"/t\\0\"]\n", problem{"4:14", "runtime.writable[0]", "U+0000, NUL", "printable"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Load("hardened.yaml", []byte(tc.src), WithLanguages("go"))
			if s != nil {
				t.Errorf("Load returned a spec with an error")
			}
			oneProblem(t, err, tc.want)
		})
	}
}

// Every problem of a test is reported at once, each at its own position.
func TestValidateTestAllAtOnce(t *testing.T) {
	src := minimal + "test:\n  http: {port: 70000, path: x}\n  env: {1A: b}\n  timeout: 5m\nruntime:\n  writable: [tmp]\n"
	_, err := Load("hardened.yaml", []byte(src), WithLanguages("go"))
	if err == nil {
		t.Fatal("loaded")
	}
	for _, want := range []string{"hardened.yaml:4:16: test.http.port", "hardened.yaml:4:29: test.http.path", "hardened.yaml:5:9: test.env.1A",
		"hardened.yaml:6:12: test.timeout", "hardened.yaml:8:14: runtime.writable[0]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
}

func TestValidTest(t *testing.T) {
	s, err := Load("hardened.yaml", []byte(minimal+"test:\n  http: {port: 8080, path: '/healthz?full=1'}\n  env: {DATABASE_URL: 'sqlite:///tmp/x.db'}\n  timeout: 2m\nruntime:\n  writable: [/tmp, /app/cache]\n"), WithLanguages("go"))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Test.TimeoutOrDefault(); got != 2*time.Minute {
		t.Errorf("timeout %v", got)
	}
	if s.Test.HTTP.PathOrDefault() != "/healthz?full=1" || (&HTTPTest{}).PathOrDefault() != "/" || (&Test{}).TimeoutOrDefault() != DefaultTestTimeout {
		t.Error("defaults")
	}
	if p := s.Pos("test"); p.Line != 4 {
		t.Errorf("test at %v", p)
	}
}

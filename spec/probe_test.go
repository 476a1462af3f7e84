package spec

import (
	"strings"
	"testing"
)

// Each class of bad healthcheck.http input is refused at its own position.
func TestValidateHealthcheckHTTPProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want problem
	}{
		{"test and http", minimal + "healthcheck:\n  test: [/app/server, -check]\n  http: {port: 8080}\n", problem{"4:3", "healthcheck", "both test and http", "keep http"}},
		{"http empty", minimal + "healthcheck:\n  http: {}\n", problem{"4:9", "healthcheck.http.port", "missing", "e.g. port: 8080"}},
		{"http null", minimal + "healthcheck:\n  http: ~\n", problem{"4:9", "healthcheck.http", "empty", "http: {port: 8080"}},
		{"port zero", minimal + "healthcheck:\n  http: {port: 0}\n", problem{"4:16", "healthcheck.http.port", "port 0 is out of range", "from 1 to 65535"}},
		{"port too big", minimal + "healthcheck:\n  http: {port: 65536}\n", problem{"4:16", "healthcheck.http.port", "port 65536 is out of range", "from 1 to 65535"}},
		{"port negative", minimal + "healthcheck:\n  http: {port: -1}\n", problem{"4:16", "healthcheck.http.port", "port -1 is out of range", "from 1 to 65535"}},
		{"port text", minimal + "healthcheck:\n  http: {port: http}\n", problem{"4:16", "healthcheck.http.port", "expected a whole number", "port: 3"}},
		{"path relative", minimal + "healthcheck:\n  http: {port: 8080, path: healthz}\n", problem{"4:28", "healthcheck.http.path", `"healthz" is not absolute`, "write path: /healthz"}},
		{"path URL", minimal + "healthcheck:\n  http: {port: 8080, path: 'http://example.com/'}\n", problem{"4:28", "healthcheck.http.path", "is not absolute", "write path: /"}},
		{"path space", minimal + "healthcheck:\n  http: {port: 8080, path: '/a b'}\n", problem{"4:28", "healthcheck.http.path", "not a URL path", "path: /healthz"}},
		{"path newline", minimal + "healthcheck:\n  http: {port: 8080, path: \"/a\\r\\nHost: x\"}\n", problem{"4:28", "healthcheck.http.path", "U+000D", "printable"}},
		{"unknown field", minimal + "healthcheck:\n  http: {port: 8080, host: example.com}\n", problem{"4:22", "healthcheck.http.host", "unknown field", "port, path"}},
		{"interval", minimal + "healthcheck:\n  http: {port: 8080}\n  interval: 30\n", problem{"5:13", "healthcheck.interval", "not a duration", "interval: 30s"}},
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

// Every problem of healthcheck.http is reported at once, with the rest of the spec's.
func TestValidateHealthcheckHTTPAllAtOnce(t *testing.T) {
	src := minimal + "healthcheck:\n  test: [/app/server]\n  http: {port: 70000, path: x}\n  retries: -1\ntest:\n  http: {port: 0}\n"
	_, err := Load("hardened.yaml", []byte(src), WithLanguages("go"))
	if err == nil {
		t.Fatal("loaded")
	}
	for _, want := range []string{"hardened.yaml:4:3: healthcheck: both", "hardened.yaml:5:16: healthcheck.http.port", "hardened.yaml:5:29: healthcheck.http.path",
		"hardened.yaml:6:12: healthcheck.retries", "hardened.yaml:8:16: test.http.port"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
}

// A valid probe loads with its port and path; the path defaults to /.
func TestHealthcheckHTTPLoads(t *testing.T) {
	s, err := Load("hardened.yaml", []byte(minimal+"healthcheck:\n  http: {port: 8080}\n  interval: 30s\n"), WithLanguages("go"))
	if err != nil {
		t.Fatal(err)
	}
	h := s.Healthcheck
	if h.HTTP == nil || h.HTTP.Port != 8080 || h.HTTP.PathOrDefault() != "/" || h.Test != nil || h.Interval != "30s" {
		t.Errorf("healthcheck = %+v", h)
	}
}

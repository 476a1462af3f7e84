package spec

import (
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// minimal is the smallest valid spec; cases append one line to it.
const minimal = "language: go\nartifacts: [./cmd/server]\n"

// problem is one expected Error, by where, which field, and words its message and hint contain.
type problem struct {
	at    string // "LINE:COL"
	field string
	msg   string
	hint  string
}

func (p problem) check(t *testing.T, e Error) {
	t.Helper()
	if got := fmt.Sprintf("%d:%d", e.Pos.Line, e.Pos.Col); got != p.at {
		t.Errorf("at %s, want %s: %v", got, p.at, e)
	}
	if e.Field != p.field {
		t.Errorf("field %q, want %q: %v", e.Field, p.field, e)
	}
	if !strings.Contains(e.Msg, p.msg) {
		t.Errorf("message %q does not contain %q", e.Msg, p.msg)
	}
	if !strings.Contains(e.Hint, p.hint) {
		t.Errorf("hint %q does not contain %q", e.Hint, p.hint)
	}
	if e.File != "hardened.yaml" {
		t.Errorf("file %q", e.File)
	}
	if p.field != "" && !strings.Contains(e.Error(), printable(p.field, false)+": ") {
		t.Errorf("%q does not name the field %s", e.Error(), p.field)
	}
}

// oneProblem asserts err is Errors holding exactly the expected problem.
func oneProblem(t *testing.T, err error, want problem) {
	t.Helper()
	es, ok := AsErrors(err)
	if !ok {
		t.Fatalf("error %v (%T) is not Errors", err, err)
	}
	if len(es) != 1 {
		t.Fatalf("want 1 problem, got %d:\n%v", len(es), es)
	}
	want.check(t, es[0])
}

func TestParseGood(t *testing.T) {
	data, err := os.ReadFile("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse("hardened.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	want := Spec{
		Language:   "go",
		Version:    "1.20",
		Artifacts:  []string{"./cmd/server", "./cmd/migrate"},
		CGO:        true,
		Base:       "cc",
		User:       "10001",
		Entrypoint: []string{"/app/server"},
		Cmd:        []string{"--port", "8080"},
		Workdir:    "/srv",
		Env:        map[string]string{"LOG_LEVEL": "info", "PORT": "8080", "DEBUG": "false"},
		Expose:     []string{"8080", "9090/tcp", "53/udp"},
		Labels:     map[string]string{"org.opencontainers.image.description": "An example service"},
		Healthcheck: &Healthcheck{
			Test: []string{"/app/server", "-healthcheck"}, Interval: "30s", Timeout: "5s", StartPeriod: "10s", Retries: 3,
		},
		Build: Build{
			Env:     map[string]string{"GOFLAGS": "-mod=vendor"},
			Ldflags: "-s -w -X main.version=1.0",
			Tags:    []string{"netgo", "osusergo"},
			Steps: []Step{
				{Name: "generate", Run: []string{"go", "generate", "./..."}},
				{Run: []string{"go", "vet", "./..."}},
			},
		},
	}
	if got := exported(s); !reflect.DeepEqual(got, want) {
		t.Errorf("parsed\n%+v\nwant\n%+v", got, want)
	}
	if s.File() != "hardened.yaml" {
		t.Errorf("File() = %q", s.File())
	}
	for path, at := range map[string]Pos{
		"":                      {2, 1},
		"language":              {2, 11},
		"version":               {3, 10},
		"artifacts":             {5, 3},
		"artifacts[1]":          {6, 5},
		"user":                  {9, 7},
		"entrypoint[0]":         {10, 14},
		"env.PORT":              {15, 9},
		"expose[2]":             {17, 26},
		"healthcheck.interval":  {22, 13},
		"healthcheck.test[1]":   {21, 25},
		"build.steps[1]":        {34, 7},
		"build.steps[1].run":    {34, 12},
		"build.steps[0].run[2]": {33, 31},
		"labels.org.opencontainers.image.description": {19, 41},
	} {
		if got := s.Pos(path); got != at {
			t.Errorf("Pos(%q) = %v, want %v", path, got, at)
		}
	}
	if err := s.Validate(WithLanguages("go")); err != nil {
		t.Errorf("good spec does not validate:\n%v", err)
	}
}

// exported is s without its positions, for comparing what was parsed.
func exported(s *Spec) Spec {
	c := *s
	c.pos, c.keyPos, c.bad, c.file = nil, nil, nil, ""
	return c
}

func TestRoundTrip(t *testing.T) {
	data, err := os.ReadFile("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse("hardened.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse("again.yaml", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !reflect.DeepEqual(exported(s), exported(again)) {
		t.Errorf("round trip changed the spec:\n%s", out)
	}
}

func TestParseScalarsKeepTheirText(t *testing.T) {
	s, err := Parse("hardened.yaml", []byte(minimal+"version: 1.20\nuser: 65532\nexpose: [8080, 0x50]\nenv: {A: 1.50, B: true, C: ~}\ncgo: True\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != "1.20" || s.User != "65532" || !s.CGO {
		t.Errorf("version %q user %q cgo %v", s.Version, s.User, s.CGO)
	}
	if !reflect.DeepEqual(s.Expose, []string{"8080", "0x50"}) {
		t.Errorf("expose %q", s.Expose)
	}
	if !reflect.DeepEqual(s.Env, map[string]string{"A": "1.50", "B": "true", "C": ""}) {
		t.Errorf("env %q", s.Env)
	}
}

func TestParseNullsAreUnset(t *testing.T) {
	s, err := Parse("hardened.yaml", []byte(minimal+"user:\nhealthcheck: ~\nbuild:\nentrypoint: null\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.User != "" || s.Healthcheck != nil || s.Entrypoint != nil {
		t.Errorf("nulls were not unset: %+v", exported(s))
	}
	if s.Pos("user") != (Pos{3, 6}) {
		t.Errorf("Pos(user) = %v", s.Pos("user"))
	}
}

func TestParseAnchorsAndMerges(t *testing.T) {
	src := minimal + `env: &common
  LOG_LEVEL: info
  MODE: prod
build:
  env:
    <<: *common
    MODE: build
  tags: &tags [netgo]
cmd: *tags
`
	s, err := Parse("hardened.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"LOG_LEVEL": "info", "MODE": "build"}; !reflect.DeepEqual(s.Build.Env, want) {
		t.Errorf("build.env = %v, want %v", s.Build.Env, want)
	}
	if !reflect.DeepEqual(s.Cmd, []string{"netgo"}) {
		t.Errorf("cmd = %v", s.Cmd)
	}
}

func TestParseProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want problem
	}{
		{"unknown field", minimal + "artifact: ./x\n", problem{"3:1", "artifact", "unknown field", `did you mean "artifacts"?`}},
		{"unknown nested field", minimal + "healthcheck:\n  test: [x]\n  intervall: 3s\n", problem{"5:3", "healthcheck.intervall", "unknown field", `did you mean "interval"?`}},
		{"docker word", minimal + "ports: [80]\n", problem{"3:1", "ports", "unknown field", `did you mean "expose"?`}},
		{"build field at top", minimal + "ldflags: -s\n", problem{"3:1", "ldflags", "unknown field", "belongs under build:"}},
		{"nothing close", minimal + "zzzzzzzz: 1\n", problem{"3:1", "zzzzzzzz", "unknown field", "known fields: language, version"}},
		{"duplicate key", minimal + "user: 1\nuser: 2\n", problem{"4:1", "user", "written twice (first at line 3)", "remove one"}},
		{"duplicate env key", minimal + "env:\n  A: 1\n  A: 2\n", problem{"5:3", "env.A", "written twice", "remove one"}},
		{"string for list", "language: go\nartifacts: ./cmd/server\n", problem{"2:12", "artifacts", "expected a list, got \"./cmd/server\"", `artifacts: ["./cmd/server"]`}},
		{"command string for list", minimal + "entrypoint: /app/server --port 80\n", problem{"3:13", "entrypoint", "expected a list", `entrypoint: ["/app/server", "--port", "80"]`}},
		{"map for list", minimal + "expose:\n  http: 80\n", problem{"4:3", "expose", "expected a list, got a mapping", `each starting with "- "`}},
		{"list for string", minimal + "user: [1, 2]\n", problem{"3:7", "user", "expected a single value, got a list", "user: 65532:65532"}},
		{"list for map", minimal + "env: [A=1]\n", problem{"3:6", "env", "expected a mapping of names to values, got a list", "NAME: value"}},
		{"string for struct", minimal + "healthcheck: /app/server\n", problem{"3:14", "healthcheck", "expected a mapping of fields", "test, http, interval"}},
		{"string for step", minimal + "build:\n  steps: [go vet]\n", problem{"4:11", "build.steps[0]", "expected a mapping of fields", `- run: ["go", "vet"]`}},
		{"map in list item", minimal + "cmd:\n  - a: b\n", problem{"4:5", "cmd[0]", "expected a single value, got a mapping", "write each item of cmd as a single value"}},
		{"bool not true/false", minimal + "cgo: yes\n", problem{"3:6", "cgo", `expected true or false, got "yes"`, "cgo: true or cgo: false"}},
		{"int not a number", minimal + "healthcheck:\n  test: [x]\n  retries: many\n", problem{"5:12", "healthcheck.retries", `expected a whole number, got "many"`, "retries: 3"}},
		{"int out of range", minimal + "healthcheck:\n  test: [x]\n  retries: 99999999999999999999\n", problem{"5:12", "healthcheck.retries", "out of range", "retries: 3"}},
		{"complex key", minimal + "? [a]\n: b\n", problem{"3:3", "", "a key must be a plain name", "name: value"}},
		{"alias cycle", minimal + "env: &e {A: 1, <<: *e}\n", problem{"3:20", "env", "inside its own anchor", "write the value out"}},
		{"bad merge", minimal + "env:\n  <<: [1]\n", problem{"4:8", "env", "<< must merge a mapping", "<<: *anchor"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("hardened.yaml", []byte(tc.src))
			if s != nil {
				t.Errorf("Parse returned a spec with an error")
			}
			oneProblem(t, err, tc.want)
		})
	}
}

func TestParseFileProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want problem
	}{
		{"empty", "", problem{"1:1", "", "the file is empty", "language: go"}},
		{"comment only", "# syntax=ghcr.io/hardenedbuild/hardened:1\n", problem{"1:1", "", "the file is empty", "artifacts: [./cmd/server]"}},
		{"null document", "~\n", problem{"1:1", "", "the file is empty", "language: go"}},
		{"list at top", "# syntax=x\n- go\n", problem{"2:1", "", "the top level must be a mapping of fields, got a list", "language: go"}},
		{"string at top", "go\n", problem{"1:1", "", `got "go"`, "language: go"}},
		{"syntax error with line", minimal + "user: a: b\n", problem{"3:1", "", "invalid YAML: mapping values are not allowed in this context", ""}},
		{"syntax error without line", "language: go: x\n", problem{"1:1", "", "invalid YAML: mapping values are not allowed", ""}},
		{"tab indent", "healthcheck:\n\ttest: [x]\n", problem{"2:1", "", "invalid YAML", "indent with spaces"}},
		{"second document", minimal + "---\nlanguage: go\n", problem{"4:1", "", "a second YAML document", "one spec per file"}},
		{"too large", minimal + "# " + strings.Repeat("x", MaxFileSize) + "\n", problem{"1:1", "", "the file is over the 1 MiB limit", "right file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("hardened.yaml", []byte(tc.src))
			oneProblem(t, err, tc.want)
		})
	}
}

// billionLaughs doubles nine times per level; expanded, it would be 9^9 strings.
const billionLaughs = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
language: go
artifacts: *i
`

// mergeBomb does the same through merge keys, which the decoder does expand recursively.
const mergeBomb = `a: &a {A: 1}
b: &b {<<: [*a,*a,*a,*a,*a,*a,*a,*a,*a]}
c: &c {<<: [*b,*b,*b,*b,*b,*b,*b,*b,*b]}
d: &d {<<: [*c,*c,*c,*c,*c,*c,*c,*c,*c]}
e: &e {<<: [*d,*d,*d,*d,*d,*d,*d,*d,*d]}
f: &f {<<: [*e,*e,*e,*e,*e,*e,*e,*e,*e]}
g: &g {<<: [*f,*f,*f,*f,*f,*f,*f,*f,*f]}
h: &h {<<: [*g,*g,*g,*g,*g,*g,*g,*g,*g]}
i: &i {<<: [*h,*h,*h,*h,*h,*h,*h,*h,*h]}
language: go
artifacts: [./cmd/server]
env: *i
`

func TestAliasBombsFailFast(t *testing.T) {
	for name, src := range map[string]string{"billion laughs": billionLaughs, "merge bomb": mergeBomb} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := Load("hardened.yaml", []byte(src))
			if err == nil {
				t.Fatal("no error")
			}
			if _, ok := AsErrors(err); !ok {
				t.Fatalf("%T is not Errors", err)
			}
			if d := time.Since(start); d > 20*time.Second { // a bound on hostile input, generous for a loaded machine
				t.Errorf("took %v", d)
			}
		})
	}
	_, err := Parse("hardened.yaml", []byte(mergeBomb))
	if !strings.Contains(fmt.Sprint(err), "aliases expand to too many values") {
		t.Errorf("merge bomb: %v", err)
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	data, err := os.ReadFile("testdata/many-problems.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Load("hardened.yaml", data, WithLanguages("go"))
	es, ok := AsErrors(err)
	if !ok {
		t.Fatalf("%v is not Errors", err)
	}
	for i := 1; i < len(es); i++ {
		if a, b := es[i-1].Pos, es[i].Pos; a.Line > b.Line || a.Line == b.Line && a.Col > b.Col {
			t.Errorf("not sorted: %v before %v", es[i-1], es[i])
		}
	}
	got := es.Error() + "\n"
	const golden = "testdata/many-problems.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("problems differ from %s (go test ./spec -run TestParseReportsEveryProblem -update rewrites it):\n%s", golden, got)
	}
}

// TestHostileSpecs: odd bytes and shapes give a bounded-time error at their position, or parse
// as they should (a byte-order mark, CRLF line ends).
func TestHostileSpecs(t *testing.T) {
	deepFlow := "env: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n"
	var deepMap strings.Builder
	for i := 0; i < 300; i++ {
		deepMap.WriteString(strings.Repeat(" ", i+1) + "a:\n")
	}
	for _, tc := range []struct {
		name, src string
		want      problem // zero: the spec loads
	}{
		{"byte-order mark", "\ufefflanguage: go\nartifacts: [./cmd/server]\n", problem{}},
		{"CRLF", "language: go\r\nartifacts: [./cmd/server]\r\nuser: root\r\n", problem{"3:7", "user", `"root" is uid 0`, "65532"}},
		{"not UTF-8", "language: go\nartifacts: [./cmd/\xff]\n", problem{"2:19", "", "byte 0xff is not UTF-8", "save the file as UTF-8"}},
		{"Latin-1 comment", "language: go\n# caf\xe9\nartifacts: [./cmd/server]\n", problem{"2:6", "", "byte 0xe9 is not UTF-8", "UTF-8"}},
		{"NUL", "language: go\nartifacts: [./cmd/server]\nuser: 1\x00\n", problem{"3:8", "", "control character U+0000", "printable text only"}},
		{"escape sequence", "language: go\x1b[31m\nartifacts: [./cmd/server]\n", problem{"1:13", "", "control character U+001B", "remove it"}},
		{"deep flow nesting", minimal + deepFlow, problem{"3:6", "env", "expected a mapping", "NAME: value"}},
		{"deep block nesting", minimal + "labels:\n" + deepMap.String(), problem{"5:3", "labels.a", "expected a single value, got a mapping", ""}},
		{"very long string", "language: go\nartifacts: [./" + strings.Repeat("a", 500000) + "]\n", problem{"2:13", "artifacts[0]", "over the 4096-byte limit", "shorten it"}},
		{"50 MB file", minimal + "#" + strings.Repeat("x", 50<<20) + "\n", problem{"1:1", "", "over the 1 MiB limit", "right file"}},
		{"numbers for strings", "language: 5\nartifacts: [./cmd/server]\nworkdir: 12\n", problem{"1:11", "language", `unknown language "5"`, "write one of"}},
		{"anchor across fields", "language: go\nartifacts: &a [./cmd/server]\ncmd: *a\n", problem{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := Load("hardened.yaml", []byte(tc.src), WithLanguages("go"))
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %v", d) // a bound, not a benchmark: hostile input must not take long
			}
			if tc.want == (problem{}) {
				if err != nil {
					t.Fatalf("want it to load: %v", err)
				}
				return
			}
			assertProblem(t, err, tc.want)
		})
	}
}

// assertProblem asserts err is Errors with the expected problem among them (at its position).
func assertProblem(t *testing.T, err error, want problem) {
	t.Helper()
	es, ok := AsErrors(err)
	if !ok {
		t.Fatalf("error %v (%T) is not Errors", err, err)
	}
	for _, e := range es {
		if fmt.Sprintf("%d:%d", e.Pos.Line, e.Pos.Col) == want.at {
			want.check(t, e)
			return
		}
	}
	t.Errorf("no problem at %s; got:\n%v", want.at, es)
}

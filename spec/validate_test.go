package spec

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestValidateProblems(t *testing.T) {
	const arts = "artifacts: [./cmd/server]\n"
	for _, tc := range []struct {
		name string
		src  string
		want problem
	}{
		// language
		{"language missing", "# syntax=x\n" + arts, problem{"2:1", "language", "missing", "write language: go"}},
		{"language empty", "language: ''\n" + arts, problem{"1:11", "language", "empty", "write language: go"}},
		{"language unknown", "language: rust\n" + arts, problem{"1:11", "language", `unknown language "rust"`, "write one of: go"}},
		// version
		{"go version with prefix", minimal + "version: go1.26\n", problem{"3:10", "version", `"go1.26" is not a Go version`, `version: "1.26" or "1.26.8"`}},
		{"go version too long", minimal + "version: 1.26.8.1\n", problem{"3:10", "version", "not a Go version", `"1.26.8"`}},
		// debian
		{"debian codename", minimal + "debian: bookworm\n", problem{"3:9", "debian", `unknown Debian release "bookworm"`, `write debian: "13"`}},
		{"debian 11", minimal + "debian: 11\n", problem{"3:9", "debian", `unknown Debian release "11"`, `or "12" for the end-of-life Debian 12 images`}},
		// artifacts
		{"artifacts missing", "language: go\n", problem{"1:1", "artifacts", "missing", "artifacts: [./cmd/server]"}},
		{"artifacts empty list", "language: go\nartifacts: []\n", problem{"2:12", "artifacts", "empty", "artifacts: [./cmd/server]"}},
		{"artifacts null", "language: go\nartifacts:\n", problem{"2:11", "artifacts", "empty", "artifacts: [./cmd/server]"}},
		{"artifact empty string", "language: go\nartifacts: ['']\n", problem{"2:13", "artifacts[0]", "empty path", "e.g. ./cmd/server"}},
		{"artifact absolute", "language: go\nartifacts:\n  - /src/cmd/server\n", problem{"3:5", "artifacts[0]", `"/src/cmd/server" is an absolute path`, "./src/cmd/server"}},
		{"artifact escapes", "language: go\nartifacts: [../x]\n", problem{"2:13", "artifacts[0]", "leaves the build context", "e.g. ./cmd/server"}},
		{"artifact escapes after clean", "language: go\nartifacts: [./a/../../x]\n", problem{"2:13", "artifacts[0]", "leaves the build context", "e.g. ./cmd/server"}},
		{"artifact NUL", "language: go\nartifacts: [\"./a\\0b\"]\n", problem{"2:13", "artifacts[0]", "NUL byte", "e.g. ./cmd/server"}},
		{"artifact newline", "language: go\nartifacts: [\"./a\\nb\"]\n", problem{"2:13", "artifacts[0]", "line break", "e.g. ./cmd/server"}},
		{"artifact pattern", "language: go\nartifacts: [./cmd/...]\n", problem{"2:13", "artifacts[0]", "package pattern", "./cmd/server"}},
		{"artifact import path", "language: go\nartifacts: [cmd/server]\n", problem{"2:13", "artifacts[0]", "import path", "./cmd/server"}},
		{"artifact names clash", "language: go\nartifacts: [./cmd/server, ./tools/server]\n", problem{"2:27", "artifacts[1]", "would both be /app/server", "directory of its own name"}},
		{"artifact twice", "language: go\nartifacts: [./cmd/server, ./cmd/server/]\n", problem{"2:27", "artifacts[1]", "listed twice (also artifacts[0])", "remove one"}},
		// user
		{"user root", minimal + "user: root\n", problem{"3:7", "user", `"root" is uid 0`, "user: 65532 (distroless nonroot)"}},
		{"user 0", minimal + "user: 0\n", problem{"3:7", "user", "uid 0 (root) is not allowed", "user: 65532 (distroless nonroot) or another non-zero uid"}},
		{"user 0:0", minimal + "user: '0:0'\n", problem{"3:7", "user", "uid 0 (root)", "non-zero uid"}},
		{"user x:0", minimal + "user: x:0\n", problem{"3:7", "user", `uid "x" is not a number`, "numeric uid"}},
		{"user name", minimal + "user: nobody\n", problem{"3:7", "user", `uid "nobody" is not a number`, "65534 for nobody"}},
		{"group name", minimal + "user: 1000:staff\n", problem{"3:7", "user", `gid "staff" is not a number`, "numeric gid"}},
		{"user negative", minimal + "user: -1\n", problem{"3:7", "user", "uid -1 is negative", "from 1 to 2147483647"}},
		{"user too big", minimal + "user: 2147483648\n", problem{"3:7", "user", "uid 2147483648 is out of range", "from 1 to 2147483647"}},
		{"user three parts", minimal + "user: 1:2:3\n", problem{"3:7", "user", "not uid or uid:gid", "user: 65532:65532"}},
		{"user empty gid", minimal + "user: '1000:'\n", problem{"3:7", "user", "has no gid", "user: 65532:65532"}},
		// base and cgo
		{"base unknown", minimal + "base: alpine\n", problem{"3:7", "base", `unknown base "alpine"`, "static, base, cc, scratch"}},
		{"cgo on static", minimal + "cgo: true\nbase: static\n", problem{"4:7", "base", "no C library", "base: base or base: cc"}},
		// exec form
		{"entrypoint empty list", minimal + "entrypoint: []\n", problem{"3:13", "entrypoint", "empty list", "leave entrypoint out"}},
		{"entrypoint empty string", minimal + "entrypoint: [/app/server, '']\n", problem{"3:27", "entrypoint[1]", "empty string", "remove the item"}},
		{"entrypoint command line", minimal + "entrypoint: [\"/app/server --port 80\"]\n", problem{"3:14", "entrypoint[0]", "whole command line", `entrypoint: ["/app/server", "--port", "80"]`}},
		{"cmd empty string", minimal + "cmd: ['']\n", problem{"3:7", "cmd[0]", "empty string", "remove the item"}},
		{"healthcheck test missing", minimal + "healthcheck:\n  interval: 30s\n", problem{"4:3", "healthcheck.test", "missing", "test: ["}},
		{"healthcheck test empty", minimal + "healthcheck:\n  test: []\n", problem{"4:9", "healthcheck.test", "empty list", "test: ["}},
		{"healthcheck test CMD", minimal + "healthcheck:\n  test: [CMD, /app/server]\n", problem{"4:10", "healthcheck.test[0]", "CMD is added by the build", "write the command only"}},
		{"healthcheck test empty string", minimal + "healthcheck:\n  test: [/app/server, '']\n", problem{"4:23", "healthcheck.test[1]", "empty string", "remove the item"}},
		{"step run missing", minimal + "build:\n  steps:\n    - name: gen\n", problem{"5:7", "build.steps[0].run", "missing", `run: ["go", "generate", "./..."]`}},
		{"step run empty", minimal + "build:\n  steps:\n    - run: []\n", problem{"5:12", "build.steps[0].run", "empty list", `run: ["go", "generate", "./..."]`}},
		// shell steps and build args
		{"step run and sh", minimal + "build:\n  steps:\n    - {run: [make], sh: make}\n", problem{"5:25", "build.steps[0].sh", "either run (exec form) or sh", "remove run or sh"}},
		{"step sh empty", minimal + "build:\n  steps:\n    - sh: ''\n", problem{"5:11", "build.steps[0].sh", "empty script", `sh: "make generate"`}},
		{"build arg name", minimal + "build:\n  args: {1X: a}\n", problem{"4:10", "build.args.1X", "not a valid build arg name", "e.g. VERSION"}},
		{"build arg proxy", minimal + "build:\n  args: {HTTPS_PROXY: x}\n", problem{"4:10", "build.args.HTTPS_PROXY", "proxy setting", "remove it"}},
		{"build arg epoch", minimal + "build:\n  args: {SOURCE_DATE_EPOCH: '0'}\n", problem{"4:10", "build.args.SOURCE_DATE_EPOCH", "read by the frontend itself", "works without declaring it"}},
		{"build arg secret", minimal + "build:\n  args: {API_TOKEN: ''}\n", problem{"4:10", "build.args.API_TOKEN", "looks like a secret", "secrets:"}},
		{"build arg also env", minimal + "build:\n  env: {VERSION: '1'}\n  args: {VERSION: dev}\n", problem{"5:10", "build.args.VERSION", "also in build.env", "keep one"}},
		// build secrets and SSH
		{"token in build env", minimal + "build:\n  env: {NPM_TOKEN: abc}\n", problem{"4:9", "build.env.NPM_TOKEN", "looks like a secret", "--secret id=npm_token,env=NPM_TOKEN"}},
		{"secret id missing", minimal + "build:\n  secrets:\n    - target: /root/.netrc\n", problem{"5:7", "build.secrets[0].id", "missing", "id: netrc"}},
		{"secret id odd", minimal + "build:\n  secrets:\n    - id: 'a b'\n", problem{"5:11", "build.secrets[0].id", `"a b" is not a secret id`, "id: npmrc"}},
		{"secret twice", minimal + "build:\n  secrets:\n    - id: netrc\n    - id: netrc\n", problem{"6:11", "build.secrets[1].id", "listed twice", "once"}},
		{"secret target relative", minimal + "build:\n  secrets:\n    - {id: netrc, target: root/.netrc}\n", problem{"5:27", "build.secrets[0].target", "not absolute", "target: /root/.netrc"}},
		{"secret target in src", minimal + "build:\n  secrets:\n    - {id: netrc, target: /src/.netrc}\n", problem{"5:27", "build.secrets[0].target", "inside the build's own files", "target: /run/secrets/netrc"}},
		{"secret target in out", minimal + "build:\n  secrets:\n    - {id: tok, target: /out/tok}\n", problem{"5:25", "build.secrets[0].target", "inside the build's own files", "outside /src, /out, /hardened, /deps and /app"}},
		{"secret target in the builder's layout", minimal + "build:\n  secrets:\n    - {id: tok, target: /hardened/out/tok}\n", problem{"5:25", "build.secrets[0].target", "inside the build's own files", "outside /src"}},
		{"secret target shared", minimal + "build:\n  secrets:\n    - {id: a, target: /run/x}\n    - {id: b, target: /run/x}\n", problem{"6:23", "build.secrets[1].target", "two secrets are mounted", "its own target"}},
		{"secret env and target", minimal + "build:\n  secrets:\n    - {id: a, env: TOKEN, target: /run/x}\n", problem{"5:35", "build.secrets[0].target", "either a file (target) or a variable (env)", "remove target or env"}},
		{"secret env name", minimal + "build:\n  secrets:\n    - {id: a, env: 1TOKEN}\n", problem{"5:20", "build.secrets[0].env", "not a valid variable name", "env: NPM_TOKEN"}},
		{"ssh id odd", minimal + "build:\n  ssh: ['de fault']\n", problem{"4:9", "build.ssh[0]", "is not an SSH id", "ssh: [default]"}},
		{"ssh twice", minimal + "build:\n  ssh: [default, default]\n", problem{"4:18", "build.ssh[1]", "listed twice", "once"}},
		{"step run empty string", minimal + "build:\n  steps:\n    - run: [go, '']\n", problem{"5:17", "build.steps[0].run[1]", "empty string", "remove the item"}},
		{"step run command line", minimal + "build:\n  steps:\n    - run: [go vet ./...]\n", problem{"5:13", "build.steps[0].run[0]", "whole command line", `run: ["go", "vet", "./..."]`}},
		// workdir
		{"workdir relative", minimal + "workdir: srv\n", problem{"3:10", "workdir", `"srv" is not absolute`, "workdir: /srv"}},
		{"workdir unclean", minimal + "workdir: /srv/../app/\n", problem{"3:10", "workdir", "not a clean path", "workdir: /app"}},
		// env
		{"env bad name", minimal + "env:\n  LOG-LEVEL: info\n", problem{"4:3", "env.LOG-LEVEL", "not a valid variable name", "letters, digits and _"}},
		{"env secret", minimal + "env:\n  Db_Password: x\n", problem{"4:3", "env.Db_Password", "looks like a secret", "build secret"}},
		{"env api key", minimal + "env:\n  STRIPE_API_KEY: x\n", problem{"4:3", "env.STRIPE_API_KEY", "looks like a secret", "inject it when the container runs"}},
		{"build env bad name", minimal + "build:\n  env:\n    9LIVES: x\n", problem{"5:5", "build.env.9LIVES", "not a valid variable name", "not starting with a digit"}},
		// expose
		{"expose zero", minimal + "expose: [0]\n", problem{"3:10", "expose[0]", "port 0 is out of range", "from 1 to 65535"}},
		{"expose too big", minimal + "expose: [65536]\n", problem{"3:10", "expose[0]", "port 65536 is out of range", "from 1 to 65535"}},
		{"expose protocol", minimal + "expose: [53/sctp]\n", problem{"3:10", "expose[0]", `"53/sctp" is not a port`, "53/udp"}},
		{"expose range", minimal + "expose: [8000-8010]\n", problem{"3:10", "expose[0]", "is not a port", "e.g. 8080"}},
		// healthcheck
		{"interval not a duration", minimal + "healthcheck:\n  test: [x]\n  interval: 30\n", problem{"5:13", "healthcheck.interval", `"30" is not a duration`, "interval: 30s"}},
		{"timeout zero", minimal + "healthcheck:\n  test: [x]\n  timeout: 0s\n", problem{"5:12", "healthcheck.timeout", "not positive", "timeout: 30s"}},
		{"start period negative", minimal + "healthcheck:\n  test: [x]\n  start_period: -5s\n", problem{"5:17", "healthcheck.start_period", "not positive", "start_period: 30s"}},
		{"interval too short", minimal + "healthcheck:\n  test: [x]\n  interval: 10us\n", problem{"5:13", "healthcheck.interval", "under 1ms", "30s"}},
		{"retries negative", minimal + "healthcheck:\n  test: [x]\n  retries: -1\n", problem{"5:12", "healthcheck.retries", "-1 is negative", "retries: 3"}},
		// labels
		{"label empty key", minimal + "labels:\n  '': x\n", problem{"4:3", "labels", "empty label key", "org.opencontainers.image.description"}},
		{"user -0", minimal + "user: -0\n", problem{"3:7", "user", "uid -0 is 0 (root) written with a minus sign, which is not allowed", "non-zero uid"}},
		{"user -000", minimal + "user: '-000'\n", problem{"3:7", "user", "uid -000 is 0 (root)", "non-zero uid"}},
		{"gid -0", minimal + "user: '1000:-0'\n", problem{"3:7", "user", "gid -0 is 0 written with a minus sign", "write the gid without a sign: 1000:0"}},
		{"uid plus", minimal + "user: '+1000'\n", problem{"3:7", "user", "uid +1000 has a sign", "without the +"}},
		{"gid negative", minimal + "user: '1000:-5'\n", problem{"3:7", "user", "gid -5 is negative", "a gid from 0 to 2147483647"}},
		{"gid too big", minimal + "user: '1000:2147483648'\n", problem{"3:7", "user", "gid 2147483648 is out of range", "a gid from 0 to 2147483647"}},
		// labels: the build's own, and what a terminal or an editor would not show as written
		{"label variant", minimal + "labels:\n  io.hardenedbuild.variant: debug\n", problem{"4:3", "labels.io.hardenedbuild.variant", "a label the build sets itself", "your own domain"}},
		{"label runtime libs", minimal + "labels:\n  io.github.hardenedbuild.runtime.libs: x\n", problem{"4:3", "labels.io.github.hardenedbuild.runtime.libs", "sets itself", "remove it"}},
		{"label other ours", minimal + "labels:\n  io.github.hardenedbuild.check: passed\n", problem{"4:3", "labels.io.github.hardenedbuild.check", "sets itself", "remove it"}},
		{"label base name", minimal + "labels:\n  org.opencontainers.image.base.name: x\n", problem{"4:3", "labels.org.opencontainers.image.base.name", "sets itself", "remove it"}},
		{"label base digest", minimal + "\nlabels: {a: b, org.opencontainers.image.base.digest: 'sha256:0'}\n", problem{"4:16", "labels.org.opencontainers.image.base.digest", "sets itself", "remove it"}},
		{"label key newline", minimal + "labels:\n  \"a\\nb\": x\n", problem{"4:3", "labels.a\nb", `the key "a\nb" contains a control character (U+000A, line break)`, "printable"}},
		{"label key ESC", minimal + "labels:\n  \"a\\e[31mb\": x\n", problem{"4:3", "labels.a\x1b[31mb", "U+001B, ESC", "printable"}},
		{"label key bidi", minimal + "labels:\n  \"a\u202eb\": x\n", problem{"4:3", "labels.a\u202eb", "Unicode bidi control U+202E", "printable"}},
		{"label value newline", minimal + "labels:\n  a: \"x\\ny\"\n", problem{"4:6", "labels.a", "the value contains a control character (U+000A, line break)", "one line"}},
		{"label value NUL", minimal + "labels:\n  a: \"x\\0y\"\n", problem{"4:6", "labels.a", "U+0000, NUL", "one line"}},
		{"label value C1", minimal + "labels:\n  a: \"x\\x9by\"\n", problem{"4:6", "labels.a", "control character (U+009B)", "one line"}},
		{"label value isolate", minimal + "labels:\n  a: \"x\u2066y\"\n", problem{"4:6", "labels.a", "bidi control U+2066", "one line"}},
		{"env name ESC", minimal + "env:\n  \"A\\eB\": x\n", problem{"4:3", "env.A\x1bB", `the name "A\x1bB" contains a control character (U+001B, ESC`, "letters, digits and _"}},
		{"env name bidi", minimal + "env:\n  \"A\u2069\": x\n", problem{"4:3", "env.A\u2069", "bidi control U+2069", "letters, digits and _"}},
		{"build env name NUL", minimal + "build:\n  env:\n    \"A\\0\": x\n", problem{"5:5", "build.env.A\x00", "U+0000, NUL", "letters, digits and _"}},
		{"artifact ESC", "language: go\nartifacts: [\"./a\\eb\"]\n", problem{"2:13", "artifacts[0]", `"./a\x1bb" contains a control character (U+001B, ESC`, "printable"}},
		{"artifact bidi", "language: go\nartifacts: [\"./a\u202db\"]\n", problem{"2:13", "artifacts[0]", "bidi control U+202D", "printable"}},
		{"artifact C1", "language: go\nartifacts: [\"./a\\x85b\"]\n", problem{"2:13", "artifacts[0]", "control character (U+0085)", "printable"}},
		// build
		{"tag empty", minimal + "build:\n  tags: ['']\n", problem{"4:10", "build.tags[0]", "empty tag", "remove the item"}},
		{"tags in one", minimal + "build:\n  tags: ['netgo,osusergo']\n", problem{"4:10", "build.tags[0]", "several tags", "one tag per item"}},
		// packages
		{"package empty", minimal + "build:\n  packages: ['']\n", problem{"4:14", "build.packages[0]", "empty package name", "e.g. libsqlite3-dev"}},
		{"package option", minimal + "build:\n  packages: [--allow-unauthenticated]\n", problem{"4:14", "build.packages[0]", "is not a Debian package name", "lower-case letters"}},
		{"package shell", minimal + "build:\n  packages: ['x;rm']\n", problem{"4:14", "build.packages[0]", `"x;rm" is not a Debian package name`, "e.g. libsqlite3-dev"}},
		{"package upper case", minimal + "runtime:\n  libs: [LibPQ5]\n", problem{"4:10", "runtime.libs[0]", "upper-case letters", "write libpq5"}},
		{"package pinned", minimal + "runtime:\n  libs: [libpq5=15.5-0+deb12u1]\n", problem{"4:10", "runtime.libs[0]", "pins a version", "write the package name alone: libpq5"}},
		{"packages in one", minimal + "runtime:\n  libs: ['libpq5, libsqlite3-0']\n", problem{"4:10", "runtime.libs[0]", "several packages", `libs: ["libpq5", "libsqlite3-0"]`}},
		{"package one letter", minimal + "runtime:\n  libs: [x]\n", problem{"4:10", "runtime.libs[0]", "not a Debian package name", "at least two long"}},
		{"package twice", minimal + "runtime:\n  libs: [libpq5, libpq5]\n", problem{"4:18", "runtime.libs[1]", "listed twice (also runtime.libs[0])", "remove one"}},
		{"libs on static", minimal + "base: static\nruntime:\n  libs: [libpq5]\n", problem{"3:7", "base", "no C library and no package records", "leave base out"}},
		{"libs on scratch", minimal + "base: scratch\nruntime:\n  libs: [libpq5]\n", problem{"3:7", "base", "Debian's libraries cannot run", "base: base or base: cc"}},
		{"libs not a list", minimal + "runtime:\n  libs: libpq5\n", problem{"4:9", "runtime.libs", "expected a list", `libs: ["libpq5"]`}},
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

// A key the terminal would act on is shown escaped: the message must not become the escape.
func TestProblemsRenderEscaped(t *testing.T) {
	_, err := Load("hardened.yaml", []byte(minimal+"labels:\n  \"a\\e[2Jb\u202e\": x\nenv:\n  \"B\\e]0;x\\a\": y\n"), WithLanguages("go"))
	if err == nil {
		t.Fatal("spec with control characters in keys loaded")
	}
	out := err.Error()
	if _, bad := unsafeRune(strings.ReplaceAll(out, "\n", "")); bad {
		t.Errorf("rendered problems hold a control character: %q", out)
	}
	for _, want := range []string{`hardened.yaml:4:3: labels.a\x1b[2Jb\u202e: the key "a\x1b[2Jb\u202e" contains`, `hardened.yaml:6:3: env.B\x1b]0;x\a: the name`} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}

func TestValidateGenericLanguage(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want string
	}{
		{"language: zig\nartifacts: [.]\nversion: 0.13.0\n", ""},
		{"language: zig\nartifacts: [src/main]\n", ""},
		{"language: zig\nartifacts: [.]\nversion: latest/stable\n", "hardened.yaml:3:10: version: \"latest/stable\" is not a plain version"},
		{"language: zig\nartifacts: [.]\nversion: 'a b'\n", "not a plain version"},
	} {
		// Without WithLanguages any non-empty language passes, and go's rules do not apply.
		_, err := Load("hardened.yaml", []byte(tc.src))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.src, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: got %v, want %q", tc.src, err, tc.want)
		}
	}
}

func TestValidateWithoutPositions(t *testing.T) {
	// A spec built in Go has no file and no positions; messages still name the field.
	s := &Spec{Language: "go", Artifacts: []string{"./cmd/server"}, User: "root"}
	err := s.Validate()
	if err == nil || err.Error() != `user: "root" is uid 0 (root), which is not allowed; `+rootHint {
		t.Errorf("got %v", err)
	}
	if err := (&Spec{Language: "go", Artifacts: []string{"./cmd/server"}}).Validate(WithLanguages("go")); err != nil {
		t.Errorf("minimal spec: %v", err)
	}
	if err := (*Spec)(nil).Validate(); err == nil {
		t.Error("nil spec validated")
	}
}

func TestLoadDoesNotRepeatParseProblems(t *testing.T) {
	// artifacts has the wrong shape, so it is empty after Parse; Validate must not add "missing".
	src := "language: go\nartifacts: ./cmd/server\nuser: 0\nhealthcheck: [x]\n? [k]\n: v\n"
	_, err := Load("hardened.yaml", []byte(src), WithLanguages("go"))
	es, ok := AsErrors(err)
	if !ok || len(es) != 4 {
		t.Fatalf("want 4 problems, got %v", err)
	}
	for i, want := range []string{"2:12: artifacts: expected a list", "3:7: user: uid 0", "4:14: healthcheck: expected a mapping", "5:3: a key must be a plain name"} {
		if !strings.Contains(es[i].Error(), want) {
			t.Errorf("problem %d = %q, want %q", i, es[i], want)
		}
	}
}

func TestSecretNames(t *testing.T) {
	for name, secret := range map[string]bool{
		"GITHUB_TOKEN": true, "token": true, "AWS_SECRET_ACCESS_KEY": true, "DB_PASSWD": true, "my_api_key": true,
		"TLS_PRIVATE_KEY": true, "POSTGRES_PASSWORD_FILE": false, "TOKEN_PATH": false, "SECRETS_DIR": false,
		"LOG_LEVEL": false, "PORT": false, "KEYCLOAK_URL": false,
	} {
		if got := looksSecret(name); got != secret {
			t.Errorf("looksSecret(%q) = %v, want %v", name, got, secret)
		}
	}
}

func TestWithCheckPlacesProblemsAtTheirField(t *testing.T) {
	check := func(s *Spec) Errors {
		return Errors{{Field: "build.script", Msg: "not for " + s.Language, Hint: "remove it"}}
	}
	_, err := Load("hardened.yaml", []byte("language: go\nartifacts: [./a]\nbuild:\n  script: x\n"),
		WithLanguages("go"), WithCheck(check))
	if err == nil || err.Error() != "hardened.yaml:4:11: build.script: not for go; remove it" {
		t.Errorf("error = %v", err)
	}
	// An unknown language is the one problem: its checks cannot judge the rest.
	_, err = Load("hardened.yaml", []byte("language: cobol\nartifacts: [./a]\n"), WithLanguages("go"), WithCheck(check))
	if err == nil || strings.Contains(err.Error(), "build.script") {
		t.Errorf("error = %v", err)
	}
}

// A check's problem about a secret-looking value stays Sensitive once placed, so the frontend shows no
// lines of the spec around it.
func TestWithCheckKeepsSensitive(t *testing.T) {
	check := func(*Spec) Errors {
		return Errors{{Field: "env.APP_VALUE", Msg: "looks like a secret", Sensitive: true}, {Field: "artifacts", Msg: "plain"}}
	}
	_, err := Load("hardened.yaml", []byte("language: go\nartifacts: [./a]\nenv:\n  APP_VALUE: x\n"), WithLanguages("go"), WithCheck(check))
	es, ok := AsErrors(err)
	if !ok || len(es) != 2 {
		t.Fatalf("error = %v", err)
	}
	for _, e := range es {
		if want := e.Field == "env.APP_VALUE"; e.Sensitive != want {
			t.Errorf("%s: Sensitive = %v, want %v", e.Field, e.Sensitive, want)
		}
	}
	if !Sensitive(err) {
		t.Error("Sensitive(err) is false")
	}
}

func TestWithBuildArgs(t *testing.T) {
	s, err := Load("hardened.yaml", []byte(minimal+"build:\n  env: {GOFLAGS: -mod=mod}\n  args: {VERSION: dev, CHANNEL: stable}\n"), WithLanguages("go"))
	if err != nil {
		t.Fatal(err)
	}
	got := s.WithBuildArgs(map[string]string{"VERSION": "1.2.3", "UNDECLARED": "x"}).Build.Env
	want := map[string]string{"GOFLAGS": "-mod=mod", "VERSION": "1.2.3", "CHANNEL": "stable"}
	if len(got) != len(want) {
		t.Errorf("env %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if _, ok := s.Build.Env["VERSION"]; ok {
		t.Error("WithBuildArgs changed the spec it was called on")
	}
}

func TestDebianRelease(t *testing.T) {
	for yaml, want := range map[string]string{"": "13", "debian: \"13\"\n": "13", "debian: 12\n": "12"} {
		s, err := Load("hardened.yaml", []byte(minimal+yaml), WithLanguages("go"))
		if err != nil {
			t.Fatal(err)
		}
		if got := s.DebianRelease(); got != want {
			t.Errorf("%q: release %s, want %s", yaml, got, want)
		}
	}
}

// Generated large specs answer in bounded time and size: a list over MaxItems is one problem at its
// field, and a spec with hundreds of problems shows MaxProblems of them and how many more there are.
func TestLargeSpecsAreBounded(t *testing.T) {
	list := func(n int, item func(int) string) string {
		var b strings.Builder
		for i := range n {
			b.WriteString("  - " + item(i) + "\n")
		}
		return b.String()
	}
	rel := func(i int) string { return fmt.Sprintf("./m%d", i) }
	start := time.Now()
	_, err := Load("hardened.yaml", []byte("language: static\nartifacts:\n"+list(80000, rel)), WithLanguages("static"))
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("80,000 artifacts took %v", d)
	}
	oneProblem(t, err, problem{"3:3", "artifacts", "80000 items, over the limit of 1000", "split the build into several specs"})

	if _, err := Load("hardened.yaml", []byte("language: static\nartifacts:\n"+list(MaxItems, rel)), WithLanguages("static")); err != nil {
		t.Errorf("%d artifacts: %v", MaxItems, err)
	}
	var env strings.Builder
	for i := range MaxItems + 1 {
		fmt.Fprintf(&env, "  V%d: x\n", i)
	}
	_, err = Load("hardened.yaml", []byte(minimal+"env:\n"+env.String()), WithLanguages("go"))
	oneProblem(t, err, problem{"4:3", "env", "1001 items, over the limit of 1000", "several specs"})

	// 600 absolute paths: 600 problems, of which the first 100 are shown.
	_, err = Load("hardened.yaml", []byte("language: static\nartifacts:\n"+list(600, func(i int) string { return fmt.Sprintf("/m%d", i) })), WithLanguages("static"))
	lines := strings.Split(fmt.Sprint(err), "\n")
	if len(lines) != MaxProblems+1 {
		t.Fatalf("%d lines, want %d", len(lines), MaxProblems+1)
	}
	if !strings.HasPrefix(lines[0], `hardened.yaml:3:5: artifacts[0]: "/m0" is an absolute path`) || !strings.HasPrefix(lines[99], "hardened.yaml:102:5: artifacts[99]:") {
		t.Errorf("first and last shown: %q, %q", lines[0], lines[99])
	}
	if want := "and 500 more problems not shown; fix the ones above and run again"; lines[100] != want {
		t.Errorf("last line %q, want %q", lines[100], want)
	}
}

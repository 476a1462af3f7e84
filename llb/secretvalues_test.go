package llb_test

import (
	"strings"
	"testing"

	"github.com/hardenedbuild/hardened/lang/registry"
	"github.com/hardenedbuild/hardened/spec"
)

// Fake credentials in the formats HX-SEC-ENV knows; none is a real key.
const (
	fakeGitHub = "ghp_0123456789abcdefghijABCDEFGHIJ012345"
	fakeAWS    = "AKIAQWERTYUIOPASDFGH"
)

// The build refuses what hardened check's HX-SEC-ENV fails, at the value's line, never printing it;
// build values are refused by the same rules, pointing to build.secrets.
func TestSecretLookingValuesAreRefused(t *testing.T) {
	const head = "language: go\nartifacts: [./cmd/server]\n"
	for _, tc := range []struct {
		name, yaml, want string // want: "" for no error, else "LINE:COL: field"
	}{
		{"github token in env", head + "env:\n  GH: " + fakeGitHub + "\n", "4:7: env.GH"},
		{"aws key id in env", head + "env:\n  KEY_ID: " + fakeAWS + "\n", "4:11: env.KEY_ID"},
		{"url with a password in env", head + "env:\n  DB: postgres://app:hunter22@db:5432/app\n", "4:7: env.DB"},
		{"plain env", head + "env:\n  DB: postgres://db:5432/app\n  MODE: prod\n", ""},
		{"waived", head + "env:\n  DB: postgres://app:demo@db/app\nwaivers:\n  - {id: HX-SEC-ENV, path: config.Env.DB, reason: the compose demo's password}\n", ""},
		{"waived for another variable", head + "env:\n  DB: postgres://app:demo@db/app\nwaivers:\n  - {id: HX-SEC-ENV, path: config.Env.OTHER, reason: demo}\n", "4:7: env.DB"},
		{"expired waiver", head + "env:\n  DB: postgres://app:demo@db/app\nwaivers:\n  - {id: HX-SEC-ENV, path: config.Env.DB, reason: demo, expires: 2001-01-01}\n", "4:7: env.DB"},
		{"build.env value", head + "build:\n  env:\n    GOPRIVATE_AUTH: " + fakeGitHub + "\n", "5:21: build.env.GOPRIVATE_AUTH"},
		{"build.args default", head + "build:\n  args:\n    REPO: https://ci:" + "s3cretpass@git.example.com/x\n", "5:11: build.args.REPO"},
		{"ldflags value", head + "build:\n  ldflags: -s -w -X main.key=" + fakeAWS + "\n", "4:12: build.ldflags"},
		{"ldflags variable named a secret", head + "build:\n  ldflags: -s -w -X main.apiKey=abcdef123456\n", "4:12: build.ldflags"},
		{"ldflags version", head + "build:\n  ldflags: -s -w -X main.version=1.2.3\n", ""},
		{"test.env value", head + "test:\n  run: [--version]\n  env:\n    GH: " + fakeGitHub + "\n", "6:9: test.env.GH"},
		{"test.env throwaway password", head + "test:\n  run: [--version]\n  env:\n    DB_PASSWORD: test\n    DATABASE_URL: sqlite:///tmp/x.db\n", ""},
		{"build waiver does not apply", head + "build:\n  env:\n    T: " + fakeGitHub + "\nwaivers:\n  - {id: HX-SEC-ENV, reason: demo}\n", "5:8: build.env.T"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := spec.Load("hardened.yaml", []byte(tc.yaml), registry.SpecOptions()...)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want an error at %s", tc.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, "hardened.yaml:"+tc.want+":") {
				t.Errorf("error = %s\nwant one at hardened.yaml:%s", msg, tc.want)
			}
			for _, secret := range []string{fakeGitHub, fakeAWS, "hunter22", "s3cretpass", "abcdef123456"} {
				if strings.Contains(msg, secret) {
					t.Errorf("the error prints the value %q: %s", secret, msg)
				}
			}
			if !strings.Contains(msg, "HX-SEC-ENV") && !strings.Contains(msg, "build.secrets") && !strings.Contains(msg, "secrets:") && !strings.Contains(msg, "at run time") && !strings.Contains(msg, "throwaway") {
				t.Errorf("the error names neither the check nor build secrets: %s", msg)
			}
		})
	}
}

// A waiver names a check the build makes, says why, and dates its end properly.
func TestWaiversAreChecked(t *testing.T) {
	const head = "language: go\nartifacts: [./cmd/server]\n"
	for _, tc := range []struct{ yaml, want string }{
		{head + "waivers:\n  - {id: HX-MIN-SHELL, reason: x}\n", "4:10: waivers[0].id"},
		{head + "waivers:\n  - {id: HX-SEC-ENV}\n", "waivers[0].reason"},
		{head + "waivers:\n  - {id: HX-SEC-ENV, reason: x, expires: soon}\n", "waivers[0].expires"},
	} {
		_, err := spec.Load("hardened.yaml", []byte(tc.yaml), registry.SpecOptions()...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error = %v, want %s", tc.yaml, err, tc.want)
		}
	}
}

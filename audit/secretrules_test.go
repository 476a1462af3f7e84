package audit

import (
	"strings"
	"testing"
)

func TestFindTokens(t *testing.T) {
	x := func(n int) string { return strings.Repeat("x7Q", n)[:n] }
	body := strings.Repeat("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", 3)
	for _, tc := range []struct {
		text string
		want string // "" for no finding
	}{
		{"-----BEGIN RSA PRIVATE KEY-----\n" + body + "\n-----END RSA PRIVATE KEY-----", "private-key at line 1: -----BEGIN RSA PRIVATE KEY-----"},
		{"key=\"-----BEGIN PRIVATE KEY-----\\n" + body + "\\n-----END PRIVATE KEY-----\"", "private-key at line 1: -----BEGIN PRIVATE KEY-----"},
		{`key="-----BEGIN PRIVATE KEY-----\nXXXX\nXXXX\n-----END PRIVATE KEY-----"`, ""},
		{"line one\naws_access_key_id = AKIA" + strings.ToUpper(x(16)), "aws-access-key-id at line 2: AKIA****"},
		{"AWS_SECRET_ACCESS_KEY=" + x(40), "aws-secret-access-key at line 1: **** (62 chars)"},
		{"token: ghp_" + x(36), "github-token at line 1: ghp_****"},
		{"github_pat_" + x(82), "github-fine-grained-token"},
		{"glpat-" + x(20), "gitlab-token"},
		{"xoxb-" + x(30), "slack-token"},
		{"sk_live_" + x(24), "stripe-key"},
		{"AIza" + x(35), "google-api-key"},
		{"//registry.npmjs.org/:_authToken=npm_" + x(36), "npm-token"},
		{"password = pypi-AgEIcHlwaS5vcmc" + x(60), "pypi-token"},
		{"OPENAI_API_KEY=sk-proj-" + x(24) + "T3BlbkFJ" + x(24), "openai-key"},
		{"the AKIA prefix alone, ghp_ too short, sk_live_ nothing", ""},
		{"binary\x00AKIA" + strings.ToUpper(x(16)), ""},
	} {
		got := strings.Join(findTokens([]byte(tc.text)), "; ")
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("findTokens(%.40q) = %q, want %q", tc.text, got, tc.want)
		}
		if strings.Contains(got, x(16)) {
			t.Errorf("a finding prints the secret: %q", got)
		}
	}
}

func TestSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"DB_PASSWORD": true, "GITHUB_TOKEN": true, "AWS_SECRET_ACCESS_KEY": true, "API_KEY": true, "apikey": true,
		"STRIPE_SECRET": true, "CLIENT_SECRET": true, "PRIVATE_KEY": true, "NPM_TOKEN": true, "MYSQL_ROOT_PASSWORD": true,
		"GPG_KEY": false, "PASSWORD_FILE": false, "TOKEN_URL": false, "SECRET_KEY_PATH": false, "PATH": false,
		"PWD": false, "KEYRING": false, "BYPASS": false, "TOKENIZER_MODEL": false, "PASSWORD": true,
	} {
		if got := secretName(name, "value"); got != want {
			t.Errorf("secretName(%s) = %v, want %v", name, got, want)
		}
	}
	if secretName("DB_PASSWORD", "") || secretName("DB_PASSWORD", "/run/secrets/db") {
		t.Error("an empty value or a path is not a secret")
	}
}

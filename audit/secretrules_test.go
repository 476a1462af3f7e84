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
		{`"PrivateKey": "-----BEGIN DSA PRIVATE KEY-----<a very long private key string>-----END DSA PRIVATE KEY-----",` +
			"\n\"Arn\": \"arn:aws:iam::123456789012:server-certificate/company/servercerts/ProdServerCert\"", ""},
		{"  $ cat > rsa.key <<EOF\n  > -----BEGIN RSA PRIVATE KEY-----\n  > " + body + "\n", "private-key at line 2"},
		{"const key = \"-----BEGIN RSA PRIVATE KEY-----\\n\" +\n\t\"" + body + "\"", "private-key at line 1"},
		{"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,3F17F5316E2BAC89\n\n" + body, "private-key at line 1"},
		{"-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\nlQOYBF" + body, "private-key at line 1: -----BEGIN PGP PRIVATE KEY BLOCK-----"},
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

// TestPublishedExamples: the credentials AWS documents as examples are no finding, in the forms
// the @aws-sdk type files and docs write them; keys that only look like them still are.
func TestPublishedExamples(t *testing.T) {
	x := func(n int) string { return strings.Repeat("Q7x", n)[:n] }
	for _, tc := range []struct {
		text string
		want string // "" for no finding
	}{
		{" * accessKeyId: \"AKIAIOSFODNN7EXAMPLE\",\n * secretAccessKey: \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"", ""},
		{"[default]\naws_access_key_id=AKIAIOSFODNN7EXAMPLE\naws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", ""},
		{"[user1]\naws_access_key_id=AKIAI44QH8DHBEXAMPLE\naws_secret_access_key = je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY\n", ""},
		{"\"AccessKeyId\": \"ASIAIOSFODNN7EXAMPLE\"", ""}, // STS output in the docs: their EXAMPLE convention
		{"aws_access_key_id=AKIAIOSFODNN7EXAMPLF", "aws-access-key-id at line 1: AKIA****"},
		{"aws_access_key_id=AKIA" + strings.ToUpper(x(16)), "aws-access-key-id at line 1"},
		{"aws_secret_access_key=" + x(30) + "EXAMPLEKEY", "aws-secret-access-key at line 1"},
		{"aws_secret_access_key=" + x(40), "aws-secret-access-key at line 1"},
		{"example: AKIAIOSFODNN7EXAMPLE\nreal: AKIA" + strings.ToUpper(x(16)), "aws-access-key-id at line 2"},
	} {
		got := strings.Join(findTokens([]byte(tc.text)), "; ")
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("findTokens(%.60q) = %q, want %q", tc.text, got, tc.want)
		}
		if v := strings.Join(findValueSecrets(tc.text), "; "); (tc.want == "") != (v == "") {
			t.Errorf("findValueSecrets(%.60q) = %q, want a finding: %v", tc.text, v, tc.want != "")
		}
	}
}

func TestContentSearched(t *testing.T) {
	for p, want := range map[string]bool{
		"/app/server.js": true, "/app/keys.go": true, "/app/gomod/x/keys_test.go": false, "/app/gomod/x/options_test.go.tmpl": false,
		"/app/pkg/testdata/key.pem": false, "/app/README.md": false, "/usr/share/doc/x/copyright": false, "/app/latest_tests.go": true,
	} {
		if got := contentSearched(p); got != want {
			t.Errorf("contentSearched(%s) = %v, want %v", p, got, want)
		}
	}
}

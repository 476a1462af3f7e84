package audit

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
)

const (
	// maxScan bounds the files whose content is searched for secrets.
	maxScan = 1 << 20
	// sniffBinary is how much of a file decides it is binary (a NUL byte) and not searched.
	sniffBinary = 8000
	// maxHitsPerRule bounds how many matches of one rule one file reports.
	maxHitsPerRule = 3
)

// tokenRule finds a well-known secret format in text; keywords are literal strings one of which
// every match contains, so most files are ruled out without running the expression.
type tokenRule struct {
	id       string
	keywords []string
	re       *regexp.Regexp
	// show is how many leading characters of a match the report may print.
	show int
}

// showHeader makes a rule print its match up to the end of its first ----- line, and no further.
const showHeader = -1

// tokenRules follow the formats the issuers document (and trivy's built-in rules detect).
var tokenRules = []tokenRule{
	// A key block needs a body right after its header (past blanks, escaped newlines, quotes,
	// concatenation, comment and heredoc marks, and PEM or PGP header lines): documentation shows
	// XXXX or <a private key string> there.
	{"private-key", []string{"PRIVATE KEY"}, regexp.MustCompile(`-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----` +
		`(?:\s|\\[nr]|["'` + "`" + `+,>#*/;])*(?:[A-Za-z-]{2,20}: [^\n\\]*(?:\s|\\[nr])+)*[A-Za-z0-9+/]{40}`), showHeader},
	{"aws-access-key-id", []string{"AKIA", "ASIA", "ABIA", "ACCA"}, regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b`), 4},
	{"aws-secret-access-key", []string{"aws_secret", "AWS_SECRET", "aws-secret", "AwsSecret"}, regexp.MustCompile(`(?i)aws_?-?secret_?-?(?:access_?-?)?key["']?\s*[:=]\s*["']?[A-Za-z0-9/+=]{40}\b`), 0},
	{"github-token", []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}, regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9]{36}\b`), 4},
	{"github-fine-grained-token", []string{"github_pat_"}, regexp.MustCompile(`\bgithub_pat_[A-Za-z0-9_]{82}\b`), 11},
	{"gitlab-token", []string{"glpat-"}, regexp.MustCompile(`\bglpat-[A-Za-z0-9_-]{20}\b`), 6},
	{"slack-token", []string{"xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"}, regexp.MustCompile(`\bxox[baprs]-[0-9A-Za-z-]{10,72}`), 5},
	{"slack-webhook", []string{"hooks.slack.com"}, regexp.MustCompile(`https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+`), 34},
	{"stripe-key", []string{"sk_live_", "rk_live_"}, regexp.MustCompile(`\b[rs]k_live_[0-9A-Za-z]{24,99}\b`), 8},
	{"google-api-key", []string{"AIza"}, regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}\b`), 4},
	{"npm-token", []string{"npm_"}, regexp.MustCompile(`\bnpm_[A-Za-z0-9]{36}\b`), 4},
	{"pypi-token", []string{"pypi-AgEIcHlwaS5vcmc"}, regexp.MustCompile(`pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}`), 5},
	{"openai-key", []string{"T3BlbkFJ"}, regexp.MustCompile(`\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}\b`), 3},
}

// urlCredentials finds user:password@ in URLs; it is used on config values, where a connection
// string is a secret, not on file contents, where it is mostly documentation.
var urlCredentials = regexp.MustCompile(`\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@"']+:([^/\s@"']+)@[^\s"']+`)

// Credential files: by name, by extension, and by path ending; gated ones need content too.
var (
	secretFileNames = map[string]string{
		"id_rsa": "an SSH private key", "id_dsa": "an SSH private key", "id_ecdsa": "an SSH private key",
		"id_ed25519": "an SSH private key", ".git-credentials": "a git credential store", ".netrc": "netrc credentials",
		".pgpass": "PostgreSQL passwords", "credentials.json": "a credentials file", "credential.json": "a credentials file",
		"credentials.xml": "a credentials file", "password.txt": "a password file", "secret_token.rb": "a Rails secret token",
		".env": "a dotenv file", ".htpasswd": "an htpasswd file", ".s3cfg": "s3cmd credentials", ".boto": "boto credentials",
	}
	secretFileExtensions = map[string]string{
		".ovpn": "an OpenVPN profile", ".p12": "a PKCS#12 key store", ".pfx": "a PKCS#12 key store",
		".jks": "a Java key store", ".keystore": "a key store", ".kdbx": "a KeePass database",
		".keychain": "a keychain", ".agilekeychain": "a keychain", ".psafe3": "a Password Safe database",
		".private_key": "a private key", ".secret": "a secret file", ".bek": "a BitLocker key",
		".tpm": "a TPM key", ".fve": "a BitLocker volume key", ".cscfg": "an Azure service configuration",
		".rdp": "a remote desktop profile", ".pcap": "a packet capture",
	}
	secretFilePaths = []struct {
		suffix, what string
		gate         *regexp.Regexp // nil: the name alone is enough
	}{
		{"/.aws/credentials", "AWS credentials", nil},
		{"/.config/gcloud/credentials.db", "gcloud credentials", nil},
		{"/.config/gcloud/application_default_credentials.json", "gcloud credentials", nil},
		{"/.azure/accessTokens.json", "Azure CLI tokens", nil},
		{"/.docker/config.json", "registry credentials", regexp.MustCompile(`"(?:auth|identitytoken)"\s*:\s*"[^"]{4,}"`)},
		{"/.npmrc", "npm credentials", regexp.MustCompile(`(?m)_(?:authToken|auth|password)\s*=\s*\S+`)},
		{"/.pypirc", "PyPI credentials", regexp.MustCompile(`(?m)^\s*password\s*[=:]\s*\S+`)},
		{"/.kube/config", "Kubernetes credentials", regexp.MustCompile(`(?m)^\s*(?:token|client-key-data|password)\s*:\s*\S+`)},
		{"/.git/config", "a git remote with credentials", regexp.MustCompile(`://[^/\s:@]+:[^/\s@]+@`)},
	}
	// contentAllowed are where key-looking text is documentation, test data or toolchains' own.
	contentAllowed = []string{
		"/usr/share/doc/", "/usr/share/man/", "/usr/share/info/", "/usr/include/", "/usr/local/go/",
		"/usr/lib/go/", "/usr/share/go-", "/testdata/", "/test/", "/tests/", ".dist-info/",
	}
	contentAllowedExt = map[string]bool{".md": true, ".markdown": true, ".rst": true}
	// contentAllowedNames are test sources by their language's convention (Go never builds a
	// _test.go file into a binary); their keys are fixtures.
	contentAllowedNames = []string{"_test.go"}
)

type hitKind int

const (
	hitName hitKind = iota
	hitContent
)

// secretHit is a secret found in a file of a layer (layer >= 0) or of the merged filesystem.
type secretHit struct {
	path   string
	layer  int
	kind   hitKind
	detail string
}

type scanWhat int

const (
	scanNames scanWhat = 1 << iota
	scanContents
)

// scanSecrets looks at one file: its name (and, for gated names, its content) and, when asked,
// its content. content is called at most once; it returns nil for a file too big to search.
func scanSecrets(p string, size int64, content func() ([]byte, error), what scanWhat) ([]secretHit, error) {
	var hits []secretHit
	var data []byte
	loaded := false
	load := func() ([]byte, error) {
		if !loaded {
			loaded = true
			d, err := content()
			if err != nil {
				return nil, err
			}
			data = d
		}
		return data, nil
	}
	if what&scanNames != 0 {
		name := path.Base(p)
		what := secretFileNames[name]
		if what == "" {
			what = secretFileExtensions[strings.ToLower(path.Ext(name))]
		}
		if what != "" && !strings.HasPrefix(p, "/usr/share/doc/") {
			hits = append(hits, secretHit{path: p, layer: -1, kind: hitName, detail: what})
		}
		for _, r := range secretFilePaths {
			if !strings.HasSuffix(p, r.suffix) {
				continue
			}
			if r.gate != nil {
				d, err := load()
				if err != nil {
					return nil, err
				}
				if d == nil || !r.gate.Match(d) {
					continue
				}
			}
			hits = append(hits, secretHit{path: p, layer: -1, kind: hitName, detail: r.what})
		}
	}
	if what&scanContents != 0 && size <= maxScan && contentSearched(p) {
		d, err := load()
		if err != nil {
			return nil, err
		}
		for _, m := range findTokens(d) {
			hits = append(hits, secretHit{path: p, layer: -1, kind: hitContent, detail: m})
		}
	}
	return hits, nil
}

func contentSearched(p string) bool {
	return !hasAnyPrefix(p, contentAllowed) && !containsAny(p, contentAllowed) && !contentAllowedExt[strings.ToLower(path.Ext(p))] &&
		!containsAny(path.Base(p), contentAllowedNames)
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// findTokens lists the secrets in a text, redacted, with their line numbers; binary data has none.
func findTokens(d []byte) []string {
	if d == nil || bytes.IndexByte(d[:min(len(d), sniffBinary)], 0) >= 0 {
		return nil
	}
	var out []string
	for _, r := range tokenRules {
		if !containsKeyword(d, r.keywords) {
			continue
		}
		for _, loc := range r.re.FindAllIndex(d, maxHitsPerRule) {
			if publishedExampleMatch(r.id, string(d[loc[0]:loc[1]])) {
				continue
			}
			line := bytes.Count(d[:loc[0]], []byte("\n")) + 1
			out = append(out, fmt.Sprintf("%s at line %d: %s", r.id, line, redact(string(d[loc[0]:loc[1]]), r.show)))
		}
	}
	return out
}

// findValueSecrets lists the secrets in a config value: token formats and URL credentials.
func findValueSecrets(v string) []string {
	var out []string
	for _, r := range tokenRules {
		if !containsKeyword([]byte(v), r.keywords) {
			continue
		}
		for _, m := range r.re.FindAllString(v, maxHitsPerRule) {
			if publishedExampleMatch(r.id, m) {
				continue
			}
			out = append(out, fmt.Sprintf("%s: %s", r.id, redact(m, r.show)))
		}
	}
	for _, m := range urlCredentials.FindAllStringSubmatchIndex(v, maxHitsPerRule) {
		out = append(out, fmt.Sprintf("url-credentials: %s****%s", v[m[0]:m[2]], v[m[3]:m[1]]))
	}
	return out
}

func containsKeyword(d []byte, keywords []string) bool {
	for _, k := range keywords {
		if bytes.Contains(d, []byte(k)) {
			return true
		}
	}
	return false
}

// redact keeps the first show characters of a secret and says how long it was.
func redact(s string, show int) string {
	if show == showHeader {
		if i := strings.Index(s[min(5, len(s)):], "-----"); i >= 0 {
			return s[:i+10]
		}
		show = 0
	}
	if show >= len(s) {
		return s // the rule's match is no secret itself (a PEM header)
	}
	return fmt.Sprintf("%s**** (%d chars)", s[:show], len(s))
}

// secretNames are ENV, ARG and label names that hold secrets by their name.
var (
	secretNames       = regexp.MustCompile(`(?i)(?:^|_|\.|-)(?:PASSWD|PASSWORD|PASSPHRASE|SECRET|TOKEN|CREDENTIALS?|(?:API|ACCESS|SECRET|PRIVATE|CLIENT|AUTH|SIGNING|ENCRYPTION|MASTER)_?KEY)(?:$|_|\.|-)`)
	secretNameAllowed = regexp.MustCompile(`(?i)^(?:GPG_KEYS?)$|_(?:FILE|PATH|DIR|URL|URI|ENDPOINT|HEADER|TYPE|TTL|LENGTH|ENABLED)$`)
)

// secretName says whether a variable's name says it holds a secret (and its value is one).
func secretName(name, value string) bool {
	return value != "" && !strings.HasPrefix(value, "/") && secretNames.MatchString(name) && !secretNameAllowed.MatchString(name)
}

// readerContent reads a layer file for the scanner, once, at most maxScan bytes.
func readerContent(r io.Reader, size int64) func() ([]byte, error) {
	return func() ([]byte, error) {
		if r == nil || size > maxScan {
			return nil, nil
		}
		d, err := io.ReadAll(io.LimitReader(r, maxScan+1))
		if err != nil {
			return nil, err
		}
		if len(d) > maxScan {
			return nil, nil
		}
		return d, nil
	}
}

package audit_test

import (
	"strings"
	"testing"

	"github.com/hardenedbuild/hardened/audit"
	. "github.com/hardenedbuild/hardened/internal/imagetest"
)

// TestSDKExamplesAreNoSecret is issue 23's Node.js service: the @aws-sdk type files carry the
// credentials AWS documents as examples, which pass HX-SEC-CONTENT; a real-looking key beside
// them still fails it.
func TestSDKExamplesAreNoSecret(t *testing.T) {
	types := "/app/node_modules/@aws-sdk/credential-provider-ini/dist-types/fromIni.d.ts"
	doc := "/**\n * @example\n * ```ini\n * [default]\n * aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n" +
		" * aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n * ```\n */\nexport declare const fromIni: () => void;\n"
	dirs := add(Dir("/app/node_modules", 0o755), Dir("/app/node_modules/@aws-sdk", 0o755), Dir("/app/node_modules/@aws-sdk/credential-provider-ini", 0o755),
		Dir("/app/node_modules/@aws-sdk/credential-provider-ini/dist-types", 0o755), Reg(types, 0o644, doc))
	examples := fixture{app: dirs}
	if res := result(t, examples.run(t, audit.WithChecks("HX-SEC-CONTENT")), "HX-SEC-CONTENT"); res.Status != audit.StatusPass {
		t.Errorf("AWS's documented examples: %s %s %v", res.Status, res.Message, res.Evidence)
	}
	real := fixture{app: then(dirs, add(Reg("/app/config.js", 0o644, "module.exports = { accessKeyId: 'AKIA"+strings.ToUpper(fakeToken("", 16))+"' }\n")))}
	res := result(t, real.run(t, audit.WithChecks("HX-SEC-CONTENT")), "HX-SEC-CONTENT")
	if res.Status != audit.StatusFail || len(res.Evidence) != 1 || !strings.HasPrefix(res.Evidence[0].String(), "/app/config.js: aws-access-key-id at line 1") {
		t.Errorf("a real-looking key beside them: %s %s %v", res.Status, res.Message, res.Evidence)
	}
}

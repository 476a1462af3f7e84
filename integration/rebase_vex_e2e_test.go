//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/hardenedbuild/hardened/sign"
)

// signWithVEX signs the image as built with a VEX statement the build proves (gcc-14, only in
// the builder stage), for rebase to carry over.
func signWithVEX(t *testing.T, ctx context.Context, hardened, ref, key string) {
	t.Helper()
	ignore := filepath.Join(t.TempDir(), "ignore.yaml")
	writeFile(t, ignore, "vulnerabilities:\n  - id: CVE-2024-0001\n    package: gcc-14\n    reason: the compiler stays in the builder\n")
	runHardened(t, ctx, hardened, "sign", ref, "--key", key, "--vex", ignore)
}

// assertCarriedVEX wants, among the rebased platform image's signatures, an OpenVEX document
// the key signed about that image by digest, with the build's gcc-14 statement kept (the new
// base has no gcc-14 either).
func assertCarriedVEX(t *testing.T, ctx context.Context, out, rebased, pubPath string) {
	t.Helper()
	if !strings.Contains(out, "VEX carried to") {
		t.Errorf("rebase did not say it carried the VEX:\n%s", out)
	}
	pub, err := sign.LoadPublicKey(pubPath, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	img := platformImage(t, rebased)
	d, err := name.NewDigest(img)
	if err != nil {
		t.Fatal(err)
	}
	found, err := sign.FindStatements(ctx, d.Context(), "", d.DigestStr(), "https://openvex.dev/ns/", pub)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		var st struct {
			Predicate struct {
				Tooling    string `json:"tooling"`
				Statements []struct {
					Vulnerability struct {
						Name string `json:"name"`
					} `json:"vulnerability"`
					Products []struct {
						ID string `json:"@id"`
					} `json:"products"`
					Justification string `json:"justification"`
				} `json:"statements"`
			} `json:"predicate"`
		}
		if !f.Signed || json.Unmarshal(f.Statement, &st) != nil || st.Predicate.Tooling != "hardened rebase" {
			continue
		}
		for _, s := range st.Predicate.Statements {
			if s.Vulnerability.Name == "CVE-2024-0001" && s.Justification == "component_not_present" &&
				len(s.Products) == 1 && strings.Contains(s.Products[0].ID, url.QueryEscape(d.DigestStr())) {
				return
			}
		}
	}
	t.Errorf("no signed VEX about %s carries the build's gcc-14 statement: %d statement(s) found", img, len(found))
}

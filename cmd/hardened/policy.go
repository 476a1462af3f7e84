package main

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/sign"
)

const policyUsage = `Usage: hardened policy --key cosign.pub --for kyverno|policy-controller|cosign [--images GLOB] [--name NAME] [--out DIR --image REF]
Prints an admission policy that admits an image only with a check report signed by the key whose gate
passed, with no high check failing, HX-USER-ROOT passed, no expired waiver and validUntil ahead.
With --out, writes the policy and the fixtures the tool's own test command reads into DIR.
`

// Policy tools of --for.
const (
	forKyverno          = "kyverno"
	forPolicyController = "policy-controller"
	forCosign           = "cosign"
)

// policyFiles is what a tool reads: the policy and, with --out, its test fixtures and command.
type policyFiles struct {
	files   map[string]string // name in DIR -> content
	policy  string            // the file that holds the policy
	command []string          // the tool's test command, DIR-relative
}

// runPolicy writes an admission policy for the check report (docs/signing.md).
func runPolicy(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("hardened policy", stderr)
	key := fs.String("key", "", "")
	tool := fs.String("for", "", "")
	images := fs.String("images", "", "")
	name := fs.String("name", "hardened-check-report", "")
	out := fs.String("out", "", "")
	image := fs.String("image", "", "")
	pos, code, ok := parseInterspersed(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if err := policyArgs(pos, *key, *tool, *images, *out, *image); err != nil {
		fmt.Fprintf(stderr, "hardened policy: %v\n%s", err, policyUsage)
		return exitUsage
	}
	pub, err := sign.LoadPublicKey(*key, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "hardened policy: %v\n", err)
		return exitUsage
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		fmt.Fprintf(stderr, "hardened policy: %v\n", err)
		return exitUsage
	}
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	p := map[string]func(policyInput) policyFiles{
		forKyverno: kyvernoPolicy, forPolicyController: policyControllerPolicy, forCosign: cosignPolicy,
	}[*tool](policyInput{name: *name, images: *images, keyPEM: keyPEM, image: *image, keyFile: filepath.Base(*key)})
	if *out == "" {
		fmt.Fprint(stdout, p.files[p.policy])
		return exitPass
	}
	if err := writePolicyFiles(*out, p); err != nil {
		fmt.Fprintf(stderr, "hardened policy: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "wrote %s; test it with: (cd %s && %s)\n", filepath.Join(*out, p.policy), *out, strings.Join(p.command, " "))
	return exitPass
}

// policyArgs checks the flags together, naming what to write instead.
func policyArgs(pos []string, key, tool, images, out, image string) error {
	switch {
	case len(pos) != 0:
		return fmt.Errorf("unexpected argument %q; the images the policy covers go in --images", pos[0])
	case key == "":
		return fmt.Errorf("want --key, the public key the images are signed with (cosign.pub)")
	case tool != forKyverno && tool != forPolicyController && tool != forCosign:
		return fmt.Errorf("--for %q: write kyverno, policy-controller or cosign", tool)
	case tool != forCosign && images == "":
		return fmt.Errorf("want --images, the image references the policy covers, e.g. registry.example.com/team/*")
	case out != "" && image == "":
		return fmt.Errorf("--out writes the test fixtures, which name a signed image: add --image REF")
	}
	return nil
}

// writePolicyFiles writes the policy and fixtures into dir, which may exist.
func writePolicyFiles(dir string, p policyFiles) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, content := range p.files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// policyInput is what every policy is made of.
type policyInput struct {
	name, images, keyPEM, image, keyFile string
}

// indent prefixes every line of s but empty ones with n spaces, for a YAML block scalar.
func indent(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = strings.Repeat(" ", n) + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// The conditions every policy holds the signed check report to, in the report's own terms.
const policyConditions = `gate.passed is true; summary.failing.high is 0; the HX-USER-ROOT result is pass;
no waiver has status expired; validUntil, when present, is after now`

// kyvernoPolicy is a ClusterPolicy verifyImages rule (kyverno.io/v1) reading the legacy .att
// attestations: Kyverno's attestation conditions are JMESPath over the predicate.
func kyvernoPolicy(in policyInput) policyFiles {
	policy := fmt.Sprintf(`# Admits %s only with a check report signed by the key below, where
# %s.
# Written by hardened policy --for kyverno (docs/signing.md).
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: %s
spec:
  webhookTimeoutSeconds: 30
  background: false
  rules:
    - name: signed-check-report
      match:
        any:
          - resources:
              kinds: [Pod]
      verifyImages:
        - imageReferences:
            - %q
          failureAction: Enforce
          mutateDigest: true
          verifyDigest: true
          required: true
          attestors:
            - entries:
                - keys:
                    publicKeys: |-
%s                    rekor:
                      ignoreTlog: true
                    ctlog:
                      ignoreSCT: true
          attestations:
            - type: %s
              attestors:
                - entries:
                    - keys:
                        publicKeys: |-
%s                        rekor:
                          ignoreTlog: true
                        ctlog:
                          ignoreSCT: true
              conditions:
                - all:
                    - key: "{{ gate.passed }}"
                      operator: Equals
                      value: true
                      message: the signed check report's gate did not pass
                    - key: "{{ summary.failing.high }}"
                      operator: Equals
                      value: 0
                      message: a high-severity check failed in the signed check report
                    - key: "{{ results[?id == 'HX-USER-ROOT'] | [0].status }}"
                      operator: Equals
                      value: pass
                      message: "HX-USER-ROOT did not pass: no proof the image runs as a non-root user"
                    - key: "{{ waivers || `+"`[]`"+` | [?status == 'expired'] | length(@) }}"
                      operator: Equals
                      value: 0
                      message: a waiver of the signed check report has expired; renew it and rebuild
                    - key: "{{ time_after(validUntil || '9999-12-31T00:00:00Z', time_now_utc()) }}"
                      operator: Equals
                      value: true
                      message: the signed check report's validUntil has passed; rebuild
`, in.images, strings.ReplaceAll(policyConditions, "\n", "\n# "), in.name, in.images, indent(in.keyPEM, 22),
		audit.PredicateType, indent(in.keyPEM, 26))
	pod := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: signed
spec:
  containers:
    - name: app
      image: %s
`, in.image)
	test := fmt.Sprintf(`apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata:
  name: %s
policies:
  - policy.yaml
resources:
  - pod.yaml
results:
  - policy: %s
    rule: signed-check-report
    resources: [signed]
    kind: Pod
    result: pass
`, in.name, in.name)
	return policyFiles{
		files:   map[string]string{"policy.yaml": policy, "pod.yaml": pod, "kyverno-test.yaml": test},
		policy:  "policy.yaml",
		command: []string{"kyverno", "test", "."},
	}
}

// regoConditions is the Rego body cosign (package signature, rule allow) evaluates on the
// statement: a boolean, the only form cosign 3 reads.
func regoConditions(rule, predicate string) string {
	return fmt.Sprintf(`import rego.v1

default %[1]s := false

# %[3]s.
%[1]s if {
	%[2]s.gate.passed == true
	%[2]s.summary.failing.high == 0
	some r in %[2]s.results
	r.id == "HX-USER-ROOT"
	r.status == "pass"
	count([w | some w in object.get(%[2]s, "waivers", []); w.status == "expired"]) == 0
	valid_until_ahead
}

valid_until_ahead if not %[2]s.validUntil

valid_until_ahead if time.parse_rfc3339_ns(%[2]s.validUntil) > time.now_ns()
`, rule, predicate, strings.ReplaceAll(policyConditions, "\n", "\n# "))
}

// policyControllerRego holds the report to policyConditions as the other policies do, but its
// isCompliant is policy-controller's set of result objects, so a refusal names every condition
// that failed instead of only "not compliant" (cosign 3 reads a boolean allow only).
const policyControllerRego = `import rego.v1

# gate.passed is true; summary.failing.high is 0; the HX-USER-ROOT result is pass;
# no waiver has status expired; validUntil, when present, is after now.
isCompliant contains {"result": count(violations) == 0, "error": concat("; ", sort(violations)), "warning": ""}

report := input.predicate

violations contains "the signed check report's gate did not pass" if not report.gate.passed == true

violations contains "a high-severity check failed in the signed check report" if not report.summary.failing.high == 0

violations contains "HX-USER-ROOT did not pass: no proof the image runs as a non-root user" if not user_not_root

violations contains sprintf("waiver %s expired on %s; renew it and rebuild", [w.id, w.expires]) if {
	some w in object.get(report, "waivers", [])
	w.status == "expired"
}

violations contains sprintf("the signed check report is valid until %s, which has passed; rebuild", [report.validUntil]) if {
	not valid_until_ahead
}

user_not_root if {
	some r in report.results
	r.id == "HX-USER-ROOT"
	r.status == "pass"
}

valid_until_ahead if not report.validUntil

valid_until_ahead if time.parse_rfc3339_ns(report.validUntil) > time.now_ns()
`

// policyControllerPolicy is a ClusterImagePolicy (policy.sigstore.dev/v1beta1) with a key
// authority and no ctlog, so no transparency log is consulted, and a Rego attestation policy.
func policyControllerPolicy(in policyInput) policyFiles {
	rego := "package sigstore\n\n" + policyControllerRego
	policy := fmt.Sprintf(`# Admits %s only with a check report signed by the key below.
# Written by hardened policy --for policy-controller (docs/signing.md).
apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: %s
spec:
  images:
    - glob: %q
  authorities:
    - name: hardened-key
      key:
        hashAlgorithm: sha256
        data: |
%s      attestations:
        - name: check-report
          predicateType: %s
          policy:
            type: rego
            data: |
%s`, in.images, in.name, in.images, indent(in.keyPEM, 10), audit.PredicateType, indent(rego, 14))
	return policyFiles{
		files:   map[string]string{"policy.yaml": policy},
		policy:  "policy.yaml",
		command: []string{"policy-tester", "--policy", "policy.yaml", "--image", in.image},
	}
}

// cosignPolicy is a Rego policy for cosign verify-attestation --policy, offline with the key.
func cosignPolicy(in policyInput) policyFiles {
	rego := "# Written by hardened policy --for cosign (docs/signing.md).\npackage signature\n\n" +
		regoConditions("allow", "input.predicate")
	return policyFiles{
		files:  map[string]string{"policy.rego": rego},
		policy: "policy.rego",
		command: []string{"cosign", "verify-attestation", "--key", in.keyFile, "--insecure-ignore-tlog",
			"--new-bundle-format=false", "--type", audit.PredicateType, "--policy", "policy.rego", in.image},
	}
}

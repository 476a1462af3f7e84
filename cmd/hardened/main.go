// Command hardened checks hardened.yaml files without building them, prints the JSON Schema
// editors use, audits any container image against the hardening checks, pins a build's
// images (lock), and helps adopt and leave the tool (init, k8s, dockerfile).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hardenedbuild/hardened/lang/registry"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

const usage = `hardened checks hardened.yaml build specs and audits container images.

Usage:
  hardened lint [FILE...]        check each spec (default hardened.yaml); exit 1 on problems
  hardened schema                print the JSON Schema of hardened.yaml
  hardened check [FLAGS] IMAGE   audit an image against the hardening checks (docs/check.md)
  hardened lock [--check] [DIR]  pin every image the build uses in hardened.lock (via docker buildx)
  hardened init [--force] [DIR]  write DIR/hardened.yaml for the detected language
  hardened k8s [-f FILE] [--name N] [--image REF] [--securitycontext-only]
                                 print a Deployment the restricted Pod Security Standard admits
  hardened dockerfile [-f FILE] [--lock FILE]
                                 print the equivalent multi-stage Dockerfile (docs/cli.md)
  hardened sign IMAGE --key KEY  sign the index, images and attestations (docs/security.md)
  hardened verify IMAGE --key PUB [--recheck] [--fail-on SEVERITY]
                                 verify offline; hold the signed report to today
  hardened policy --key PUB --for kyverno|policy-controller|cosign [--images GLOB] [--out DIR --image REF]
                                 print an admission policy for the signed report (docs/signing.md)
  hardened rebase IMAGE --base REF@DIGEST [--tag REF] [--lock FILE] [--key KEY]
                                 move a static app onto a new base digest, re-attested (docs/cli.md)
  hardened help                  print this help

IMAGE is a registry reference (docker://REF to force it), an OCI layout directory (oci:DIR[:TAG]),
an OCI archive (oci-archive:FILE[:TAG]) or a docker save tarball (docker-archive:FILE[:TAG]);
a bare path is told apart by what it holds. No Docker daemon is needed.

Check flags:
  --format text|json|sarif   report format (default text)
  -o, --output FILE          write the report to FILE instead of standard output
  --fail-on SEVERITY         high, medium, low, info or none: the lowest severity whose failure
                             fails the run (default high)
  --ignore FILE              waivers: a YAML file of {id, path, reason, expires} (docs/check.md)
  --only-added BASE          report only what IMAGE adds over the image BASE
  --compare OTHER            compare size, files and packages with OTHER (Before) and IMAGE (After)
  --vulns                    run trivy or grype (from PATH) and add CVE counts; --scanner NAME picks one
  --key cosign.pub           with --vulns: apply the image's VEX signed with this key (no other VEX)
  --platform OS/ARCH         the image to pick from an index (default linux and this machine's arch)
  --checks ID,...            run only these checks
  --max-size SIZE            HX-MIN-SIZE budget, e.g. 500MB (default 1GB); --max-layers N (default 20)
  --insecure-registry        allow plain HTTP to the registry

Exit status: 0 when all is well, 1 when a spec has problems (lint) or a check at or above
--fail-on fails or a waiver has expired (check), 2 on a usage error or a bad ignore file,
3 when an image cannot be read or --vulns cannot scan.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command, returning its exit status, so tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("hardened", stderr)
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	switch cmd {
	case "lint":
		return lint(rest, stdout, stderr)
	case "schema":
		return schema(rest, stdout, stderr)
	case "check":
		return check(rest, stdout, stderr)
	case "lock":
		return runLock(rest, stdout, stderr)
	case "init":
		return runInit(rest, stdout, stderr)
	case "k8s":
		return runK8s(rest, stdout, stderr)
	case "dockerfile":
		return runDockerfile(rest, stdout, stderr)
	case "sign", "verify", "policy", "rebase": // issue 28: signing after push
		return map[string]func([]string, io.Writer, io.Writer) int{"sign": runSign, "verify": runVerify, "policy": runPolicy, "rebase": runRebase}[cmd](rest, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "hardened: unknown command %q\n\n%s", cmd, usage)
	return 2
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // run prints the one usage text itself
	return fs
}

// parseFlags parses args; when it returns false the command is over with the given status.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (int, bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return 0, false
	}
	fmt.Fprintf(stderr, "\n%s", usage)
	return 2, false
}

// lint loads each file as a build would and reports every problem, one per line.
func lint(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("hardened lint", stderr)
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	files := fs.Args()
	if len(files) == 0 {
		files = []string{"hardened.yaml"}
	}
	status := 0
	for _, name := range files {
		if !lintFile(name, stdout, stderr) {
			status = 1
		}
	}
	return status
}

func lintFile(name string, stdout, stderr io.Writer) bool {
	data, err := readSpec(name)
	if err != nil {
		fmt.Fprintf(stderr, "hardened: %v\n", err)
		return false
	}
	s, err := spec.Load(name, data, registry.SpecOptions()...)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return false
	}
	// An end-of-life base the spec asks for still builds, so it warns and leaves the status alone.
	if w := hllb.DebianWarning(s, time.Now()); w != nil {
		w.Field = "warning: " + w.Field
		fmt.Fprintln(stderr, w)
	}
	fmt.Fprintf(stdout, "%s: ok\n", name)
	return true
}

// readSpec reads at most one byte past spec.MaxFileSize, enough for Load to refuse a huge file
// without holding all of it.
func readSpec(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, spec.MaxFileSize+1))
}

func schema(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("hardened schema", stderr)
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hardened: schema takes no arguments\n\n%s", usage)
		return 2
	}
	out, err := registry.Schema()
	if err != nil {
		fmt.Fprintf(stderr, "hardened: %v\n", err)
		return 1
	}
	if _, err := stdout.Write(out); err != nil {
		fmt.Fprintf(stderr, "hardened: %v\n", err)
		return 1
	}
	return 0
}

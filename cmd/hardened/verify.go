package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	gname "github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/audit/image"
	"github.com/hardenedbuild/hardened/sign"
)

const verifyUsage = `Usage: hardened verify IMAGE --key cosign.pub [--recheck] [--fail-on high|medium|low|info|none]
`

// runVerify verifies offline, then holds each signed report to today and, with --recheck, to
// the image's own bytes.
func runVerify(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("hardened verify", stderr)
	key := fs.String("key", "", "")
	recheck := fs.Bool("recheck", false, "")
	failOn := fs.String("fail-on", "high", "")
	pos, code, ok := parseInterspersed(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 || *key == "" {
		fmt.Fprintf(stderr, "hardened verify: want one image and --key\n%s", verifyUsage)
		return exitUsage
	}
	gate, err := verifyGate(*failOn)
	if err != nil {
		fmt.Fprintf(stderr, "hardened verify: %v\n%s", err, verifyUsage)
		return exitUsage
	}
	pub, err := sign.LoadPublicKey(*key, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "hardened verify: %v\n", err)
		return exitUsage
	}
	ctx := context.Background()
	v, err := sign.Verify(ctx, pos[0], pub, remote.WithAuthFromKeychain(authn.DefaultKeychain))
	if err != nil {
		fmt.Fprintf(stderr, "hardened verify: %v\n", err)
		return exitFail
	}
	for _, s := range v.Subjects {
		what := s.Kind + " " + s.Digest
		if s.Platform != "" {
			what += " " + s.Platform
		}
		fmt.Fprintf(stdout, "signed: %s (%s)\n", what, strings.Join(s.Formats, ", "))
	}
	fmt.Fprintf(stdout, "signed unchanged: %d attestation(s)\n", v.Attestations)
	if v.IndexReport != nil {
		fmt.Fprintf(stdout, "signed on the index: the check report its %d platform report(s) give\n", len(v.Reports))
	} else if len(v.Subjects) > 0 && v.Subjects[0].Kind == "index" {
		fmt.Fprintf(stdout, "note: the index carries no signed check report, so an admission policy finds none for its tag or digest; sign it again with hardened sign\n")
	}
	status := exitPass
	for digest, stmt := range v.Reports {
		report, problems, err := sign.Report(stmt, time.Now())
		if err != nil {
			problems = append(problems, err.Error())
		}
		if err == nil && gate != nil {
			problems = append(problems, sign.Gate(report, *gate)...)
		}
		if err == nil && *recheck {
			problems = append(problems, recheckImage(ctx, v.Name, digest, report)...)
		}
		for _, p := range problems {
			fmt.Fprintf(stderr, "hardened verify: %s@%s: %s\n", v.Name, digest, p)
			status = exitFail
		}
	}
	if status == exitPass {
		fmt.Fprintf(stdout, "verified %s@%s\n", v.Name, v.Digest)
	}
	return status
}

// verifyGate reads --fail-on: nil for none.
func verifyGate(s string) (*audit.Severity, error) {
	if strings.EqualFold(s, "none") {
		return nil, nil
	}
	sev, err := audit.ParseSeverity(s)
	if err != nil {
		return nil, fmt.Errorf("--fail-on: %v, or none", err)
	}
	return &sev, nil
}

// recheckImage runs the checks again on the platform image's bytes, on the report's day.
func recheckImage(ctx context.Context, name, digest string, signed *audit.Report) []string {
	r, err := gname.ParseReference(name)
	if err != nil {
		return []string{"--recheck: " + err.Error()}
	}
	t, err := image.LoadSource(ctx, image.Source{Kind: image.Registry, Ref: r.Context().Digest(digest).String()})
	if err != nil {
		return []string{"--recheck: cannot read the image: " + err.Error()}
	}
	opts := []audit.Option{audit.WithTime(signed.Date), audit.NoGate()}
	fresh, err := audit.Run(ctx, t, opts...)
	if err != nil {
		return []string{"--recheck: " + err.Error()}
	}
	var out []string
	for _, d := range sign.Differences(signed, fresh) {
		out = append(out, "--recheck: the signed report no longer matches the image: "+d)
	}
	return out
}

package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/audit/image"
	"github.com/hardenedbuild/hardened/sign"
)

const signUsage = `Usage: hardened sign IMAGE --key cosign.key|env://VAR [--format both|bundle|legacy] [--allow-no-report] [--vex IGNORE-FILE] [--vex-scan SCAN.json] [--vex-author NAME]
An encrypted cosign key's passphrase is read from COSIGN_PASSWORD.
`

// runSign signs an image after push: the frontend holds no keys (docs/signing.md).
func runSign(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("hardened sign", stderr)
	key := fs.String("key", "", "")
	format := fs.String("format", sign.FormatBoth, "")
	allow := fs.Bool("allow-no-report", false, "")
	vexFile := fs.String("vex", "", "")
	vexScan := fs.String("vex-scan", "", "")
	vexAuthor := fs.String("vex-author", "", "")
	pos, code, ok := parseInterspersed(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 || *key == "" {
		fmt.Fprintf(stderr, "hardened sign: want one image and --key\n%s", signUsage)
		return exitUsage
	}
	o := sign.Options{Format: *format, AllowNoReport: *allow,
		Remote: []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)}}
	if *vexFile != "" || *vexScan != "" {
		extra, err := vexStatements(*vexFile, *vexScan, *vexAuthor)
		if err != nil {
			fmt.Fprintf(stderr, "hardened sign: %v\n", err)
			return exitUsage
		}
		o.Extra = extra
	}
	priv, err := sign.LoadPrivateKey(*key, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "hardened sign: %v\n", err)
		return exitUsage
	}
	written, err := sign.Sign(context.Background(), pos[0], priv, o)
	for _, w := range written {
		fmt.Fprintf(stdout, "signed %s\n", w)
	}
	if err != nil {
		fmt.Fprintf(stderr, "hardened sign: %v\n", err)
		return exitFail
	}
	return exitPass
}

// vexStatements reads the ignore file's vulnerabilities and the scan report's findings and
// returns what makes, for each platform image, its OpenVEX statement: held to the image's own
// package database, so a component_not_present claim about a package the image has, or an
// expired statement, stops the signing before anything is written.
func vexStatements(file, scanFile, author string) (func(*sign.Plan, sign.Subject) ([][]byte, error), error) {
	var stmts []audit.VulnStatement
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--vex: %v", err)
		}
		ig, err := audit.ParseIgnore(file, data)
		if err != nil {
			return nil, err
		}
		if len(ig.Vulnerabilities) == 0 {
			return nil, fmt.Errorf("--vex %s: no vulnerabilities: list to write as VEX; add one (docs/signing.md, VEX)", file)
		}
		stmts = ig.Vulnerabilities
	}
	var refs []audit.VulnRef
	if scanFile != "" {
		var err error
		if refs, err = scanRefs(scanFile); err != nil {
			return nil, err
		}
	}
	if author == "" {
		author = "hardened sign"
	}
	return func(p *sign.Plan, s sign.Subject) ([][]byte, error) {
		ref := p.Repo.Digest(s.Digest).String()
		t, err := image.LoadSource(context.Background(), image.Source{Kind: image.Registry, Ref: ref})
		if err != nil {
			return nil, fmt.Errorf("--vex: reading the image's packages: %v", err)
		}
		pkgs, err := audit.InstalledPackages(context.Background(), t)
		if err != nil {
			return nil, fmt.Errorf("--vex: reading the image's packages: %v", err)
		}
		all := stmts
		if scanFile != "" {
			proven, err := builderOnly(p, s.Digest, refs, pkgs, scanFile, stmts)
			if err != nil {
				return nil, err
			}
			all = append(append([]audit.VulnStatement(nil), stmts...), proven...)
		}
		if len(all) == 0 {
			return nil, nil
		}
		doc, problems, err := audit.VEXDocument(imagePURL(p.Repo.String(), s.Digest), all, pkgs, author, time.Now())
		if err != nil {
			return nil, fmt.Errorf("--vex: %v", err)
		}
		if len(problems) > 0 {
			return nil, fmt.Errorf("--vex: %s", strings.Join(problems, "; "))
		}
		return [][]byte{sign.Statement(p.Repo.Name(), s.Digest, audit.PredicateOpenVEX, doc)}, nil
	}, nil
}

// imagePURL names an image by digest as the purl spec's oci type does:
// pkg:oci/NAME@sha256%3AHEX?repository_url=REGISTRY/REPO.
func imagePURL(repo, digest string) string {
	return "pkg:oci/" + path.Base(repo) + "@" + url.QueryEscape(digest) + "?repository_url=" + strings.ReplaceAll(url.QueryEscape(repo), "%2F", "/")
}

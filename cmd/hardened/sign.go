package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/hardenedbuild/hardened/sign"
)

const signUsage = `Usage: hardened sign IMAGE --key cosign.key|env://VAR [--format both|bundle|legacy] [--allow-no-report]
An encrypted cosign key's passphrase is read from COSIGN_PASSWORD.
`

// runSign signs an image after push: the frontend holds no keys (docs/security.md, Signing).
func runSign(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("hardened sign", stderr)
	key := fs.String("key", "", "")
	format := fs.String("format", sign.FormatBoth, "")
	allow := fs.Bool("allow-no-report", false, "")
	pos, code, ok := parseInterspersed(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 || *key == "" {
		fmt.Fprintf(stderr, "hardened sign: want one image and --key\n%s", signUsage)
		return exitUsage
	}
	priv, err := sign.LoadPrivateKey(*key, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "hardened sign: %v\n", err)
		return exitUsage
	}
	written, err := sign.Sign(context.Background(), pos[0], priv, sign.Options{Format: *format, AllowNoReport: *allow,
		Remote: []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)}})
	for _, w := range written {
		fmt.Fprintf(stdout, "signed %s\n", w)
	}
	if err != nil {
		fmt.Fprintf(stderr, "hardened sign: %v\n", err)
		return exitFail
	}
	return exitPass
}

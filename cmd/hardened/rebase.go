package main

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
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
	"github.com/hardenedbuild/hardened/lockfile"
	"github.com/hardenedbuild/hardened/rebase"
	"github.com/hardenedbuild/hardened/sign"
)

const rebaseUsage = `Usage: hardened rebase IMAGE --base REF@sha256:... [--tag REF] [--from REPO] [--lock hardened.lock] [--key cosign.key|env://VAR [--format both|bundle|legacy]]
Moves a static (or glibc-compatible) hardened image onto a new base digest without rebuilding it (docs/cli.md).
`

// runRebase rebases, re-attests and pushes an image, then updates the lock and signs when asked.
func runRebase(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("hardened rebase", stderr)
	base := fs.String("base", "", "")
	from := fs.String("from", "", "")
	tag := fs.String("tag", "", "")
	lockPath := fs.String("lock", "", "")
	key := fs.String("key", "", "")
	format := fs.String("format", sign.FormatBoth, "")
	pos, code, ok := parseInterspersed(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 || *base == "" {
		fmt.Fprintf(stderr, "hardened rebase: want one image and --base\n%s", rebaseUsage)
		return exitUsage
	}
	rebase.Version = version
	o := rebase.Options{Base: *base, From: *from, Tag: *tag, Remote: []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)}}
	var lock *lockfile.Lock
	if *lockPath != "" {
		var err error
		if lock, o.BaseName, err = readLockBase(*lockPath); err != nil {
			fmt.Fprintf(stderr, "hardened rebase: %v\n", err)
			return exitUsage
		}
	}
	if *key != "" {
		if _, err := sign.LoadPrivateKey(*key, os.Getenv); err != nil { // before anything is pushed
			fmt.Fprintf(stderr, "hardened rebase: %v\n", err)
			return exitUsage
		}
	}
	res, err := rebase.Rebase(context.Background(), pos[0], o)
	if err != nil {
		fmt.Fprintf(stderr, "hardened rebase: %v\n", err)
		return exitFail
	}
	for _, p := range res.Platforms {
		fmt.Fprintf(stdout, "rebased %s: %s -> %s", p.Platform, p.From, p.Digest)
		if len(p.Stripped) > 0 {
			fmt.Fprintf(stdout, " (setuid/setgid cleared again from the new base: %s)", strings.Join(p.Stripped, ", "))
		}
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "pushed %s@%s on %s@%s\n", res.Ref, res.Digest, res.BaseName, res.BaseDigest)
	if lock != nil {
		if err := writeLockBase(*lockPath, lock, res); err != nil {
			fmt.Fprintf(stderr, "hardened rebase: %v (the image is pushed)\n", err)
			return exitFail
		}
		fmt.Fprintf(stdout, "updated %s\n", *lockPath)
	}
	if *key != "" {
		return signRebased(res, pos[0], *key, *format, o.Remote, stdout, stderr)
	}
	return exitPass
}

// readLockBase reads the lock and the image its base entries name (the spec's base, which a rebuild
// with the lock writes in the base.name label).
func readLockBase(p string) (*lockfile.Lock, string, error) {
	dt, err := os.ReadFile(p)
	if err != nil {
		return nil, "", fmt.Errorf("--lock: %v", err)
	}
	l, err := lockfile.Parse(p, dt)
	if err != nil {
		return nil, "", err
	}
	ref := ""
	for platform := range l.Images {
		r, _, ok := l.Entry(platform, "base")
		if !ok {
			continue
		}
		if ref != "" && r != ref {
			return nil, "", fmt.Errorf("--lock %s: the platforms' base entries name different images (%s, %s); rebase one image at a time or rebuild", p, ref, r)
		}
		ref = r
	}
	if ref == "" {
		return nil, "", fmt.Errorf("--lock %s: no base entry (an image built on scratch has no base to rebase)", p)
	}
	return l, ref, nil
}

// writeLockBase points each rebased platform's base entry at the new digest.
func writeLockBase(p string, l *lockfile.Lock, res *rebase.Result) error {
	for _, pl := range res.Platforms {
		ref, _, ok := l.Entry(pl.Platform, "base")
		if !ok {
			return fmt.Errorf("--lock %s: no base entry for %s", p, pl.Platform)
		}
		l.Set(pl.Platform, "base", ref, res.BaseDigest)
	}
	return os.WriteFile(p, l.Marshal(), 0o644)
}

// signRebased signs the pushed index, its images and their attestations as hardened sign does,
// with the original image's VEX that the key signed carried over (carriedVEX).
func signRebased(res *rebase.Result, original, key, format string, opts []remote.Option, stdout, stderr io.Writer) int {
	priv, err := sign.LoadPrivateKey(key, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "hardened rebase: %v\n", err)
		return exitUsage
	}
	ref := res.Ref
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	o := sign.Options{Format: format, Remote: opts, Extra: carriedVEX(res, original, &priv.PublicKey, opts, stdout)}
	written, err := sign.Sign(context.Background(), ref+"@"+res.Digest, priv, o)
	for _, w := range written {
		fmt.Fprintf(stdout, "signed %s\n", w)
	}
	if err != nil {
		fmt.Fprintf(stderr, "hardened rebase: signing %s@%s: %v (the image is pushed; sign it again with hardened sign)\n", res.Ref, res.Digest, err)
		return exitFail
	}
	return exitPass
}

// carriedVEX makes, for each rebased platform image, the OpenVEX documents the key signed about
// the image it was rebased from, re-derived for it (rebase.CarryVEX): another key's or an
// unsigned document is not carried, since signing it again would vouch for it.
func carriedVEX(res *rebase.Result, original string, pub *ecdsa.PublicKey, opts []remote.Option, stdout io.Writer) func(*sign.Plan, sign.Subject) ([][]byte, error) {
	from := map[string]string{}
	for _, p := range res.Platforms {
		from[p.Digest] = p.From
	}
	return func(p *sign.Plan, s sign.Subject) ([][]byte, error) {
		r, err := gname.ParseReference(original)
		if err != nil || from[s.Digest] == "" {
			return nil, err
		}
		ctx := context.Background()
		found, err := sign.FindStatements(ctx, r.Context(), "", from[s.Digest], vexPrefix, pub, opts...)
		if err != nil {
			return nil, fmt.Errorf("reading the VEX of %s@%s: %v", r.Context(), from[s.Digest], err)
		}
		var out [][]byte
		for _, f := range found {
			if !f.Signed {
				continue
			}
			stmt, err := carryOne(ctx, p, s, f.Statement, stdout)
			if err != nil {
				return nil, fmt.Errorf("carrying the VEX of %s@%s (%s): %v", r.Context(), from[s.Digest], f.Where, err)
			}
			if stmt != nil {
				out = append(out, stmt)
			}
		}
		return out, nil
	}
}

// vexPrefix starts every OpenVEX predicate type.
const vexPrefix = "https://openvex.dev/ns/"

// carryOne re-derives one signed VEX statement for the rebased image s, held to its packages.
func carryOne(ctx context.Context, p *sign.Plan, s sign.Subject, stmt []byte, stdout io.Writer) ([]byte, error) {
	var st struct {
		PredicateType string          `json:"predicateType"`
		Predicate     json.RawMessage `json:"predicate"`
	}
	if err := json.Unmarshal(stmt, &st); err != nil {
		return nil, err
	}
	t, err := image.LoadSource(ctx, image.Source{Kind: image.Registry, Ref: p.Repo.Digest(s.Digest).String()})
	if err != nil {
		return nil, fmt.Errorf("reading the rebased image's packages: %v", err)
	}
	pkgs, err := audit.InstalledPackages(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("reading the rebased image's packages: %v", err)
	}
	doc, dropped, err := rebase.CarryVEX(st.Predicate, imagePURL(p.Repo.String(), s.Digest), pkgs, "hardened rebase", time.Now())
	if err != nil {
		return nil, err
	}
	for _, d := range dropped {
		fmt.Fprintf(stdout, "VEX not carried to %s: %s\n", s.Digest, d)
	}
	if doc == nil {
		return nil, nil
	}
	fmt.Fprintf(stdout, "VEX carried to %s\n", s.Digest)
	return sign.Statement(p.Repo.Name(), s.Digest, st.PredicateType, doc), nil
}

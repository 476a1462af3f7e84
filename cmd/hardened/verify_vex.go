package main

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/openvex/go-vex/pkg/vex"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/audit/image"
	"github.com/hardenedbuild/hardened/audit/vulns"
	"github.com/hardenedbuild/hardened/sign"
)

// vexPredicatePrefix matches every OpenVEX version's in-toto predicate type.
const vexPredicatePrefix = "https://openvex.dev/ns"

// applySignedVEX drops the scanner's findings that a VEX document about the image marks
// not_affected or fixed, counting only documents whose signature verifies with --key: anyone
// who can push to the repository can attach a VEX, and an unsigned one would silence any CVE.
// Every document left out, and every finding dropped, gets a line on stderr; the findings
// dropped are also returned for the report, with the statement that dropped each (nil when no
// VEX was read).
func (c *checkFlags) applySignedVEX(ctx context.Context, src image.Source, t *audit.Target, fs []vulns.Finding, stderr io.Writer) ([]vulns.Finding, *audit.VEXApplied) {
	say := func(format string, a ...any) { fmt.Fprintf(stderr, "hardened check: --vulns: "+format+"\n", a...) }
	if src.Kind != image.Registry || t.Digest == "" {
		if c.key != "" {
			say("VEX is read from the registry, beside the image's signatures; %s is a %s, so no VEX applies", src.Ref, src.Kind)
		}
		return fs, nil
	}
	var nopts []name.Option
	if c.insecure {
		nopts = append(nopts, name.Insecure)
	}
	ref, err := name.ParseReference(src.Ref, nopts...)
	if err != nil {
		say("%s: %v; no VEX applies", src.Ref, err)
		return fs, nil
	}
	at := ref.Context().Digest(t.Digest).String()
	found, err := sign.FindStatements(ctx, ref.Context(), t.IndexDigest, t.Digest, vexPredicatePrefix, c.vexKey,
		remote.WithAuthFromKeychain(authn.DefaultKeychain))
	if err != nil {
		// Without --key no VEX could apply anyway; a registry that lists no referrers is not news then.
		if c.key != "" {
			say("reading the VEX of %s: %v; no VEX applies", at, err)
		}
		return fs, nil
	}
	var docs []*vex.VEX
	where := map[*vex.VEX]string{}
	for _, f := range found {
		if !f.Signed {
			why := "pass --key with the public key that signed it (hardened sign --vex)"
			if c.key != "" {
				why = "no signature on it verifies with " + c.key
			}
			say("ignored the VEX document in %s of %s: %s", f.Where, at, why)
			continue
		}
		var st struct{ Predicate json.RawMessage }
		var doc *vex.VEX
		if err = json.Unmarshal(f.Statement, &st); err == nil {
			doc, err = vex.Parse(st.Predicate)
		}
		if err != nil {
			say("ignored the signed VEX document in %s of %s: %v", f.Where, at, err)
			continue
		}
		docs = append(docs, doc)
		where[doc] = f.Where
	}
	kept, applied := vulns.ApplyVEX(fs, t.Digest, docs)
	for _, a := range applied {
		say("%s by the VEX signed with %s: left out of the counts", a, c.key)
	}
	if c.vexKey == nil {
		return kept, nil
	}
	return kept, c.vexRecord(applied, where)
}

// vexRecord is what the report says of the VEX it applied: the key, and each finding left out
// with the statement's words and the document's id, author and place.
func (c *checkFlags) vexRecord(applied []vulns.Applied, where map[*vex.VEX]string) *audit.VEXApplied {
	der, _ := x509.MarshalPKIXPublicKey(c.vexKey) // a key LoadPublicKey read marshals
	sum := sha256.Sum256(der)
	rec := &audit.VEXApplied{Key: "sha256:" + hex.EncodeToString(sum[:]), Suppressed: []audit.VEXSuppressed{}}
	for _, a := range applied {
		s := audit.VEXSuppressed{ID: a.ID, Package: a.Package, Version: a.Version, Severity: a.Severity,
			Status: string(a.Status), Justification: string(a.Justification),
			Statement: a.Statement.ID, ImpactStatement: a.Statement.ImpactStatement,
			Document: a.Document.ID, Author: a.Document.Author, Where: where[a.Document]}
		if ts := stampOf(a.Statement.Timestamp, a.Document.Timestamp); ts != nil {
			s.Timestamp = ts.UTC().Format(time.RFC3339)
		}
		rec.Suppressed = append(rec.Suppressed, s)
	}
	return rec
}

// stampOf is the statement's time, or its document's.
func stampOf(statement, document *time.Time) *time.Time {
	if statement != nil {
		return statement
	}
	return document
}

//go:build tools

// Package tools pins the cosign binary the signing tests use as an oracle: what hardened sign
// writes must verify with cosign, and what cosign signs must verify with hardened verify.
package tools

import (
	_ "github.com/sigstore/cosign/v3/cmd/cosign"
)

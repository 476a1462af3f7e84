// Package frontend is the BuildKit gateway glue: it reads hardened.yaml through the
// dockerui conventions, resolves and pins every image, hands the spec to the pure
// conversion in package llb, solves, and verifies the result before returning it.
// It holds no language knowledge.
package frontend

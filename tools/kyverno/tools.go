//go:build tools

// Package tools pins the Kyverno CLI the admission tests run the generated kyverno policy
// with (kyverno test), so what hardened policy writes is held to Kyverno itself.
package tools

import (
	_ "github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno"
)

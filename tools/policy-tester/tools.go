//go:build tools

// Package tools pins policy-controller's policy-tester, which the admission tests run the
// generated ClusterImagePolicy with, so what hardened policy writes is held to it.
package tools

import (
	_ "github.com/sigstore/policy-controller/cmd/tester"
)

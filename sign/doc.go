// Package sign signs an image's index, each platform image and every attestation BuildKit
// attached (check report, SPDX, SLSA provenance) with a key, and verifies them offline.
//
// Signatures are written as Sigstore bundles (v0.3) in OCI 1.1 referrers, the registry's
// referrers API or its sha256-HEX fallback tag, and as cosign's legacy sha256-HEX.sig and .att
// tags, because admission controllers read one or the other. The frontend holds no keys, so
// this runs after push, in the hardened CLI.
package sign

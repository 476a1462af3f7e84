// Command sbom-scanner stands in for docker/buildkit-syft-scanner on the local stack, which reaches no public
// registry: `--sbom=true` with BuildKit's Dockerfile frontend runs it unchanged (the release check does). It
// speaks BuildKit's scanner protocol: the tree at $BUILDKIT_SCAN_SOURCE, one in-toto statement per file written
// to $BUILDKIT_SCAN_DESTINATION. It lists the Go modules of every Go binary it finds, as syft would.
package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/hardenedbuild/hardened/sbom"
)

func main() {
	if err := run(os.Getenv("BUILDKIT_SCAN_SOURCE"), os.Getenv("BUILDKIT_SCAN_DESTINATION")); err != nil {
		fmt.Fprintf(os.Stderr, "sbom-scanner: %v\n", err)
		os.Exit(1)
	}
}

func run(src, dst string) error {
	if src == "" || dst == "" {
		return fmt.Errorf("BUILDKIT_SCAN_SOURCE and BUILDKIT_SCAN_DESTINATION must be set")
	}
	var pkgs []sbom.Package
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		rel, _ := filepath.Rel(src, p)
		if found, ok := sbom.GoModules("/"+rel, f); ok {
			pkgs = append(pkgs, found...)
		}
		return nil
	})
	if err != nil {
		return err
	}
	doc, err := sbom.SPDX("sbom-scanner", time.Unix(0, 0).UTC(), pkgs)
	if err != nil {
		return err
	}
	// BuildKit fills in the subject; the predicate is the SPDX document itself.
	stmt, err := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v0.1",
		"predicateType": "https://spdx.dev/Document",
		"subject":       []any{},
		"predicate":     json.RawMessage(doc),
	})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dst, "sbom.spdx.json"), stmt, 0o644)
}

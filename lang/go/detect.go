package golang

import (
	"fmt"
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hardenedbuild/hardened/lang"
)

// detectGo finds the module's main packages, preferring those under ./cmd when there are any.
func (Language) Detect(dir string) (*lang.Detection, error) {
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return nil, nil
	}
	mains, cgo, err := goMains(dir)
	if err != nil {
		return nil, err
	}
	goMod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return nil, err
	}
	det := &lang.Detection{Marker: "go.mod"}
	var cmd []string
	for _, m := range mains {
		if strings.HasPrefix(m, "./cmd/") {
			cmd = append(cmd, m)
		}
	}
	if len(cmd) > 0 {
		mains = cmd
	}
	// Each binary is /app/<last element>: keep the first of any two that share a name.
	seen := map[string]string{}
	for _, m := range mains {
		name := BinaryName(m, goMod)
		if other, dup := seen[name]; dup {
			det.Warnings = append(det.Warnings, fmt.Sprintf("left out %s: it would be /app/%s, as %s is", m, name, other))
			continue
		}
		seen[name] = m
		det.Artifacts = append(det.Artifacts, m)
	}
	if len(det.Artifacts) == 0 {
		return nil, fmt.Errorf("go.mod found, but no main package (package main with a func main) in the module; " +
			"write the spec by hand with artifacts: [./path/to/main]")
	}
	det.Comments = map[string]string{}
	if len(det.Artifacts) > 1 {
		det.Comments["artifacts"] = "The first artifact is the entrypoint; write entrypoint: [/app/NAME] to run another."
	}
	if cgo != "" {
		det.CGO = true
		det.Comments["cgo"] = cgo + "."
	}
	return det, nil
}

// goMains lists, sorted, the directories of the module at dir whose package is main for
// linux, as ./path (or . for the root), skipping what the go command skips and nested modules;
// cgo is why the first package that needs cgo does (cgoNeed), "" when none does.
func goMains(dir string) (mains []string, cgo string, err error) {
	ctxt := build.Default
	ctxt.GOOS, ctxt.GOARCH = "linux", "amd64"
	ctxt.CgoEnabled = true // else files that import "C" are ignored, not listed
	err = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() {
			return nil
		}
		if p != dir {
			n := e.Name()
			if strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") || n == "testdata" || n == "vendor" || n == "node_modules" {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
		}
		pkg, err := ctxt.ImportDir(p, 0)
		if err != nil {
			return nil // no Go files, or not one buildable package
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = "./" + filepath.ToSlash(rel)
		if rel == "./." {
			rel = "."
		}
		if cgo == "" {
			cgo = cgoNeed(pkg, rel)
		}
		if pkg.Name == "main" {
			mains = append(mains, rel)
		}
		return nil
	})
	slices.Sort(mains)
	return mains, cgo, err
}

package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hardenedbuild/hardened/lang/registry"
	"github.com/hardenedbuild/hardened/spec"
)

// Every benchmarked app's hardened.yaml is valid, the bench-only ones (bench/apps) included, which no other
// test reads.
func TestExampleSpecsLoad(t *testing.T) {
	for _, e := range examples {
		data, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(e.dir()), "hardened.yaml"))
		if err != nil {
			t.Errorf("%s: %v", e.Name, err)
			continue
		}
		s, err := spec.Load("hardened.yaml", data, registry.SpecOptions()...)
		if err != nil {
			t.Errorf("%s: %v", e.dir(), err)
			continue
		}
		if s.Test == nil {
			t.Errorf("%s: no test: for the bench's test step figure", e.dir())
		}
	}
}

package spec

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no input makes Parse or Load panic, and that every problem they report
// is an Errors with a real position.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(minimal))
	f.Add([]byte(billionLaughs))
	f.Add([]byte(mergeBomb))
	f.Add([]byte("env: &e {A: 1, <<: *e}\n"))
	f.Add([]byte("build:\n  steps:\n    - run: [a]\n      name: [x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, load := range []func(string, []byte, ...Option) (*Spec, error){Parse, Load} {
			s, err := load("hardened.yaml", data, WithLanguages("go"))
			if err == nil {
				if s == nil {
					t.Fatal("no spec and no error")
				}
				continue
			}
			es, ok := err.(Errors)
			if !ok || len(es) == 0 {
				t.Fatalf("error %T %v is not a non-empty Errors", err, err)
			}
			for _, e := range es {
				if e.Pos.Line < 1 || e.Pos.Col < 1 {
					t.Fatalf("problem without position: %#v", e)
				}
			}
		}
	})
}

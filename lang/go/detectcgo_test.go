package golang

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// init writes cgo: true only for what needs it in the build: a test's import or a file for another
// OS does not count.
func TestDetectCgo(t *testing.T) {
	main := "package main\n\nfunc main() {}\n"
	for _, tc := range []struct {
		name  string
		files map[string]string
		why   string // "" for no cgo
	}{
		{"plain", map[string]string{"main.go": main}, ""},
		{"driver", map[string]string{"main.go": main, "db/db.go": "package db\n\nimport _ \"gorm.io/driver/sqlite\"\n"}, "./db imports gorm.io/driver/sqlite"},
		{"driver in main", map[string]string{"main.go": "package main\n\nimport _ \"github.com/mattn/go-sqlite3\"\n\nfunc main() {}\n"}, ". imports github.com/mattn/go-sqlite3"},
		{"driver in a test", map[string]string{"main.go": main, "db/db.go": "package db\n", "db/db_test.go": "package db\n\nimport _ \"github.com/mattn/go-sqlite3\"\n"}, ""},
		{"driver on windows", map[string]string{"main.go": main, "db/db_windows.go": "package db\n\nimport _ \"github.com/mattn/go-sqlite3\"\n", "db/db.go": "package db\n"}, ""},
		{"cgo file", map[string]string{"main.go": main, "n/n.go": "package n\n\nimport \"C\"\n"}, "./n has cgo files (n.go)"},
		{"cgo file in testdata", map[string]string{"main.go": main, "testdata/n.go": "package n\n\nimport \"C\"\n"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.files["go.mod"] = "module example.com/x\n\ngo 1.26\n"
			for name, body := range tc.files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			det, err := Language{}.Detect(dir)
			if err != nil {
				t.Fatal(err)
			}
			if det.CGO != (tc.why != "") || !strings.HasPrefix(det.Comments["cgo"], tc.why) {
				t.Errorf("CGO = %v, comment %q; want cgo for %q", det.CGO, det.Comments["cgo"], tc.why)
			}
		})
	}
}

// Package sbomtest has the fixtures the SBOM readers' tests share: a map as sbom.FS, and jars.
package sbomtest

import (
	"archive/zip"
	"bytes"
	"io"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// MapFS adapts fstest.MapFS (paths without the leading slash) to sbom.FS.
type MapFS fstest.MapFS

func (m MapFS) ReadDir(dir string) ([]string, error) {
	es, err := fs.ReadDir(fstest.MapFS(m), strings.TrimPrefix(dir, "/"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out, nil
}

func (m MapFS) ReadFile(name string) ([]byte, error) {
	return fs.ReadFile(fstest.MapFS(m), strings.TrimPrefix(name, "/"))
}

func (m MapFS) Open(name string) (io.ReaderAt, int64, error) {
	data, err := m.ReadFile(name)
	if err != nil {
		return nil, 0, err
	}
	return bytes.NewReader(data), int64(len(data)), nil
}

// Jar is a zip of the files.
func Jar(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for name, body := range files {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(body))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

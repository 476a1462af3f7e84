package sbom

import (
	"io"
)

// FS is the read-only view of an image (or a builder stage) the language readers (lang) walk; the
// frontend backs it with the gateway's file API, tests with a map.
type FS interface {
	// ReadDir lists the names in dir; an error for a directory that is not there.
	ReadDir(dir string) ([]string, error)
	ReadFile(name string) ([]byte, error)
	// Open gives random access to a file, for archives.
	Open(name string) (io.ReaderAt, int64, error)
}

// AppDir is where an image keeps its application (llb.ArtifactDir).
const AppDir = "/app"

// MaxManifest bounds one package manifest read (a language's metadata files).
const MaxManifest = 1 << 20

// ReadSmall is a file of at most MaxManifest bytes; nil when it is missing or larger.
func ReadSmall(fsys FS, name string) []byte {
	data, err := fsys.ReadFile(name)
	if err != nil || len(data) > MaxManifest {
		return nil
	}
	return data
}

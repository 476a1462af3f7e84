package main

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// registryLog counts the bytes buildkitd pulls from the bench registry: the in-process registry logs every
// request, and its blobs sit on disk by digest, so a blob GET's size is its file's size.
type registryLog struct {
	log   string
	blobs string
}

func newRegistryLog(stateDir string) *registryLog {
	return &registryLog{
		log:   filepath.Join(stateDir, "registry.log"),
		blobs: filepath.Join(stateDir, "registry", "blobs", "sha256"),
	}
}

// mark is the log's current length.
func (r *registryLog) mark() int64 {
	fi, err := os.Stat(r.log)
	if err != nil {
		return 0
	}
	return fi.Size()
}

var blobGet = regexp.MustCompile(`^\S+ \S+ GET /v2/\S+/blobs/sha256:([0-9a-f]{64})(\?\S*)?$`)

// pulledBytes is what a build fetched from the registry: its total, and the size of each blob by digest.
type pulledBytes struct {
	total int64
	blobs map[string]int64
}

// pulledSince sums the sizes of the blobs fetched after mark (failed requests carry a status and are skipped).
func (r *registryLog) pulledSince(mark int64) (pulledBytes, error) {
	f, err := os.Open(r.log)
	if err != nil {
		return pulledBytes{}, err
	}
	defer f.Close()
	if _, err := f.Seek(mark, io.SeekStart); err != nil {
		return pulledBytes{}, err
	}
	return r.sum(f)
}

func (r *registryLog) sum(log io.Reader) (pulledBytes, error) {
	p := pulledBytes{blobs: map[string]int64{}}
	sc := bufio.NewScanner(log)
	for sc.Scan() {
		m := blobGet.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		if fi, err := os.Stat(filepath.Join(r.blobs, m[1])); err == nil {
			p.total += fi.Size()
			p.blobs[m[1]] = fi.Size()
		}
	}
	return p, sc.Err()
}

// ownLayers is what a --cache-from rebuild pulled that the cold build exporting the cache did not: the layers
// the build made itself (the dependency layer, the app's). A registry cache of mode=max also holds the builder's
// and the base's layers, and the rebuild takes them from it, so the repository a blob came from does not tell.
func ownLayers(rebuild, export map[string]int64) int64 {
	var n int64
	for d, size := range rebuild {
		if _, ok := export[d]; !ok {
			n += size
		}
	}
	return n
}

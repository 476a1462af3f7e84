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

// pulledSince sums the sizes of the blobs fetched after mark (failed requests carry a status and are skipped).
func (r *registryLog) pulledSince(mark int64) (int64, error) {
	f, err := os.Open(r.log)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if _, err := f.Seek(mark, io.SeekStart); err != nil {
		return 0, err
	}
	var total int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := blobGet.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		if fi, err := os.Stat(filepath.Join(r.blobs, m[1])); err == nil {
			total += fi.Size()
		}
	}
	return total, sc.Err()
}

package audit

import (
	"fmt"
	"io"
)

// The memory budget of reading file contents: checks read a file whole only up to maxRead
// (configuration and package files), search texts up to maxScan, and read anything larger by
// range, readChunk at a time, whatever its size. Only a view without range reads (the gateway
// fallback inside a build) is read whole, and then at most maxBinaryRead.
const (
	// readChunk is how much of a large file one read takes.
	readChunk = 4 << 20
	// chunkOverlap carries the end of a chunk into the next, so a string split across them is
	// still found.
	chunkOverlap = 64
	// maxBinaryRead bounds the binaries read whole from a view without range reads.
	maxBinaryRead = 512 << 20
)

// scanContent calls fn with a file's bytes a chunk at a time, each chunk after the first
// beginning with the last chunkOverlap bytes of the one before, until fn says it is done or the
// file ends. It reports false when a read failed (f.err says why).
func (f *facts) scanContent(e Entry, fn func(chunk []byte) (done bool)) bool {
	rr, ranged := f.t.FS.(RangeReader)
	if !ranged {
		if e.Size > maxBinaryRead {
			return true
		}
		d, err := f.t.FS.ReadFile(f.ctx, e.Path)
		if err != nil {
			f.fail(fmt.Errorf("reading %s: %w", e.Path, err))
			return false
		}
		fn(d)
		return true
	}
	var tail []byte
	for off := int64(0); off < e.Size; off += readChunk {
		d, err := rr.ReadRange(f.ctx, e.Path, off, readChunk)
		if err != nil {
			f.fail(fmt.Errorf("reading %s: %w", e.Path, err))
			return false
		}
		chunk := append(tail, d...)
		if fn(chunk) || len(d) < readChunk {
			return true
		}
		tail = append([]byte(nil), chunk[max(0, len(chunk)-chunkOverlap):]...)
	}
	return true
}

// head is the first n bytes of a file (fewer when it is shorter).
func (f *facts) head(e Entry, n int) ([]byte, error) {
	if rr, ok := f.t.FS.(RangeReader); ok {
		return rr.ReadRange(f.ctx, e.Path, 0, n)
	}
	if e.Size > maxBinaryRead {
		return nil, nil
	}
	d, err := f.t.FS.ReadFile(f.ctx, e.Path)
	return d[:min(len(d), n)], err
}

// contentAt reads a file at any offset, by range when the view allows (a chunk per read),
// else from the whole file; nil when the file is too large for a view without ranges.
func (f *facts) contentAt(e Entry) (io.ReaderAt, error) {
	if rr, ok := f.t.FS.(RangeReader); ok {
		return rangeAt{f: f, rr: rr, path: e.Path, size: e.Size}, nil
	}
	if e.Size > maxBinaryRead {
		return nil, nil
	}
	d, err := f.t.FS.ReadFile(f.ctx, e.Path)
	if err != nil {
		return nil, err
	}
	return bytesAt(d), nil
}

type bytesAt []byte

func (b bytesAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// rangeAt is an io.ReaderAt over a view's ReadRange, at most readChunk per read.
type rangeAt struct {
	f    *facts
	rr   RangeReader
	path string
	size int64
}

func (r rangeAt) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		if off+int64(n) >= r.size {
			return n, io.EOF
		}
		d, err := r.rr.ReadRange(r.f.ctx, r.path, off+int64(n), min(len(p)-n, readChunk))
		if err != nil {
			return n, err
		}
		if len(d) == 0 {
			return n, io.EOF
		}
		n += copy(p[n:], d)
	}
	return n, nil
}

package image

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"

	"github.com/hardenedbuild/hardened/audit"
)

var _ audit.RangeReader = (*lazy)(nil)

// ReadRange reads up to n bytes of a file from off, n at most Limits.MaxReadFile. Reading a
// large file front to back streams its layer once: the read stays open between calls.
func (l *lazy) ReadRange(ctx context.Context, p string, off int64, n int) ([]byte, error) {
	x, err := l.built(ctx)
	if err != nil {
		return nil, err
	}
	return x.readRange(ctx, p, off, n)
}

// cursor is an open read of one file of a layer, at off.
type cursor struct {
	layer, ordinal int
	off            int64
	r              io.Reader
	close          func() error
}

func (x *index) readRange(ctx context.Context, p string, off int64, n int) ([]byte, error) {
	nd, _, err := x.resolve(p, true)
	switch {
	case err != nil:
		return nil, pathError("open", p, err)
	case nd.isDir():
		return nil, pathError("read", p, syscall.EISDIR)
	case !nd.entry.Mode.IsRegular():
		return nil, pathError("read", p, errors.New("not a regular file"))
	case off < 0 || n < 0:
		return nil, pathError("read", p, errors.New("a negative offset or length"))
	case int64(n) > x.layers.lim.MaxReadFile:
		return nil, pathError("read", p, &LimitError{What: "bytes in one read", Limit: x.layers.lim.MaxReadFile})
	case off >= nd.entry.Size:
		return []byte{}, nil
	}
	n = int(min(int64(n), nd.entry.Size-off))
	if nd.inline {
		return bytes.Clone(nd.data[off : off+int64(n)]), nil
	}
	if nd.layer < 0 {
		return nil, pathError("read", p, errors.New("a hard link whose target is not in the image"))
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	c := x.cur
	if c == nil || c.layer != nd.layer || c.ordinal != nd.ordinal || c.off > off {
		x.closeCursor()
		if c, err = x.layers.openEntry(ctx, nd.layer, nd.ordinal); err != nil {
			return nil, pathError("read", p, err)
		}
		x.cur = c
	}
	if err := skip(ctx, c, off-c.off); err != nil {
		x.closeCursor()
		return nil, pathError("read", p, err)
	}
	buf := make([]byte, n)
	got, err := io.ReadFull(c.r, buf)
	c.off += int64(got)
	if err != nil || c.off >= nd.entry.Size {
		x.closeCursor()
	}
	if err != nil {
		return nil, pathError("read", p, fmt.Errorf("the layer ended %d bytes into the file: %w", c.off, err))
	}
	return buf, nil
}

// skip reads past gap bytes of the cursor's file, a bounded piece at a time.
func skip(ctx context.Context, c *cursor, gap int64) error {
	for gap > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		k, err := io.CopyN(io.Discard, c.r, min(gap, 1<<20))
		c.off += k
		gap -= k
		if err != nil {
			return err
		}
	}
	return nil
}

func (x *index) closeCursor() {
	if x.cur != nil {
		x.cur.close()
		x.cur = nil
	}
}

// openEntry opens layer i's tar at its ordinal-th header, the file's content next. The first
// pass over the layer checked its digest and sizes; this one reads no further than the file.
func (s *layerSet) openEntry(ctx context.Context, i, ordinal int) (*cursor, error) {
	rc, err := s.layers[i].Uncompressed()
	if err != nil {
		return nil, fmt.Errorf("layer %d: %w", i, err)
	}
	tr := tar.NewReader(rc)
	for k := 0; k <= ordinal; k++ {
		if err := ctx.Err(); err != nil {
			rc.Close()
			return nil, err
		}
		if _, err := tr.Next(); err != nil {
			rc.Close()
			return nil, fmt.Errorf("layer %d: entry %d is gone on the second read: %w", i, ordinal, err)
		}
	}
	return &cursor{layer: i, ordinal: ordinal, r: tr, close: rc.Close}, nil
}

package image

import (
	"fmt"
	"io"
)

// Limits bound what reading one image may cost; a zero field takes its default.
type Limits struct {
	// MaxLayers bounds the layers of one image.
	MaxLayers int
	// MaxEntries bounds the tar entries of all layers together.
	MaxEntries int
	// MaxBytes bounds the uncompressed bytes of all layers together, in one pass.
	MaxBytes int64
	// MaxInline is the largest file whose content the index keeps in memory; MaxInlineTotal
	// bounds all of them together. Other files are read again from their layer when asked for.
	MaxInline      int64
	MaxInlineTotal int64
	// MaxReadFile is the largest file ReadFile returns, and the largest range ReadRange does:
	// checks read larger files by range.
	MaxReadFile int64
	// MaxMetadata is the largest manifest, index or config read.
	MaxMetadata int64
}

// DefaultLimits are generous for real images and small enough to stop a tar bomb.
var DefaultLimits = Limits{
	MaxLayers:      1000,
	MaxEntries:     1_000_000,
	MaxBytes:       16 << 30,
	MaxInline:      64 << 10,
	MaxInlineTotal: 256 << 20,
	MaxReadFile:    16 << 20,
	MaxMetadata:    8 << 20,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxLayers > 0 {
		d.MaxLayers = l.MaxLayers
	}
	if l.MaxEntries > 0 {
		d.MaxEntries = l.MaxEntries
	}
	if l.MaxBytes > 0 {
		d.MaxBytes = l.MaxBytes
	}
	if l.MaxInline > 0 {
		d.MaxInline = l.MaxInline
	}
	if l.MaxInlineTotal > 0 {
		d.MaxInlineTotal = l.MaxInlineTotal
	}
	if l.MaxReadFile > 0 {
		d.MaxReadFile = l.MaxReadFile
	}
	if l.MaxMetadata > 0 {
		d.MaxMetadata = l.MaxMetadata
	}
	return d
}

// LimitError says which limit an image went over.
type LimitError struct {
	What  string
	Limit int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("the image has more %s than the limit of %d; it is refused rather than read", e.What, e.Limit)
}

// pass is one read of an image's layers, with the entries and bytes it has used.
type pass struct {
	lim     Limits
	entries int
	bytes   int64
}

func (p *pass) entry() error {
	if p.entries++; p.entries > p.lim.MaxEntries {
		return &LimitError{What: "tar entries in its layers", Limit: int64(p.lim.MaxEntries)}
	}
	return nil
}

// counter counts the uncompressed bytes a pass reads, and stops at the limit.
type counter struct {
	r io.Reader
	p *pass
}

func (c *counter) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.bytes += int64(n)
	if c.p.bytes > c.p.lim.MaxBytes {
		return n, &LimitError{What: "uncompressed bytes in its layers", Limit: c.p.lim.MaxBytes}
	}
	return n, err
}

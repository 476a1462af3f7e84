package audit

import (
	"context"
	"io/fs"
	"sort"
	"time"
)

// Entry is one file of an image, as lstat sees it (links are not followed).
type Entry struct {
	Path     string // absolute, slash-separated
	Mode     fs.FileMode
	UID, GID uint32
	Size     int64
	Linkname string
	// ModTime is zero when the view does not know it.
	ModTime time.Time
	// Xattrs holds the extended attributes the view knows of (security.capability is the one
	// the checks read); nil when it knows none.
	Xattrs map[string][]byte
}

// FS is a read-only view of an image's root filesystem.
type FS interface {
	// ReadDir lists a directory's entries; Path of each is absolute.
	ReadDir(ctx context.Context, dir string) ([]Entry, error)
	// Stat describes one path without following a final symlink.
	Stat(ctx context.Context, p string) (Entry, error)
	// ReadFile returns a file's content.
	ReadFile(ctx context.Context, p string) ([]byte, error)
}

// Walk visits every entry below root in lexical order, directories before their
// contents; it does not follow symlinks, so a link loop cannot trap it.
func Walk(ctx context.Context, fsys FS, root string, fn func(Entry) error) error {
	entries, err := fsys.ReadDir(ctx, root)
	if err != nil {
		return err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path })
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
		if e.Mode.IsDir() {
			if err := Walk(ctx, fsys, e.Path, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// RangeReader is a view that can read part of a file; checks that search large binaries (a
// 100 MB interpreter) use it when the view offers it, instead of holding the file whole.
type RangeReader interface {
	// ReadRange returns up to n bytes from off; fewer at the end of the file.
	ReadRange(ctx context.Context, p string, off int64, n int) ([]byte, error)
}

// SpecialFile names a device, FIFO or socket; "" for anything else. The audit, the artifact
// check and the /app walk all classify special files by it.
func SpecialFile(m fs.FileMode) string {
	switch {
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeSocket != 0:
		return "socket"
	}
	return ""
}

package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// DirFS is an unpacked image root on the local disk.
type DirFS string

// resolve keeps every lookup inside the root, whatever the path says.
func (d DirFS) resolve(p string) string {
	return filepath.Join(string(d), filepath.FromSlash(path.Clean("/"+p)))
}

func (d DirFS) ReadDir(_ context.Context, dir string) ([]Entry, error) {
	des, err := os.ReadDir(d.resolve(dir))
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(des))
	for _, de := range des {
		e, err := d.Stat(context.Background(), path.Join("/", dir, de.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (d DirFS) Stat(_ context.Context, p string) (Entry, error) {
	fi, err := os.Lstat(d.resolve(p))
	if err != nil {
		return Entry{}, err
	}
	e := Entry{Path: path.Clean("/" + p), Mode: fi.Mode(), Size: fi.Size(), ModTime: fi.ModTime()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		e.UID, e.GID = st.Uid, st.Gid
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		e.Linkname, _ = os.Readlink(d.resolve(p))
	} else if capability := lgetxattr(d.resolve(p), xattrCapability); capability != nil {
		e.Xattrs = map[string][]byte{xattrCapability: capability}
	}
	return e, nil
}

func (d DirFS) ReadFile(_ context.Context, p string) ([]byte, error) {
	full := d.resolve(p)
	// A symlink inside an image points inside the image, never at the host.
	if fi, err := os.Lstat(full); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(full)
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(target, "/") {
			target = path.Join(path.Dir(path.Clean("/"+p)), target)
		}
		return d.ReadFile(context.Background(), target)
	}
	return os.ReadFile(full)
}

// ReadRange reads part of a regular file; a link is refused (callers pass paths they resolved
// inside the image), so it never reads outside the root.
func (d DirFS) ReadRange(_ context.Context, p string, off int64, n int) ([]byte, error) {
	full := d.resolve(p)
	fi, err := os.Lstat(full)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", p)
	}
	f, err := os.Open(full)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, n)
	got, err := f.ReadAt(buf, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:got], nil
}

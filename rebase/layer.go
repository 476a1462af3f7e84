package rebase

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/frontend/tool"
)

// stripLayer is the setuid-clearing layer made from the new base.
type stripLayer struct {
	blob   []byte // gzip, as BuildKit compresses a layer by default
	diffID digest.Digest
	paths  []string
}

// newStripLayer makes, from the new base's own files, the layer llb.StripSetuid makes: each setuid or
// setgid file of the base copied onto itself without those bits (a directory with its whole tree), the
// tar written as BuildKit's differ writes it (PAX headers, parents first, no user or group names, times
// in whole seconds). The files are listed by the code the frontend lists them with (tool.SpecialFiles).
// nil when the base has none.
func newStripLayer(ctx context.Context, base audit.FS) (*stripLayer, error) {
	special, err := tool.SpecialFiles(ctx, base)
	if err != nil || len(special) == 0 {
		return nil, err
	}
	include := map[string]audit.Entry{}
	var paths []string
	add := func(e audit.Entry) {
		if _, ok := include[e.Path]; !ok {
			paths = append(paths, e.Path)
		}
		include[e.Path] = e
	}
	for _, f := range special {
		e, err := base.Stat(ctx, f.Path)
		if err != nil {
			return nil, err
		}
		if f.Dir {
			if err := audit.Walk(ctx, base, f.Path, func(c audit.Entry) error { add(c); return nil }); err != nil {
				return nil, err
			}
		}
		add(e)
		for d := path.Dir(f.Path); d != "/"; d = path.Dir(d) {
			pe, err := base.Stat(ctx, d)
			if err != nil {
				return nil, err
			}
			add(pe)
		}
	}
	sort.Strings(paths)
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	for _, p := range paths {
		if err := writeEntry(ctx, tw, base, include[p]); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(tarBuf.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	out := &stripLayer{blob: gz.Bytes(), diffID: digest.FromBytes(tarBuf.Bytes())}
	for _, f := range special {
		out.paths = append(out.paths, f.Path)
	}
	return out, nil
}

// writeEntry writes one path of the base without its setuid and setgid bits.
func writeEntry(ctx context.Context, tw *tar.Writer, base audit.FS, e audit.Entry) error {
	mode := int64(e.Mode.Perm())
	if e.Mode&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	hdr := &tar.Header{
		Name: strings.TrimPrefix(e.Path, "/"), Mode: mode, Uid: int(e.UID), Gid: int(e.GID),
		ModTime: e.ModTime.Truncate(time.Second), Format: tar.FormatPAX,
	}
	var content []byte
	switch {
	case e.Mode.IsDir():
		hdr.Typeflag, hdr.Name = tar.TypeDir, hdr.Name+"/"
	case e.Mode&fs.ModeSymlink != 0:
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, e.Linkname
	case e.Mode.IsRegular():
		dt, err := base.ReadFile(ctx, e.Path)
		if err != nil {
			return err
		}
		hdr.Typeflag, hdr.Size, content = tar.TypeReg, int64(len(dt)), dt
	default:
		return nil // devices and pipes are not in a distroless base; BuildKit copies none into an image
	}
	if c, ok := e.Xattrs["security.capability"]; ok {
		hdr.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": string(c)}
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err := tw.Write(content)
	return err
}

package image

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hardenedbuild/hardened/audit"
)

const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
	xattrPAX       = "SCHILY.xattr."
	capability     = "security.capability"
)

// layerSet is an image's layers with their diff ids, in order: what the index is built from
// and reads contents back from.
type layerSet struct {
	layers  []v1.Layer
	diffIDs []v1.Hash
	lim     Limits
}

// walk streams every layer, bottom first.
func (s *layerSet) walk(ctx context.Context, fn func(int, audit.LayerEntry, io.Reader) error) error {
	p := &pass{lim: s.lim}
	for i := range s.layers {
		err := s.stream(ctx, p, i, func(_ int, e audit.LayerEntry, r io.Reader) error { return fn(i, e, r) })
		if err != nil {
			return err
		}
	}
	return nil
}

// stream reads layer i's tar, calling fn with each entry's ordinal (its position in the tar,
// counting every header) and, for regular files, a reader of its content. A layer whose
// content does not hash to its diff id is an error, after fn has seen it.
func (s *layerSet) stream(ctx context.Context, p *pass, i int, fn func(ordinal int, e audit.LayerEntry, r io.Reader) error) error {
	l := s.layers[i]
	name := fmt.Sprintf("layer %d", i)
	if i < len(s.diffIDs) {
		name += " (" + s.diffIDs[i].String() + ")"
	}
	rc, err := l.Uncompressed()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer rc.Close()
	h := sha256.New()
	tr := tar.NewReader(io.TeeReader(&counter{r: rc, p: p}, h))
	for ordinal := 0; ; ordinal++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return layerError(name, err)
		}
		if err := p.entry(); err != nil {
			return err
		}
		e, ok := normalize(hdr)
		if !ok {
			continue
		}
		var content io.Reader
		if e.Mode.IsRegular() && !e.Hardlink && !e.Whiteout {
			content = tr
		}
		if err := fn(ordinal, e, content); err != nil {
			return err
		}
	}
	// The rest of the stream (tar padding) counts toward the digest.
	if _, err := io.Copy(io.Discard, io.TeeReader(&counter{r: rc, p: p}, h)); err != nil {
		return layerError(name, err)
	}
	if i < len(s.diffIDs) && s.diffIDs[i].Algorithm == "sha256" {
		if got := hex.EncodeToString(h.Sum(nil)); got != s.diffIDs[i].Hex {
			return fmt.Errorf("%s: the content hashes to sha256:%s, not to the config's diff id: the layer is corrupt or not this image's", name, got)
		}
	}
	return nil
}

func layerError(name string, err error) error {
	var le *LimitError
	if errors.As(err, &le) {
		return err
	}
	return fmt.Errorf("%s: reading its tar: %w (the blob is corrupt or not a tar)", name, err)
}

// normalize turns a tar header into an entry with a clean absolute path inside the image; it
// reports false for headers that are no file (the root itself, global headers).
func normalize(hdr *tar.Header) (audit.LayerEntry, bool) {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return audit.LayerEntry{}, false
	}
	// Cleaning under / confines ../ and absolute names to the image, as runtimes do.
	p := path.Clean("/" + hdr.Name)
	if p == "/" {
		return audit.LayerEntry{}, false
	}
	fi := hdr.FileInfo()
	e := audit.LayerEntry{Entry: audit.Entry{
		Path:    p,
		Mode:    fi.Mode(),
		UID:     clampID(hdr.Uid),
		GID:     clampID(hdr.Gid),
		ModTime: hdr.ModTime,
	}}
	base, dir := path.Base(p), path.Dir(p)
	switch {
	case base == opaqueMarker:
		e.Path, e.Opaque, e.Mode = dir, true, fs.ModeDir|0o755
		return e, true
	case strings.HasPrefix(base, whiteoutPrefix):
		e.Path, e.Whiteout = path.Join(dir, strings.TrimPrefix(base, whiteoutPrefix)), true
		return e, e.Path != dir
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		e.Size = hdr.Size
	case tar.TypeLink:
		e.Hardlink = true
		e.Linkname = path.Clean("/" + hdr.Linkname)
		e.Mode = fi.Mode().Perm() | fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)
	case tar.TypeSymlink:
		e.Linkname = hdr.Linkname
	}
	for k, v := range hdr.PAXRecords {
		if strings.TrimPrefix(k, xattrPAX) == capability && strings.HasPrefix(k, xattrPAX) {
			e.Xattrs = map[string][]byte{capability: []byte(v)}
		}
	}
	return e, true
}

func clampID(id int) uint32 {
	if id < 0 || id > int(^uint32(0)) {
		return ^uint32(0)
	}
	return uint32(id)
}

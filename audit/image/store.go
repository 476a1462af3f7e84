package image

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// store is an OCI image layout, in a directory or in a tar archive, read blob by blob.
type store struct {
	name  string
	open  func(rel string) (io.ReadCloser, int64, error)
	lim   Limits
	close func() error
}

// dirStore reads a layout directory. Every name it opens is built from a parsed digest or is
// index.json, so it stays inside the directory.
func dirStore(dir string, lim Limits) *store {
	return &store{name: dir, lim: lim, close: func() error { return nil }, open: func(rel string) (io.ReadCloser, int64, error) {
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return nil, 0, err
		}
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			f.Close()
			return nil, 0, fmt.Errorf("%s is not a regular file", rel)
		}
		return f, fi.Size(), nil
	}}
}

// section is where a file's bytes sit inside an archive.
type section struct{ off, size int64 }

// archiveStore reads a layout packed in a tar: one pass finds where each file is, then blobs
// are read in place. The file stays open for the life of the image.
func archiveStore(file string, lim Limits) (*store, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	files, err := scanArchive(f, lim)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &store{name: file, lim: lim, close: f.Close, open: func(rel string) (io.ReadCloser, int64, error) {
		s, ok := files[rel]
		if !ok {
			return nil, 0, fmt.Errorf("%s: %w", rel, fs.ErrNotExist)
		}
		return io.NopCloser(io.NewSectionReader(f, s.off, s.size)), s.size, nil
	}}, nil
}

// offsetReader tracks how far a tar reader has read, so each entry's data offset is known.
type offsetReader struct {
	r   io.Reader
	off int64
}

func (o *offsetReader) Read(b []byte) (int, error) {
	n, err := o.r.Read(b)
	o.off += int64(n)
	return n, err
}

// scanArchive maps each regular file of a tar to its bytes; names are cleaned, and the archive
// is refused past the entry limit.
func scanArchive(r io.Reader, lim Limits) (map[string]section, error) {
	or := &offsetReader{r: r}
	tr := tar.NewReader(or)
	files := map[string]section{}
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading the archive: %w (not a tar, or corrupt)", err)
		}
		if n > lim.MaxEntries {
			return nil, &LimitError{What: "entries in the archive", Limit: int64(lim.MaxEntries)}
		}
		if hdr.Typeflag == tar.TypeReg || hdr.Typeflag == tar.TypeRegA {
			rel := path.Clean("/" + hdr.Name)[1:]
			files[rel] = section{off: or.off, size: hdr.Size}
		}
	}
}

// isLayout says whether a store holds an OCI layout (an index.json).
func (s *store) isLayout() bool {
	rc, _, err := s.open("index.json")
	if err != nil {
		return false
	}
	rc.Close()
	return true
}

// readAll reads a small file of the store whole, bounded.
func (s *store) readAll(rel string) ([]byte, error) {
	rc, size, err := s.open(rel)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if size > s.lim.MaxMetadata {
		return nil, &LimitError{What: "bytes in " + rel, Limit: s.lim.MaxMetadata}
	}
	return io.ReadAll(io.LimitReader(rc, s.lim.MaxMetadata+1))
}

func blobPath(h v1.Hash) string { return path.Join("blobs", h.Algorithm, h.Hex) }

// blob reads a small blob (manifest, index, config) whole and checks its digest.
func (s *store) blob(h v1.Hash) ([]byte, error) {
	d, err := s.readAll(blobPath(h))
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", h, err)
	}
	if h.Algorithm == "sha256" {
		if sum := sha256.Sum256(d); hex.EncodeToString(sum[:]) != h.Hex {
			return nil, fmt.Errorf("blob %s is corrupt: its content does not match its digest", h)
		}
	}
	return d, nil
}

// verified checks a streamed blob against its digest and size at the end.
type verified struct {
	rc    io.ReadCloser
	h     hash.Hash
	want  v1.Hash
	size  int64
	n     int64
	check bool
}

func (v *verified) Read(b []byte) (int, error) {
	n, err := v.rc.Read(b)
	v.n += int64(n)
	if v.check {
		v.h.Write(b[:n])
	}
	if errors.Is(err, io.EOF) {
		if v.size >= 0 && v.n != v.size {
			return n, fmt.Errorf("blob %s is %d bytes, but its descriptor says %d", v.want, v.n, v.size)
		}
		if v.check && hex.EncodeToString(v.h.Sum(nil)) != v.want.Hex {
			return n, fmt.Errorf("blob %s is corrupt: its content does not match its digest", v.want)
		}
	}
	return n, err
}

func (v *verified) Close() error { return v.rc.Close() }

// index is the store's index.json, or a nested index blob.
func (s *store) index(desc *v1.Descriptor) (*storeIndex, error) {
	var raw []byte
	var err error
	if desc == nil {
		raw, err = s.readAll("index.json")
	} else {
		raw, err = s.blob(desc.Digest)
	}
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil && json.Valid(raw) {
		// JSON that parses but holds a field OCI does not allow, most often a malformed digest.
		return nil, fmt.Errorf("the index is JSON but not a valid OCI index: %w; a digest is ALGORITHM:HEX, e.g. sha256: and 64 hex digits", err)
	}
	if err != nil {
		return nil, fmt.Errorf("the index is not valid JSON: %w", err)
	}
	return &storeIndex{s: s, m: m}, nil
}

// storeIndex is an index read from a store.
type storeIndex struct {
	s *store
	m *v1.IndexManifest
}

func (x *storeIndex) IndexManifest() (*v1.IndexManifest, error) { return x.m, nil }

func (x *storeIndex) child(h v1.Hash) (indexReader, error) {
	d, err := x.find(h)
	if err != nil {
		return nil, err
	}
	return x.s.index(&d)
}

func (x *storeIndex) Image(h v1.Hash) (v1.Image, error) {
	d, err := x.find(h)
	if err != nil {
		return nil, err
	}
	raw, err := x.s.blob(h)
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("manifest %s is not valid JSON: %w", h, err)
	}
	return partial.CompressedToImage(&storeImage{s: x.s, desc: d, raw: raw, m: m})
}

func (x *storeIndex) find(h v1.Hash) (v1.Descriptor, error) {
	for _, d := range x.m.Manifests {
		if d.Digest == h {
			return d, nil
		}
	}
	return v1.Descriptor{}, fmt.Errorf("%s is not in the index", h)
}

// storeImage is an image manifest of a store; partial fills in the rest of v1.Image.
type storeImage struct {
	s    *store
	desc v1.Descriptor
	raw  []byte
	m    *v1.Manifest
}

func (i *storeImage) RawManifest() ([]byte, error) { return i.raw, nil }

func (i *storeImage) MediaType() (types.MediaType, error) {
	if i.m.MediaType != "" {
		return i.m.MediaType, nil
	}
	return i.desc.MediaType, nil
}

func (i *storeImage) RawConfigFile() ([]byte, error) { return i.s.blob(i.m.Config.Digest) }

func (i *storeImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	for _, l := range i.m.Layers {
		if l.Digest == h {
			return &storeLayer{s: i.s, desc: l}, nil
		}
	}
	if i.m.Config.Digest == h {
		return &storeLayer{s: i.s, desc: i.m.Config}, nil
	}
	return nil, fmt.Errorf("layer %s is not in the manifest", h)
}

// storeLayer is a layer blob of a store, verified as it is read.
type storeLayer struct {
	s    *store
	desc v1.Descriptor
}

func (l *storeLayer) Digest() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l *storeLayer) Size() (int64, error)                { return l.desc.Size, nil }
func (l *storeLayer) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }

func (l *storeLayer) Compressed() (io.ReadCloser, error) {
	rc, size, err := l.s.open(blobPath(l.desc.Digest))
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", l.desc.Digest, err)
	}
	if size != l.desc.Size {
		rc.Close()
		return nil, fmt.Errorf("blob %s is %d bytes, but its descriptor says %d", l.desc.Digest, size, l.desc.Size)
	}
	return &verified{rc: rc, h: sha256.New(), want: l.desc.Digest, size: size, check: l.desc.Digest.Algorithm == "sha256"}, nil
}

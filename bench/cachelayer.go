package main

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// depsLayerBytes is what the dependency layer costs in a registry cache: the compressed size of the cache's
// layers at ref holding a file under prefix (the layer's directory, as example.DepsLayer names it). A registry
// cache lists its layers without saying which step made them, so the layer is found by what it holds.
func depsLayerBytes(ctx context.Context, ref, prefix string) (int64, error) {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return 0, err
	}
	img, err := remote.Image(r, remote.WithContext(ctx))
	if err != nil {
		return 0, err
	}
	layers, err := img.Layers()
	if err != nil {
		return 0, err
	}
	var total int64
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			return 0, err
		}
		ok, err := holdsPath(rc, prefix)
		rc.Close()
		if err != nil {
			return 0, err
		}
		if ok {
			size, err := l.Size()
			if err != nil {
				return 0, err
			}
			total += size
		}
	}
	return total, nil
}

// holdsPath says whether the tar stream has an entry under prefix (a whiteout there counts: it is the layer's too).
func holdsPath(r io.Reader, prefix string) (bool, error) {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if strings.HasPrefix(strings.TrimPrefix(strings.TrimPrefix(h.Name, "./"), "/"), prefix) {
			return true, nil
		}
	}
}

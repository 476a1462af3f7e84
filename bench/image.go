package main

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// ImageStats describes one image as a deployment sees it.
type ImageStats struct {
	Ref    string `json:"ref"`
	Digest string `json:"digest"`
	Layers int    `json:"layers"`
	// Compressed is what a pull transfers: layers, config and manifest.
	Compressed   int64    `json:"compressed_bytes"`
	Uncompressed int64    `json:"uncompressed_bytes"`
	Files        int      `json:"files,omitempty"` // entries that are not directories, in the flattened filesystem
	LayerDigests []string `json:"layer_digests"`
	layerSizes   map[string]int64
}

// imageStats reads ref from the (plain HTTP) bench registry; withFiles also flattens it to count files.
func imageStats(ctx context.Context, ref string, withFiles bool) (*ImageStats, error) {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return nil, err
	}
	desc, err := remote.Get(r, remote.WithContext(ctx), remote.WithPlatform(v1.Platform{OS: "linux", Architecture: runtime.GOARCH}))
	if err != nil {
		return nil, err
	}
	img, err := desc.Image()
	if err != nil {
		return nil, err
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	raw, _ := img.RawManifest()
	dg, _ := img.Digest()
	s := &ImageStats{Ref: ref, Digest: dg.String(), Layers: len(m.Layers), layerSizes: map[string]int64{}}
	s.Compressed = int64(len(raw)) + m.Config.Size
	for _, l := range m.Layers {
		s.Compressed += l.Size
		s.LayerDigests = append(s.LayerDigests, l.Digest.String())
		s.layerSizes[l.Digest.String()] = l.Size
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			return nil, err
		}
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("layer of %s: %w", ref, err)
		}
		s.Uncompressed += n
	}
	if withFiles {
		if s.Files, err = countFiles(img); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func countFiles(img v1.Image) (int, error) {
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	n := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
		if h.Typeflag != tar.TypeDir {
			n++
		}
	}
}

// deployDelta is what a node holding before pulls to run after: the layers it lacks, the config and the manifest.
func deployDelta(before, after *ImageStats) int64 {
	have := map[string]bool{}
	for _, d := range before.LayerDigests {
		have[d] = true
	}
	var n int64
	for _, d := range after.LayerDigests {
		if !have[d] {
			n += after.layerSizes[d]
		}
	}
	// Config and manifest always change with the app.
	return n + (after.Compressed - layersTotal(after))
}

func layersTotal(s *ImageStats) int64 {
	var n int64
	for _, d := range s.LayerDigests {
		n += s.layerSizes[d]
	}
	return n
}

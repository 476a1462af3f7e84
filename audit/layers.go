package audit

import (
	"context"
	"fmt"
	"io"
	"strings"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// readLayers lists every layer's entries and, when scan is set, searches every file for secrets.
func readLayers(ctx context.Context, ls Layers, cfg *dockerspec.DockerOCIImage, scan bool) (*layerData, error) {
	ld := &layerData{origin: map[string]int{}}
	for _, d := range cfg.RootFS.DiffIDs {
		ld.diffIDs = append(ld.diffIDs, d.String())
	}
	err := ls.Walk(ctx, func(i int, e LayerEntry, content io.Reader) error {
		if i < 0 || i < len(ld.entries)-1 {
			return fmt.Errorf("layer %d out of order", i)
		}
		for len(ld.entries) <= i { // an empty layer has no entries to announce it
			ld.entries = append(ld.entries, nil)
			ld.bytes = append(ld.bytes, 0)
		}
		e.Xattrs = capabilityOnly(e.Xattrs)
		ld.entries[i] = append(ld.entries[i], e)
		if e.Mode.IsRegular() && !e.Hardlink && !e.Whiteout {
			ld.bytes[i] += e.Size
			if !scan {
				return nil
			}
			hits, err := scanSecrets(e.Path, e.Size, readerContent(content, e.Size), scanNames|scanContents)
			if err != nil {
				return fmt.Errorf("layer %d: %s: %w", i, e.Path, err)
			}
			for _, h := range hits {
				h.layer = i
				ld.hits = append(ld.hits, h)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, entries := range ld.entries {
		ld.replay(i, entries)
	}
	return ld, nil
}

// replay applies one layer to origin: deletions of lower layers first, then its own entries.
func (ld *layerData) replay(i int, entries []LayerEntry) {
	for _, e := range entries {
		switch {
		case e.Opaque:
			ld.deleteBelow(e.Path, false)
		case e.Whiteout:
			ld.deleteBelow(e.Path, true)
		}
	}
	for _, e := range entries {
		if !e.Whiteout && !e.Opaque {
			ld.origin[e.Path] = i
		}
	}
}

func (ld *layerData) deleteBelow(dir string, self bool) {
	if self {
		delete(ld.origin, dir)
	}
	prefix := strings.TrimSuffix(dir, "/") + "/"
	for p := range ld.origin {
		if strings.HasPrefix(p, prefix) {
			delete(ld.origin, p)
		}
	}
}

func (ld *layerData) ref(i int) *LayerRef {
	r := &LayerRef{Index: i}
	if i < len(ld.diffIDs) {
		r.Digest = ld.diffIDs[i]
	}
	return r
}

// capabilityOnly keeps the one extended attribute the checks read, so layer listings stay small.
func capabilityOnly(x map[string][]byte) map[string][]byte {
	if v, ok := x[xattrCapability]; ok {
		return map[string][]byte{xattrCapability: v}
	}
	return nil
}

func newBaseData(ctx context.Context, base *Target, cfg *dockerspec.DockerOCIImage) (*baseData, error) {
	b := &baseData{target: base, files: map[string]Entry{}}
	files, err := walkAll(ctx, base.FS)
	if err != nil {
		return nil, err
	}
	for _, e := range files {
		b.files[e.Path] = e
	}
	if base.Config != nil {
		for _, d := range base.Config.RootFS.DiffIDs {
			b.diffIDs = append(b.diffIDs, d.String())
		}
		bh, h := base.Config.History, cfg.History
		if len(bh) <= len(h) {
			b.history = len(bh)
			for i := range bh {
				if bh[i].CreatedBy != h[i].CreatedBy {
					b.history = 0
					break
				}
			}
		}
	}
	own := cfg.RootFS.DiffIDs
	b.prefix = len(b.diffIDs) <= len(own)
	for i, d := range b.diffIDs {
		if !b.prefix || own[i].String() != d {
			b.prefix = false
			break
		}
	}
	return b, nil
}

// layerData is what the layers hold, entry by entry.
type layerData struct {
	diffIDs []string
	entries [][]LayerEntry
	bytes   []int64
	// origin maps each path of the merged filesystem to the layer that wrote its final version.
	origin map[string]int
	hits   []secretHit
}

// baseData is the base a report is narrowed to.
type baseData struct {
	target  *Target
	diffIDs []string
	// prefix says the base's layers are the target's bottom layers, so a layer index decides
	// what is added; otherwise files are compared by metadata.
	prefix  bool
	files   map[string]Entry
	history int
}

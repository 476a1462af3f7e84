package stack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// sharedLayer is one layer written in this run: stand-ins with the same base or toolchain layer get the same
// file, so the registry and buildkitd hold those bytes once.
type sharedLayer struct {
	once  sync.Once
	layer v1.Layer
	err   error
}

// layerKey names a layer recipe by what decides its content.
func layerKey(l layerRecipe) string {
	h := sha256.New()
	fmt.Fprintf(h, "recipe %s\nlayer %s\n", recipeVersion, l.createdBy)
	for _, k := range l.key {
		fmt.Fprintf(h, "  %s\n", k)
	}
	return hex.EncodeToString(h.Sum(nil))[:24]
}

// layer builds a recipe's layer, or returns the one an earlier stand-in of this run built from the same key.
func (b *builder) layer(ctx context.Context, l layerRecipe, scratch string) (v1.Layer, error) {
	key := layerKey(l)
	b.layersMu.Lock()
	if b.layerDir == "" {
		dir, err := os.MkdirTemp(filepath.Join(b.cacheDir, "tmp"), "layers-")
		if err != nil {
			b.layersMu.Unlock()
			return nil, err
		}
		b.layerDir = dir
	}
	s, ok := b.layers[key]
	if !ok {
		s = &sharedLayer{}
		b.layers[key] = s
	}
	dir := b.layerDir
	b.layersMu.Unlock()
	s.once.Do(func() {
		t, opt, err := l.build(ctx, b, scratch)
		if err != nil {
			s.err = err
			return
		}
		s.layer, s.err = writeLayer(t, filepath.Join(dir, key+".tar.gz"), opt)
	})
	if s.err != nil {
		return nil, fmt.Errorf("layer %q: %w", l.createdBy, s.err)
	}
	return s.layer, nil
}

// close removes the layers of this run: every stand-in that used them has copied them into its cache entry.
func (b *builder) close() {
	b.layersMu.Lock()
	defer b.layersMu.Unlock()
	if b.layerDir != "" {
		os.RemoveAll(b.layerDir)
	}
}

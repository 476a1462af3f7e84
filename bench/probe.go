package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// withoutProbe builds A once more from its hardened.yaml less the probe's text and measures that image: what A
// is with no more than B has (B has no HEALTHCHECK). The context is restored afterwards.
func (b *bench) withoutProbe(ctx context.Context, probe string) (*ImageStats, error) {
	spec := filepath.Join(b.ws.ctx, "hardened.yaml")
	orig := b.ws.orig["hardened.yaml"]
	if !bytes.Contains(orig, []byte(probe)) {
		return nil, fmt.Errorf("%s/hardened.yaml no longer has the healthcheck %q", b.ws.ex.dir(), probe)
	}
	if err := os.WriteFile(spec, bytes.Replace(orig, []byte(probe), nil, 1), 0o644); err != nil {
		return nil, err
	}
	a := variants[0]
	r := b.build(ctx, a, buildOpts{tag: "warm-noprobe"})
	if err := os.WriteFile(spec, orig, 0o644); err != nil {
		return nil, err
	}
	if r.Error != "" {
		return nil, fmt.Errorf("A without its probe: %s", r.Error)
	}
	return imageStats(ctx, b.image(a, "warm-noprobe"), true)
}

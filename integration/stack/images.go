package stack

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// A standIn is a base image the builds need that no registry reachable here serves, made from real Debian
// packages. Recipes live in standins.go.
type standIn struct {
	// name names the cache entry, e.g. "golang-1.26.8".
	name      string
	platforms []v1.Platform
	// layers resolves what one platform's layers are made of (package versions, toolchain version, ...) and
	// returns how to produce them. It does no slow work: its keys decide whether the cache holds the image.
	layers func(ctx context.Context, b *builder, p v1.Platform) ([]layerRecipe, error)
	// tags are the real references the image is pushed as, each with the configuration it carries.
	tags []tag
	// facts are what layers found out and configs read (a package's version), kept apart so a test can set them.
	facts map[string]string
}

type layerRecipe struct {
	// key lists everything that decides the layer's content.
	key []string
	// createdBy is the layer's history entry.
	createdBy string
	// build produces the layer's files; scratch is an empty directory it may use until the layer is written.
	build func(ctx context.Context, b *builder, scratch string) (*tree, writeOptions, error)
}

type tag struct {
	ref    string
	config func(p v1.Platform) v1.Config
}

// refAnnotation names each index in a stand-in's cached OCI layout.
const refAnnotation = "org.opencontainers.image.ref.name"

// builder builds stand-ins into the cache and reuses them.
type builder struct {
	cacheDir string
	log      *logWriter
	aptMu    sync.Mutex // stand-ins build concurrently; each suite's apt lists are prepared once
	apts     map[string]*aptRoot
	rootfsMu sync.Mutex // one debootstrap per suite and architecture
	// layers holds the layers built in this run by key, so stand-ins that share a layer write it once.
	layersMu sync.Mutex
	layers   map[string]*sharedLayer
	layerDir string
}

func newBuilder(cacheDir string, log *logWriter) *builder {
	return &builder{cacheDir: cacheDir, log: log, apts: map[string]*aptRoot{}, layers: map[string]*sharedLayer{}}
}

// aptRoot returns the private apt configuration of a Debian suite, refreshing its lists on first use.
func (b *builder) aptRoot(ctx context.Context, suite string) (*aptRoot, error) {
	b.aptMu.Lock()
	defer b.aptMu.Unlock()
	if a, ok := b.apts[suite]; ok {
		return a, nil
	}
	dir := filepath.Join(b.cacheDir, "apt-"+suite)
	a := &aptRoot{suite: suite, dir: dir, mirrors: hostDebianMirrors(suite), log: b.log}
	if err := a.prepare(ctx); err != nil {
		return nil, fmt.Errorf("preparing apt under %s: %w", dir, err)
	}
	b.apts[suite] = a
	return a, nil
}

// ensure returns the stand-in's image indexes by reference, from the cache when it holds the recipe's key and
// built (then cached) otherwise.
func (b *builder) ensure(ctx context.Context, s standIn) (map[string]v1.ImageIndex, error) {
	recipes := make([][]layerRecipe, len(s.platforms))
	h := sha256.New()
	fmt.Fprintf(h, "recipe %s\nstand-in %s\n", recipeVersion, s.name)
	for i, p := range s.platforms {
		lr, err := s.layers(ctx, b, p)
		if err != nil {
			return nil, fmt.Errorf("stand-in %s for %s: %w", s.name, p, err)
		}
		recipes[i] = lr
		fmt.Fprintf(h, "platform %s\n", p.String())
		for _, l := range lr {
			fmt.Fprintf(h, "layer %s\n", l.createdBy)
			for _, k := range l.key {
				fmt.Fprintf(h, "  %s\n", k)
			}
		}
		for _, t := range s.tags {
			cfg, _ := json.Marshal(t.config(p))
			fmt.Fprintf(h, "tag %s %s\n", t.ref, cfg)
		}
	}
	key := hex.EncodeToString(h.Sum(nil))[:16]
	root := filepath.Join(b.cacheDir, "standins")
	dir := filepath.Join(root, s.name+"-"+key)
	unlock, err := lockFile(filepath.Join(root, s.name+".lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err != nil {
		done := b.log.step("building stand-in %s (key %s)", s.name, key)
		if err := b.build(ctx, s, recipes, dir); err != nil {
			return nil, fmt.Errorf("building stand-in %s: %w", s.name, err)
		}
		done()
		pruneOtherKeys(root, s.name, dir)
	}
	return loadLayout(dir)
}

func (b *builder) build(ctx context.Context, s standIn, recipes [][]layerRecipe, dir string) error {
	tmpRoot := filepath.Join(b.cacheDir, "tmp")
	if err := os.MkdirAll(tmpRoot, 0o755); err != nil {
		return err
	}
	work, err := os.MkdirTemp(tmpRoot, s.name+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	byTag := make([][]mutate.IndexAddendum, len(s.tags))
	for i, p := range s.platforms {
		var adds []mutate.Addendum
		for j, l := range recipes[i] {
			scratch := filepath.Join(work, fmt.Sprintf("scratch-%d-%d", i, j))
			if err := os.Mkdir(scratch, 0o755); err != nil {
				return err
			}
			layer, err := b.layer(ctx, l, scratch)
			if err != nil {
				return fmt.Errorf("%s layer %q: %w", p, l.createdBy, err)
			}
			adds = append(adds, mutate.Addendum{
				Layer:     layer,
				MediaType: types.OCILayer,
				History:   v1.History{Created: v1.Time{Time: epoch}, CreatedBy: l.createdBy},
			})
		}
		for k, t := range s.tags {
			img, err := newImage(p, t.config(p), adds)
			if err != nil {
				return err
			}
			pl := p
			byTag[k] = append(byTag[k], mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &pl}})
		}
	}
	out := filepath.Join(work, "layout")
	lp, err := layout.Write(out, empty.Index)
	if err != nil {
		return err
	}
	for k, t := range s.tags {
		idx := mutate.AppendManifests(empty.Index, byTag[k]...)
		if err := lp.AppendIndex(idx, layout.WithAnnotations(map[string]string{refAnnotation: t.ref})); err != nil {
			return fmt.Errorf("writing %s to the cache: %w", t.ref, err)
		}
	}
	os.RemoveAll(dir)
	return os.Rename(out, dir)
}

// pruneOtherKeys removes cache entries of the same stand-in made from older recipes.
func pruneOtherKeys(root, name, keep string) {
	old, _ := filepath.Glob(filepath.Join(root, name+"-*"))
	for _, d := range old {
		if d != keep && len(filepath.Base(d)) == len(name)+17 {
			os.RemoveAll(d)
		}
	}
}

func loadLayout(dir string) (map[string]v1.ImageIndex, error) {
	ii, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("reading cached stand-in %s: %w", dir, err)
	}
	im, err := ii.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading cached stand-in %s: %w", dir, err)
	}
	out := map[string]v1.ImageIndex{}
	for _, d := range im.Manifests {
		idx, err := ii.ImageIndex(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("reading cached stand-in %s: %w", dir, err)
		}
		out[d.Annotations[refAnnotation]] = idx
	}
	return out, nil
}

// writeLayer writes the tree as a gzip-compressed (fastest level) tar file and returns it as an OCI layer backed by that file.
func writeLayer(t *tree, file string, opt writeOptions) (v1.Layer, error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	// The fastest level: a stand-in is pulled from a registry on this machine, and compressing
	// is the CPU a cold start spends most on after the bootstraps (763 MB of rust: 21 s at the
	// default level, 7 s at this one).
	zw, err := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	if err != nil {
		f.Close()
		return nil, err
	}
	err = t.writeTar(zw, opt)
	if err == nil {
		err = zw.Close()
	}
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("writing layer %s: %w", file, err)
	}
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return os.Open(file) }, tarball.WithMediaType(types.OCILayer))
}

// newImage assembles an OCI image for one platform; os and architecture are set, or BuildKit refuses to export
// anything built on it ("missing architecture").
func newImage(p v1.Platform, cfg v1.Config, layers []mutate.Addendum) (v1.Image, error) {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.Append(img, layers...)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Config = cfg
	cf.Created = v1.Time{Time: epoch}
	return mutate.ConfigFile(img, cf)
}

// mirroredTag is where a real reference lives in the local registry: BuildKit's mirror for docker.io, gcr.io and
// ghcr.io looks up the same repository path there ("docker.io/library/golang:1.26" -> "REGISTRY/library/golang:1.26").
func mirroredTag(registry, ref string) (name.Tag, error) {
	t, err := name.NewTag(ref)
	if err != nil {
		return name.Tag{}, err
	}
	return name.NewTag(registry+"/"+t.RepositoryStr()+":"+t.TagStr(), name.Insecure)
}

// pushIndex pushes idx to the local registry under the real reference ref unless it is there already, and says
// whether it pushed.
func pushIndex(ctx context.Context, registry, ref string, idx v1.ImageIndex) (bool, error) {
	target, err := mirroredTag(registry, ref)
	if err != nil {
		return false, err
	}
	want, err := idx.Digest()
	if err != nil {
		return false, err
	}
	if d, err := remote.Head(target, remote.WithContext(ctx)); err == nil && d.Digest == want {
		return false, nil
	}
	if err := remote.WriteIndex(target, idx, remote.WithContext(ctx)); err != nil {
		return false, fmt.Errorf("pushing %s as %s: %w", ref, target, err)
	}
	return true, nil
}

// shortDigest is the first 12 hex digits of a digest, for logs.
func shortDigest(h v1.Hash) string {
	return strings.TrimPrefix(h.String(), "sha256:")[:12]
}

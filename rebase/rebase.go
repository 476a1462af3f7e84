package rebase

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/containerd/platforms"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/audit/image"
	hllb "github.com/hardenedbuild/hardened/llb"
)

// Options are a rebase's inputs besides the image.
type Options struct {
	// Base is the new base, pinned: REF@sha256:...
	Base string
	// From is the repository to read the image's current base from (a mirror); by default the
	// repository its base.name label names. Its digest is always the base.digest label's.
	From string
	// BaseName is the base.name label to write; by default Base as given, as the frontend labels a
	// --build-context base (frontend/images.go overrideName). A lock's entry names the spec's image.
	BaseName string
	// Tag is where the result is pushed; by default the image's own reference.
	Tag    string
	Remote []remote.Option
}

// Platform is what the rebase did for one platform image.
type Platform struct {
	Platform, From, Digest string
	// Glibc is the new base's libc6 version when the app is dynamically linked.
	Glibc string
	// Stripped lists the new base's setuid/setgid paths the regenerated layer clears.
	Stripped []string
}

// Result is the pushed index and its platform images.
type Result struct {
	Ref, Digest string
	BaseName    string
	BaseDigest  string
	Platforms   []Platform
}

// source is one platform image to rebase.
type source struct {
	ref      name.Reference
	img      v1.Image
	digest   string
	platform v1.Platform
	// atts is the image's attestation manifest in its index, nil without one.
	atts v1.Image
}

// Rebase moves every platform image of ref onto o.Base, attests each again and pushes the index to
// o.Tag. Nothing is pushed until every platform has been rebased and checked.
func Rebase(ctx context.Context, ref string, o Options) (*Result, error) {
	baseRef, err := name.NewDigest(o.Base)
	if err != nil {
		return nil, refuse(o.Base, "", "pin the new base by digest: --base REF@sha256:... (docker buildx imagetools inspect REF prints it)",
			"--base names no digest (%v)", err)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", ref, err)
	}
	tag := r
	if _, byDigest := r.(name.Digest); byDigest && o.Tag == "" {
		return nil, fmt.Errorf("%s names the image by digest, where the rebased image cannot be pushed; give --tag REF", ref)
	}
	if o.Tag != "" {
		if tag, err = name.ParseReference(o.Tag); err != nil {
			return nil, fmt.Errorf("--tag %s: %v", o.Tag, err)
		}
	}
	srcs, err := platformImages(r, o.Remote)
	if err != nil {
		return nil, err
	}
	bases, err := platformImages(baseRef, o.Remote)
	if err != nil {
		return nil, err
	}
	res := &Result{Ref: tag.String(), BaseName: o.BaseName, BaseDigest: baseRef.DigestStr()}
	if res.BaseName == "" {
		res.BaseName = o.Base
	}
	var outs []rebased
	for _, s := range srcs {
		b, ok := pick(bases, s.platform)
		if !ok {
			return nil, refuse(baseRef.Context().String(), baseRef.DigestStr(), "rebase onto a base that has every platform of the image, or "+rebuild,
				"the base has no %s image, which %s has (every platform is rebased, or none)", s.platform.String(), ref)
		}
		out, err := rebaseOne(ctx, s, b, res, o)
		if err != nil {
			return nil, err
		}
		out.att, err = attest(ctx, out, s, res, tag)
		if err != nil {
			return nil, err
		}
		outs = append(outs, *out)
		res.Platforms = append(res.Platforms, out.info)
	}
	idx, err := index(outs)
	if err != nil {
		return nil, err
	}
	if err := remote.WriteIndex(tag, idx, o.Remote...); err != nil {
		return nil, fmt.Errorf("pushing %s: %w", tag, err)
	}
	d, err := idx.Digest()
	if err != nil {
		return nil, err
	}
	res.Digest = d.String()
	return res, nil
}

// platformImages lists the platform images of ref (one, for a manifest), skipping attestations.
func platformImages(ref name.Reference, opts []remote.Option) ([]source, error) {
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read it from the registry: %w", ref, err)
	}
	if !desc.MediaType.IsIndex() {
		img, err := desc.Image()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		p := cf.Platform()
		if p == nil {
			p = &v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}
		}
		return []source{{ref: ref, img: img, digest: desc.Digest.String(), platform: *p}}, nil
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	var out []source
	for _, m := range im.Manifests {
		if m.Annotations["vnd.docker.reference.type"] != "" || m.Platform == nil || !m.MediaType.IsImage() {
			continue
		}
		img, err := idx.Image(m.Digest)
		if err != nil {
			return nil, fmt.Errorf("%s@%s: %w", ref.Context(), m.Digest, err)
		}
		out = append(out, source{ref: ref, img: img, digest: m.Digest.String(), platform: *m.Platform})
	}
	for _, m := range im.Manifests {
		for i := range out {
			if m.Annotations["vnd.docker.reference.type"] == "attestation-manifest" && m.Annotations["vnd.docker.reference.digest"] == out[i].digest {
				if out[i].atts, err = idx.Image(m.Digest); err != nil {
					return nil, fmt.Errorf("%s@%s: %w", ref.Context(), m.Digest, err)
				}
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s@%s: the index lists no platform image", ref, desc.Digest)
	}
	return out, nil
}

func pick(list []source, p v1.Platform) (source, bool) {
	for _, s := range list {
		if platformKey(s.platform) == platformKey(p) {
			return s, true
		}
	}
	return source{}, false
}

// platformKey is a platform as hardened.lock keys it (linux/arm64 for arm64/v8).
func platformKey(p v1.Platform) string {
	return platforms.Format(platforms.Normalize(ocispecs.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}))
}

// rebased is one platform image made on the new base, before it is pushed.
type rebased struct {
	img      v1.Image
	target   *audit.Target
	platform v1.Platform
	info     Platform
	att      v1.Image
}

// parsed is an image's config, raw and read.
func configOf(img v1.Image) ([]byte, *dockerspec.DockerOCIImage, error) {
	raw, err := img.RawConfigFile()
	if err != nil {
		return nil, nil, err
	}
	var c dockerspec.DockerOCIImage
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, nil, err
	}
	return raw, &c, nil
}

// rebaseOne makes one platform image on its new base: the image's evidence decides whether it may be
// (eligible), the setuid-clearing layer is made from the new base, the app's layers are kept.
func rebaseOne(ctx context.Context, s, b source, res *Result, o Options) (*rebased, error) {
	_, cfg, err := configOf(s.img)
	if err != nil {
		return nil, fmt.Errorf("%s@%s: %w", s.ref.Context(), s.digest, err)
	}
	_, baseCfg, err := configOf(b.img)
	if err != nil {
		return nil, fmt.Errorf("%s@%s: %w", b.ref.Context(), b.digest, err)
	}
	e, err := eligible(ctx, s, b, cfg, o)
	if err != nil {
		return nil, err
	}
	out := &rebased{platform: s.platform, info: Platform{Platform: platformKey(s.platform), From: s.digest, Glibc: e.glibc}}
	strip, err := newStripLayer(ctx, e.newBase.FS)
	if err != nil {
		return nil, fmt.Errorf("%s@%s: listing its setuid/setgid files: %w", b.ref.Context(), b.digest, err)
	}
	bm, err := b.img.Manifest()
	if err != nil {
		return nil, err
	}
	im, err := s.img.Manifest()
	if err != nil {
		return nil, err
	}
	if len(im.Layers) != len(cfg.RootFS.DiffIDs) {
		return nil, fmt.Errorf("%s@%s: the manifest has %d layers and the config %d", s.ref.Context(), s.digest, len(im.Layers), len(cfg.RootFS.DiffIDs))
	}
	layers := map[v1.Hash]partial.CompressedLayer{}
	var descs []ocispecs.Descriptor
	diffIDs := append([]digest.Digest(nil), baseCfg.RootFS.DiffIDs...)
	add := func(img v1.Image, d v1.Descriptor) error {
		l, err := img.LayerByDigest(d.Digest)
		if err != nil {
			return err
		}
		layers[d.Digest] = l
		descs = append(descs, ocispecs.Descriptor{MediaType: ociLayerType(string(d.MediaType)), Digest: digest.Digest(d.Digest.String()), Size: d.Size, Annotations: d.Annotations})
		return nil
	}
	for _, d := range bm.Layers {
		if err := add(b.img, d); err != nil {
			return nil, err
		}
	}
	for _, i := range e.lay.appLayers {
		if err := add(s.img, im.Layers[i]); err != nil {
			return nil, err
		}
		diffIDs = append(diffIDs, cfg.RootFS.DiffIDs[i])
	}
	// On top, as the frontend's verify step leaves it when a build writes its check report.
	if strip != nil {
		sb := blob{data: strip.blob, mt: "application/vnd.oci.image.layer.v1.tar+gzip"}
		h, _ := sb.Digest()
		layers[h] = sb
		descs = append(descs, ocispecs.Descriptor{MediaType: string(sb.mt), Digest: digest.Digest(h.String()), Size: int64(len(strip.blob))})
		diffIDs = append(diffIDs, strip.diffID)
		out.info.Stripped = strip.paths
	}
	config, err := newConfig(configInput{image: cfg, oldBase: e.oldBase, newBase: baseCfg, lay: e.lay, strip: strip != nil,
		diffIDs: diffIDs, baseName: res.BaseName, baseDigest: res.BaseDigest})
	if err != nil {
		return nil, fmt.Errorf("%s@%s: %w", s.ref.Context(), s.digest, err)
	}
	m := ocispecs.Manifest{MediaType: ocispecs.MediaTypeImageManifest, Layers: descs,
		Config: ocispecs.Descriptor{MediaType: ocispecs.MediaTypeImageConfig, Digest: digest.FromBytes(config), Size: int64(len(config))}}
	m.SchemaVersion = 2
	if out.img, err = newRawImage(m, config, layers); err != nil {
		return nil, err
	}
	return out, check(ctx, out, s)
}

// check reads the new image as hardened check would and holds it to the guarantees of every build.
func check(ctx context.Context, out *rebased, s source) error {
	t, err := image.FromImage(ctx, out.img)
	if err != nil {
		return err
	}
	d, err := out.img.Digest()
	if err != nil {
		return err
	}
	t.Name, t.Digest = s.ref.Context().String(), d.String()
	out.info.Digest = d.String()
	out.target = t
	if err := audit.VerifyChecks(ctx, t, audit.Guarantees...); err != nil {
		return fmt.Errorf("%s: the rebased image (%s) fails its guarantees: %w", s.ref.Context(), d, err)
	}
	return nil
}

// labelsOf is the image's base labels.
func labelsOf(c *dockerspec.DockerOCIImage) (string, string) {
	return c.Config.Labels[hllb.LabelBaseName], c.Config.Labels[hllb.LabelBaseDigest]
}

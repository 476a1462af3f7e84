package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/audit"
)

// Kind is where an image is read from.
type Kind int

const (
	Registry      Kind = iota // a reference, pulled with go-containerregistry's remote
	Layout                    // an OCI image layout directory
	OCIArchive                // an OCI image layout in a tar
	DockerArchive             // a `docker save` tarball
	archive                   // a tar of either kind, told apart when opened
)

func (k Kind) String() string {
	return [...]string{"registry", "oci layout", "oci archive", "docker archive", "archive"}[k]
}

// Source is a parsed image argument.
type Source struct {
	Kind Kind
	// Ref is the reference (Registry) or the path (every other kind).
	Ref string
	// Tag picks one image of a layout or archive holding several.
	Tag string
}

// Transports name a source's kind explicitly, as skopeo does; without one, an existing path is a
// layout directory or an archive, and anything else a registry reference.
const (
	prefixRegistry      = "docker://"
	prefixLayout        = "oci:"
	prefixOCIArchive    = "oci-archive:"
	prefixDockerArchive = "docker-archive:"
)

// ParseSource reads an image argument: docker://REF, oci:DIR[:TAG], oci-archive:FILE[:TAG],
// docker-archive:FILE[:TAG], or a bare path or reference.
func ParseSource(s string) (Source, error) {
	withTag := func(k Kind, rest string) (Source, error) {
		src := Source{Kind: k, Ref: rest}
		if _, err := os.Stat(rest); err != nil {
			// PATH:TAG, where the tag may hold colons and slashes (a reference): the shortest
			// existing prefix is the path; without one, the last colon splits.
			for i := 0; i < len(rest); i++ {
				if _, err := os.Stat(rest[:i]); rest[i] == ':' && err == nil {
					src.Ref, src.Tag = rest[:i], rest[i+1:]
					return src, nil
				}
			}
			if i := strings.LastIndex(rest, ":"); i > 0 && (k == DockerArchive || !strings.Contains(rest[i+1:], "/")) {
				src.Ref, src.Tag = rest[:i], rest[i+1:]
			}
		}
		if src.Ref == "" {
			return Source{}, fmt.Errorf("%q names no path", s)
		}
		return src, nil
	}
	switch {
	case strings.HasPrefix(s, prefixRegistry):
		return Source{Kind: Registry, Ref: strings.TrimPrefix(s, prefixRegistry)}, nil
	case strings.HasPrefix(s, prefixOCIArchive):
		return withTag(OCIArchive, strings.TrimPrefix(s, prefixOCIArchive))
	case strings.HasPrefix(s, prefixDockerArchive):
		return withTag(DockerArchive, strings.TrimPrefix(s, prefixDockerArchive))
	case strings.HasPrefix(s, prefixLayout):
		return withTag(Layout, strings.TrimPrefix(s, prefixLayout))
	}
	if fi, err := os.Stat(s); err == nil {
		if fi.IsDir() {
			return Source{Kind: Layout, Ref: s}, nil
		}
		return Source{Kind: archive, Ref: s}, nil
	}
	if _, err := name.ParseReference(s); err != nil {
		return Source{}, fmt.Errorf("%q is neither a file, a directory nor an image reference: %v", s, err)
	}
	return Source{Kind: Registry, Ref: s}, nil
}

// Resolve tells an archive's kind (OCI or docker save) by looking inside; other sources are
// returned as they are.
func Resolve(s Source) (Source, error) {
	if s.Kind != archive {
		return s, nil
	}
	st, err := archiveStore(s.Ref, DefaultLimits)
	if err != nil {
		return Source{}, err
	}
	defer st.close()
	s.Kind = DockerArchive
	if st.isLayout() {
		s.Kind = OCIArchive
	}
	return s, nil
}

// Option changes how an image is read.
type Option func(*options)

type options struct {
	platform v1.Platform
	lim      Limits
	keychain authn.Keychain
	insecure bool
	remote   []remote.Option
}

// WithPlatform picks the image of an index for a platform (default linux and the host's architecture).
func WithPlatform(p v1.Platform) Option { return func(o *options) { o.platform = p } }

// WithLimits bounds what reading the image may cost.
func WithLimits(l Limits) Option { return func(o *options) { o.lim = l.withDefaults() } }

// WithKeychain sets registry credentials (default: the Docker credential config).
func WithKeychain(k authn.Keychain) Option { return func(o *options) { o.keychain = k } }

// Insecure allows plain HTTP to any registry (localhost and private addresses get it anyway).
func Insecure() Option { return func(o *options) { o.insecure = true } }

// WithRemoteOptions passes options to go-containerregistry's remote.
func WithRemoteOptions(opts ...remote.Option) Option {
	return func(o *options) { o.remote = append(o.remote, opts...) }
}

// Load reads an image, wherever src says it is, for an audit.
func Load(ctx context.Context, src string, opts ...Option) (*audit.Target, error) {
	s, err := ParseSource(src)
	if err != nil {
		return nil, err
	}
	return LoadSource(ctx, s, opts...)
}

// LoadSource reads an image from a parsed source.
func LoadSource(ctx context.Context, s Source, opts ...Option) (*audit.Target, error) {
	o := &options{platform: v1.Platform{OS: "linux", Architecture: runtime.GOARCH}, lim: DefaultLimits, keychain: authn.DefaultKeychain}
	for _, opt := range opts {
		opt(o)
	}
	p, err := o.open(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Ref, err)
	}
	t, err := fromImage(ctx, p.img, o.lim)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Ref, err)
	}
	t.Name = s.Ref
	if s.Tag != "" {
		t.Name += ":" + s.Tag
	}
	if p.digest != (v1.Hash{}) {
		t.Digest = p.digest.String()
		// The manifest is at hand for these sources; a docker archive would have to be
		// compressed to make one.
		if m, err := p.img.Manifest(); err == nil {
			for _, l := range m.Layers {
				t.CompressedSize += l.Size
			}
		}
	}
	if p.indexDigest != (v1.Hash{}) {
		t.IndexDigest = p.indexDigest.String()
	}
	t.Attestations = p.attestations
	return t, nil
}

// FromImage makes an audit target of an image already in hand; what an index would say
// (digests, attestations) is left unknown.
func FromImage(ctx context.Context, img v1.Image, opts ...Option) (*audit.Target, error) {
	o := &options{lim: DefaultLimits}
	for _, opt := range opts {
		opt(o)
	}
	return fromImage(ctx, img, o.lim)
}

func (o *options) open(ctx context.Context, s Source) (*picked, error) {
	switch s.Kind {
	case Registry:
		return o.pull(ctx, s.Ref)
	case Layout:
		st := dirStore(s.Ref, o.lim)
		if !st.isLayout() {
			return nil, errors.New("not an OCI image layout: the directory has no index.json")
		}
		return o.fromStore(st, s.Tag)
	case OCIArchive, DockerArchive, archive:
		st, err := archiveStore(s.Ref, o.lim)
		if err != nil {
			return nil, err
		}
		if s.Kind != DockerArchive && st.isLayout() {
			return o.fromStore(st, s.Tag)
		}
		if s.Kind == OCIArchive {
			return nil, errors.New("not an OCI archive: the tar has no index.json")
		}
		return o.dockerArchive(s)
	}
	return nil, fmt.Errorf("unknown source kind %d", s.Kind)
}

func (o *options) fromStore(st *store, tag string) (*picked, error) {
	x, err := st.index(nil)
	if err != nil {
		return nil, err
	}
	return pick(x, o.platform, tag, v1.Hash{}, 0)
}

func (o *options) dockerArchive(s Source) (*picked, error) {
	var tag *name.Tag
	if s.Tag != "" {
		t, err := name.NewTag(s.Tag)
		if err != nil {
			return nil, fmt.Errorf("%q is not a tag: %w", s.Tag, err)
		}
		tag = &t
	}
	img, err := tarball.Image(func() (io.ReadCloser, error) { return os.Open(s.Ref) }, tag)
	if err != nil {
		return nil, fmt.Errorf("not a docker save tarball: %w", err)
	}
	return &picked{img: img}, nil
}

func (o *options) pull(ctx context.Context, ref string) (*picked, error) {
	var nopts []name.Option
	if o.insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, err
	}
	ropts := append([]remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(o.keychain), remote.WithPlatform(o.platform)}, o.remote...)
	desc, err := remote.Get(r, ropts...)
	if err != nil {
		return nil, err
	}
	if isIndex(desc.MediaType) {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, err
		}
		return pick(remoteIndex{idx}, o.platform, "", desc.Digest, 0)
	}
	img, err := desc.Image()
	if err != nil {
		return nil, err
	}
	// A single manifest has no index to carry attestations in.
	return &picked{img: img, digest: desc.Digest}, nil
}

// fromImage reads an image's config and manifest; its layers are read on first use.
func fromImage(ctx context.Context, img v1.Image, lim Limits) (*audit.Target, error) {
	raw, err := img.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading the config: %w", err)
	}
	if int64(len(raw)) > lim.MaxMetadata {
		return nil, &LimitError{What: "bytes in its config", Limit: lim.MaxMetadata}
	}
	cfg := &dockerspec.DockerOCIImage{}
	if err := json.Unmarshal(raw, cfg); err != nil {
		return nil, fmt.Errorf("the config is not valid JSON: %w", err)
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("reading the manifest's layers: %w", err)
	}
	if len(layers) > lim.MaxLayers {
		return nil, &LimitError{What: "layers", Limit: int64(lim.MaxLayers)}
	}
	if n := len(cfg.RootFS.DiffIDs); n != len(layers) {
		return nil, fmt.Errorf("the config lists %d layers (rootfs.diff_ids) but the manifest has %d", n, len(layers))
	}
	ls := &layerSet{layers: layers, lim: lim}
	for i := range layers {
		h, err := v1.NewHash(cfg.RootFS.DiffIDs[i].String())
		if err != nil {
			return nil, fmt.Errorf("rootfs.diff_ids[%d]: %w", i, err)
		}
		ls.diffIDs = append(ls.diffIDs, h)
	}
	l := &lazy{ls: ls}
	return &audit.Target{Config: cfg, FS: l, Layers: l}, nil
}

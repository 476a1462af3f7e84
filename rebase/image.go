package rebase

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// rawImage is an image whose manifest is written as BuildKit writes it (image-spec's field order), so
// its digest can equal a build's; go-containerregistry would order a descriptor's fields otherwise.
type rawImage struct {
	manifest, config []byte
	layers           map[v1.Hash]partial.CompressedLayer
}

func (r *rawImage) RawConfigFile() ([]byte, error) { return r.config, nil }
func (r *rawImage) RawManifest() ([]byte, error)   { return r.manifest, nil }
func (r *rawImage) MediaType() (types.MediaType, error) {
	return types.OCIManifestSchema1, nil
}

func (r *rawImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if l, ok := r.layers[h]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("no layer %s", h)
}

// blob is a layer (or an attestation's statement) held in memory.
type blob struct {
	data []byte
	mt   types.MediaType
}

func (b blob) Digest() (v1.Hash, error) {
	h, _, err := v1.SHA256(bytes.NewReader(b.data))
	return h, err
}
func (b blob) Size() (int64, error) { return int64(len(b.data)), nil }
func (b blob) MediaType() (types.MediaType, error) {
	return b.mt, nil
}
func (b blob) Compressed() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b.data)), nil }

// newRawImage makes the image from its manifest's descriptors; layers maps each layer's digest to
// where its blob is read.
func newRawImage(m ocispecs.Manifest, config []byte, layers map[v1.Hash]partial.CompressedLayer) (v1.Image, error) {
	dt, err := json.MarshalIndent(m, "", "  ") // as BuildKit's exporter writes a manifest
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(&rawImage{manifest: dt, config: config, layers: layers})
}

// ociLayerType is the OCI media type of a layer, as BuildKit's exporter converts Docker's.
func ociLayerType(mt string) string {
	switch types.MediaType(mt) {
	case types.DockerLayer:
		return string(types.OCILayer)
	case types.DockerUncompressedLayer:
		return string(types.OCIUncompressedLayer)
	case types.DockerForeignLayer:
		return string(types.OCIRestrictedLayer)
	}
	return mt
}

func hashOf(d string) (v1.Hash, error) { return v1.NewHash(d) }

package sign

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// rawManifest lets remote.Put push bytes we built, so the artifact keeps its empty config.
type rawManifest struct {
	data []byte
	mt   types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.data, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

// writeReferrer pushes a bundle as an OCI 1.1 artifact whose subject is the signed manifest;
// go-containerregistry updates the sha256-HEX fallback tag where the registry has no referrers API.
func writeReferrer(repo name.Repository, subject v1.Descriptor, bundleJSON []byte, predicateType string, opts []remote.Option) (string, error) {
	cfg := static.NewLayer([]byte("{}"), MediaEmptyConfig)
	layer := static.NewLayer(bundleJSON, MediaBundle)
	for _, l := range []v1.Layer{cfg, layer} {
		if err := remote.WriteLayer(repo, l, opts...); err != nil {
			return "", err
		}
	}
	desc := func(l v1.Layer, mt types.MediaType) v1.Descriptor {
		d, _ := l.Digest()
		n, _ := l.Size()
		return v1.Descriptor{MediaType: mt, Digest: d, Size: n}
	}
	cd := desc(cfg, MediaEmptyConfig)
	cd.Data = []byte("{}")
	mf := v1.Manifest{
		SchemaVersion: 2, MediaType: types.OCIManifestSchema1, ArtifactType: MediaBundle,
		Config: cd, Layers: []v1.Descriptor{desc(layer, MediaBundle)},
		Subject:     &v1.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size},
		Annotations: map[string]string{AnnotationContent: "dsse-envelope", AnnotationBundlePT: predicateType},
	}
	data, err := json.Marshal(mf)
	if err != nil {
		return "", err
	}
	h, _, err := v1.SHA256(strings.NewReader(string(data)))
	if err != nil {
		return "", err
	}
	if err := remote.Put(repo.Digest(h.String()), rawManifest{data, types.OCIManifestSchema1}, opts...); err != nil {
		return "", err
	}
	return h.String(), nil
}

// legacyLayer is one signature of cosign's .sig or .att image.
type legacyLayer struct {
	data []byte
	// signed is what the signature covers: the simple signing payload, or the envelope's statement.
	signed      []byte
	mediaType   types.MediaType
	annotations map[string]string
}

// legacyTag is cosign's tag for a digest's signatures (.sig) or attestations (.att).
func legacyTag(repo name.Repository, digest, suffix string) name.Tag {
	return repo.Tag(strings.Replace(digest, ":", "-", 1) + "." + suffix)
}

// appendLegacy adds layers to the image under tag, as cosign does, keeping what it held; a
// layer whose payload the image already holds signed by pub is not added again, so signing
// twice leaves the tag as it was. It returns how many layers it added.
func appendLegacy(tag name.Tag, layers []legacyLayer, pub *ecdsa.PublicKey, opts []remote.Option) (int, error) {
	base, err := readLegacy(tag, opts)
	if err != nil {
		return 0, err
	}
	img := base
	held := map[string]bool{}
	if img == nil {
		img = mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	} else if held, err = heldPayloads(img, pub); err != nil {
		return 0, fmt.Errorf("reading %s: %w", tag, err)
	}
	added := 0
	for _, l := range layers {
		k := payloadKey(l.mediaType, l.signed)
		if held[k] {
			continue
		}
		held[k] = true
		img, err = mutate.Append(img, mutate.Addendum{Layer: static.NewLayer(l.data, l.mediaType), Annotations: l.annotations, MediaType: l.mediaType})
		if err != nil {
			return 0, err
		}
		added++
	}
	if added == 0 {
		return 0, nil
	}
	return added, remote.Write(tag, img, opts...)
}

func payloadKey(mt types.MediaType, payload []byte) string {
	return fmt.Sprintf("%s %x", mt, sha256.Sum256(payload))
}

// heldPayloads lists the payloads of a legacy image's layers whose signature verifies with pub.
func heldPayloads(img v1.Image, pub *ecdsa.PublicKey) (map[string]bool, error) {
	mf, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	held := map[string]bool{}
	for _, d := range mf.Layers {
		l, err := img.LayerByDigest(d.Digest)
		if err != nil {
			return nil, err
		}
		data, err := readAll(l)
		if err != nil {
			return nil, err
		}
		switch d.MediaType {
		case MediaSimpleSigning:
			sig, err := base64.StdEncoding.DecodeString(d.Annotations[AnnotationSignature])
			if err == nil && verifyBytes(pub, data, sig) {
				held[payloadKey(d.MediaType, data)] = true
			}
		case MediaDSSE:
			if payload, err := openEnvelope(pub, data); err == nil {
				held[payloadKey(d.MediaType, payload)] = true
			}
		}
	}
	return held, nil
}

// readLegacy reads the image under a legacy tag, nil when there is none yet.
func readLegacy(tag name.Tag, opts []remote.Option) (v1.Image, error) {
	img, err := remote.Image(tag, opts...)
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", tag, err)
	}
	return img, nil
}

func notFound(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound
}

package rebase

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/frontend/tool"
	hllb "github.com/hardenedbuild/hardened/llb"
)

// configInput is what the new config is made of.
type configInput struct {
	image            *dockerspec.DockerOCIImage // the image as built on the old base
	oldBase, newBase *dockerspec.DockerOCIImage
	lay              layout
	strip            bool // whether the new base needs the setuid-clearing layer
	diffIDs          []digest.Digest
	baseName         string
	baseDigest       string
}

// newConfig makes the config the frontend would make on the new base (llb.ImageConfig: the base's
// config with the spec's fields on top), then lays it out as BuildKit's exporter does: the config as
// the frontend marshals it, with rootfs and history marshalled again in a map with sorted keys. What
// the spec set is told from what the old base set by comparing the two: an ENV or label the image has
// with another value than the old base's, or that the old base lacks.
func newConfig(in configInput) ([]byte, error) {
	img := *in.newBase
	img.Platform = ocispecs.Platform{OS: in.image.OS, Architecture: in.image.Architecture, Variant: in.image.Variant}
	img.Created = in.image.Created

	c := in.newBase.Config
	from := in.image.Config
	c.User, c.Entrypoint, c.Cmd, c.WorkingDir = from.User, from.Entrypoint, from.Cmd, from.WorkingDir
	c.ExposedPorts, c.Volumes, c.OnBuild, c.Shell, c.Healthcheck = from.ExposedPorts, nil, nil, nil, from.Healthcheck
	c.Env = mergeEnv(in.newBase.Config.Env, specEnv(in.oldBase.Config.Env, from.Env))
	c.Labels = map[string]string{}
	for k, v := range in.newBase.Config.Labels {
		c.Labels[k] = v
	}
	for k, v := range from.Labels {
		if old, ok := in.oldBase.Config.Labels[k]; !ok || old != v {
			c.Labels[k] = v
		}
	}
	c.Labels[hllb.LabelBaseName] = in.baseName
	c.Labels[hllb.LabelBaseDigest] = in.baseDigest
	img.Config = c

	img.History = append(append([]ocispecs.History(nil), in.newBase.History...), in.lay.appHistory...)
	if in.strip {
		img.History = append(img.History, ocispecs.History{Created: in.image.Created, CreatedBy: verifyName(in.lay, in.image), Comment: exporterComment})
	}
	img.RootFS = ocispecs.RootFS{Type: "layers", DiffIDs: in.diffIDs}
	if n := nonEmpty(img.History); n != len(in.diffIDs) {
		return nil, fmt.Errorf("the new history has %d layers and the image %d", n, len(in.diffIDs))
	}

	dt, err := json.Marshal(&img)
	if err != nil {
		return nil, err
	}
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal(dt, &m); err != nil {
		return nil, err
	}
	for k, v := range map[string]any{"rootfs": img.RootFS, "history": img.History} {
		if m[k], err = json.Marshal(v); err != nil {
			return nil, err
		}
	}
	return json.Marshal(m)
}

// verifyName names the layer that clears the new base's bits as a build with attestations names it: the
// frontend's verify step, on top of the image (the old image's own name for it when it has one, which
// says where its frontend keeps its binary).
func verifyName(lay layout, image *dockerspec.DockerOCIImage) string {
	if lay.verifyName != "" {
		return lay.verifyName
	}
	epoch := image.Created
	if epoch == nil {
		epoch = new(time.Time)
	}
	return tool.VerifyLayer(epoch)
}

func nonEmpty(h []ocispecs.History) int {
	n := 0
	for _, e := range h {
		if !e.EmptyLayer {
			n++
		}
	}
	return n
}

// specEnv is what the spec set of env: the entries of the image that the old base does not hold as they are.
func specEnv(base, image []string) map[string]string {
	had := map[string]bool{}
	for _, kv := range base {
		had[kv] = true
	}
	out := map[string]string{}
	for _, kv := range image {
		if !had[kv] {
			k, v, _ := strings.Cut(kv, "=")
			out[k] = v
		}
	}
	return out
}

// mergeEnv is the frontend's rule (llb.ImageConfig): the base's entries in order, those the spec sets
// overridden, then the spec's others in sorted order.
func mergeEnv(base []string, env map[string]string) []string {
	out := make([]string, 0, len(base)+len(env))
	seen := map[string]bool{}
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if v, ok := env[k]; ok {
			kv = k + "=" + v
			seen[k] = true
		}
		out = append(out, kv)
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		if !seen[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, k+"="+env[k])
	}
	return out
}

package release

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// FrontendBinary is where frontend.Dockerfile puts the frontend in the image (frontend/selfcheck.go runs it there).
const FrontendBinary = "bin/hardened-frontend"

// Compression is how the image's layer is pushed; the local stack pushes its single-platform image the same way
// (integration/stack.FrontendCompression, whose comment says why).
const Compression = "compression=zstd,force-compression=true,oci-mediatypes=true"

// BuildIndex builds frontend.Dockerfile for each of o's platforms with SBOM and provenance attestations, pushes the
// index under refs and returns its digest.
func BuildIndex(ctx context.Context, o Options, refs []string) (string, error) {
	meta := filepath.Join(o.Dist, "image-metadata.json")
	output := `type=image,"name=` + strings.Join(refs, ",") + `",push=true,` + Compression
	if o.Insecure {
		output += ",registry.insecure=true"
	}
	args := []string{"build", "--platform", strings.Join(o.platforms(), ","),
		"--sbom=true", "--provenance=mode=max",
		"--output", output, "--metadata-file", meta, "--progress", "plain",
		"-f", filepath.Join(o.Root, "frontend.Dockerfile")}
	// The commit time stamps the layers and config, so a rebuild of the same commit gives the same image.
	if t, err := exec.CommandContext(ctx, "git", "-C", o.Root, "log", "-1", "--format=%ct").Output(); err == nil {
		args = append(args, "--build-arg", "SOURCE_DATE_EPOCH="+strings.TrimSpace(string(t)))
	}
	cmd := o.Buildx(ctx, append(args, o.Root)...)
	cmd.Stdout, cmd.Stderr = o.Log, o.Log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("docker buildx build: %w", err)
	}
	return metadataDigest(meta)
}

// TagFree fails when ref already names an image: a released X.Y.Z is never pushed again.
func TagFree(ctx context.Context, ref string, insecure bool) error {
	r, err := parseRef(ref, insecure)
	if err != nil {
		return err
	}
	d, err := remote.Head(r, remote.WithContext(ctx), remote.WithAuthFromKeychain(keychain()))
	if err == nil {
		return fmt.Errorf("%s exists already (%s): bump VERSION for a new release", ref, d.Digest)
	}
	var te *transport.Error
	if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
		return nil
	}
	return fmt.Errorf("looking up %s: %w", ref, err)
}

// Platform is what CheckIndex found for one platform.
type Platform struct {
	Platform   string
	Digest     string
	Compressed int64 // layers and config as stored in the registry
	Binary     []byte
}

// CheckIndex reads the index at ref and checks, for each of platforms: its image is there, on one layer holding
// the frontend binary for that machine, runs as 65532:65532 with the entrypoint and capability labels, fits
// MaxCompressed, and has SBOM and provenance attestations.
func CheckIndex(ctx context.Context, ref string, insecure bool, platforms []string) ([]Platform, error) {
	r, err := parseRef(ref, insecure)
	if err != nil {
		return nil, err
	}
	idx, err := remote.Index(r, remote.WithContext(ctx), remote.WithAuthFromKeychain(keychain()))
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var out []Platform
	var problems []string
	for _, p := range platforms {
		want, err := v1.ParsePlatform(p)
		if err != nil {
			return nil, err
		}
		desc, ok := findPlatform(im, *want)
		if !ok {
			problems = append(problems, p+": not in the index")
			continue
		}
		got, err := checkPlatform(idx, desc, *want)
		if err != nil {
			problems = append(problems, p+": "+err.Error())
			continue
		}
		if err := checkAttestations(idx, im, desc.Digest); err != nil {
			problems = append(problems, p+": "+err.Error())
			continue
		}
		got.Platform = p
		out = append(out, got)
	}
	if len(problems) > 0 {
		return out, fmt.Errorf("%s:\n  %s", ref, strings.Join(problems, "\n  "))
	}
	return out, nil
}

func findPlatform(im *v1.IndexManifest, want v1.Platform) (v1.Descriptor, bool) {
	for _, d := range im.Manifests {
		p := d.Platform
		if p == nil || p.OS != want.OS || p.Architecture != want.Architecture {
			continue
		}
		// BuildKit drops arm64's default variant v8.
		if p.Variant == want.Variant || (want.Architecture == "arm64" && (p.Variant == "" || p.Variant == "v8")) {
			return d, true
		}
	}
	return v1.Descriptor{}, false
}

// checkPlatform checks one platform's image (see CheckIndex) and returns its size and binary.
func checkPlatform(idx v1.ImageIndex, desc v1.Descriptor, want v1.Platform) (Platform, error) {
	img, err := idx.Image(desc.Digest)
	if err != nil {
		return Platform{}, err
	}
	m, err := img.Manifest()
	if err != nil {
		return Platform{}, err
	}
	size := m.Config.Size
	for _, l := range m.Layers {
		size += l.Size
	}
	if size > MaxCompressed {
		return Platform{}, fmt.Errorf("%d bytes compressed, over the %d budget", size, MaxCompressed)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return Platform{}, err
	}
	if err := checkConfig(cf.Config); err != nil {
		return Platform{}, err
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		return Platform{}, fmt.Errorf("want one layer, got %d (%v)", len(layers), err)
	}
	bin, err := fileFromLayer(layers[0], FrontendBinary)
	if err != nil {
		return Platform{}, err
	}
	if err := checkBinaryBytes(bin, want.Architecture); err != nil {
		return Platform{}, err
	}
	return Platform{Digest: desc.Digest.String(), Compressed: size, Binary: bin}, nil
}

// checkConfig holds the image to the Dockerfile's promises: non-root, exec-form entrypoint, BuildKit's labels.
func checkConfig(c v1.Config) error {
	wantLabels := map[string]string{
		"moby.buildkit.frontend.network.none": "true",
		"moby.buildkit.frontend.caps":         "moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts",
	}
	for k, v := range wantLabels {
		if c.Labels[k] != v {
			return fmt.Errorf("label %s = %q, want %q", k, c.Labels[k], v)
		}
	}
	if c.User != "65532:65532" {
		return fmt.Errorf("user %q, want 65532:65532", c.User)
	}
	if len(c.Entrypoint) != 1 || c.Entrypoint[0] != "/"+FrontendBinary {
		return fmt.Errorf("entrypoint %q, want [/%s]", c.Entrypoint, FrontendBinary)
	}
	return nil
}

// fileFromLayer reads one regular file out of a layer (zstd or gzip).
func fileFromLayer(l v1.Layer, path string) ([]byte, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("no /%s in the layer", path)
		}
		if err != nil {
			return nil, err
		}
		if strings.TrimPrefix(h.Name, "./") == path && h.Typeflag == tar.TypeReg {
			return io.ReadAll(tr)
		}
	}
}

// checkBinaryBytes is CheckBinary on bytes read from an image.
func checkBinaryBytes(bin []byte, goarch string) error {
	f, err := os.CreateTemp("", "frontend-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(bin)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return CheckBinary(f.Name(), "linux", goarch)
}

func parseRef(ref string, insecure bool) (name.Reference, error) {
	if insecure {
		return name.ParseReference(ref, name.Insecure)
	}
	return name.ParseReference(ref)
}

package release

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// checkAttestations finds the attestation manifest BuildKit attaches to the image dgst and checks it carries an
// SPDX SBOM and SLSA provenance.
func checkAttestations(idx v1.ImageIndex, im *v1.IndexManifest, dgst v1.Hash) error {
	for _, d := range im.Manifests {
		if d.Annotations["vnd.docker.reference.type"] != "attestation-manifest" || d.Annotations["vnd.docker.reference.digest"] != dgst.String() {
			continue
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			return err
		}
		m, err := img.Manifest()
		if err != nil {
			return err
		}
		var sbom, provenance bool
		for _, l := range m.Layers {
			t := l.Annotations["in-toto.io/predicate-type"]
			sbom = sbom || t == "https://spdx.dev/Document"
			provenance = provenance || strings.HasPrefix(t, "https://slsa.dev/provenance/")
		}
		if !sbom || !provenance {
			return fmt.Errorf("attestations: SBOM %v, provenance %v; want both", sbom, provenance)
		}
		return nil
	}
	return fmt.Errorf("no attestation manifest for %s", dgst)
}

// CheckImages runs `hardened check` (the CLI binary just built) on each of platforms in the index at ref.
func CheckImages(ctx context.Context, cli, ref string, insecure bool, platforms []string, log io.Writer) error {
	for _, p := range platforms {
		args := []string{"check", "--platform", p}
		if insecure {
			args = append(args, "--insecure-registry")
		}
		cmd := exec.CommandContext(ctx, cli, append(args, ref)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("hardened check --platform %s %s: %w\n%s", p, ref, err, out)
		}
		fmt.Fprintf(log, "hardened check --platform %s: %s\n", p, lastLine(out))
	}
	return nil
}

func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// metadataDigest is the image digest buildx wrote to its --metadata-file.
func metadataDigest(file string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	var md struct {
		Digest string `json:"containerimage.digest"`
	}
	if err := json.Unmarshal(data, &md); err != nil || md.Digest == "" {
		return "", fmt.Errorf("no image digest in buildx's metadata: %s", data)
	}
	return md.Digest, nil
}

// keychain reads the credentials `docker login` (docker/login-action in CI) left in DOCKER_CONFIG.
func keychain() authn.Keychain { return authn.DefaultKeychain }

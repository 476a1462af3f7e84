package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/hardenedbuild/hardened/integration/stack"
)

// peerFrontendRef is the Dockerfile frontend image that variant S names in its "# syntax" line. The bench
// pushes it to the local registry, where BuildKit's docker.io mirror finds it, built from the BuildKit module
// the stack's buildkitd comes from (tools/buildkit), as upstream builds docker/dockerfile: the
// dockerfile-frontend command, static, alone in a scratch image with the labels BuildKit reads.
const peerFrontendRef = "docker.io/docker/dockerfile:1"

// peerSyntax is the syntax line's reference, as people write it.
const peerSyntax = "docker/dockerfile:1"

// peerFrontendDockerfile is upstream's release stage (frontend/dockerfile/cmd/dockerfile-frontend/Dockerfile).
const peerFrontendDockerfile = `FROM scratch
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"
COPY dockerfile-frontend /bin/dockerfile-frontend
ENTRYPOINT ["/bin/dockerfile-frontend"]
`

// buildPeerFrontend compiles BuildKit's Dockerfile frontend and pushes it as docker/dockerfile:1.
func buildPeerFrontend(ctx context.Context, st *stack.Stack, root string) (FrontendInfo, error) {
	dir, err := os.MkdirTemp("", "hardened-bench-dockerfile")
	if err != nil {
		return FrontendInfo{}, err
	}
	defer os.RemoveAll(dir)
	version := requiredVersion(filepath.Join(root, "tools", "buildkit", "go.mod"), "github.com/moby/buildkit")
	logf("building %s from BuildKit %s (tools/buildkit)", peerFrontendRef, version)
	gobuild := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w",
		"-tags", "netgo static_build osusergo", "-o", filepath.Join(dir, "dockerfile-frontend"),
		"github.com/moby/buildkit/frontend/dockerfile/cmd/dockerfile-frontend")
	gobuild.Dir = filepath.Join(root, "tools", "buildkit")
	gobuild.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := gobuild.CombinedOutput(); err != nil {
		return FrontendInfo{}, fmt.Errorf("building BuildKit's dockerfile-frontend: %w: %s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(peerFrontendDockerfile), 0o644); err != nil {
		return FrontendInfo{}, err
	}
	meta := filepath.Join(dir, "metadata.json")
	target := st.Registry + "/docker/dockerfile:1"
	out, err := st.Buildctl(ctx, "build", "--frontend", "dockerfile.v0",
		"--local", "context="+dir, "--local", "dockerfile="+dir,
		"--output", "type=image,name="+target+",push=true,registry.insecure=true",
		"--metadata-file", meta).CombinedOutput()
	if err != nil {
		return FrontendInfo{}, fmt.Errorf("pushing %s: %w: %s", peerFrontendRef, err, out)
	}
	digest, err := stack.MetadataDigest(meta)
	if err != nil {
		return FrontendInfo{}, err
	}
	info := FrontendInfo{Source: "BuildKit " + version + " dockerfile-frontend", Digest: digest}
	if info.Image, err = imageStats(ctx, target, false); err != nil {
		return FrontendInfo{}, fmt.Errorf("%s: %w", peerFrontendRef, err)
	}
	return info, nil
}

// peerTagSuffix marks S's copies of B's base images. S and B would otherwise be the same build on one buildkitd:
// whichever ran second would find the other's every step in the cache. Each copy differs from its original only
// by a label in its config, so its steps have other cache keys, and it pulls the same layers.
const peerTagSuffix = "-hardened-bench-s"

// peerCacheNS namespaces S's cache mounts (BuildKit's Dockerfile frontend reads BUILDKIT_CACHE_MOUNT_NS), so
// its compiles do not read the caches B's filled.
const peerCacheNS = "hardened-bench-s"

// fromLine matches a FROM instruction: its base and, when named, its stage.
var fromLine = regexp.MustCompile(`(?im)^(FROM\s+(?:--platform=\S+\s+)?)(\S+)((?:\s+AS\s+(\S+))?\s*)$`)

// peerDockerfileFrom is S's Dockerfile: B's after a syntax line, each base replaced by its copy (peerBases pushes
// them). It returns the bases it replaced.
func peerDockerfileFrom(b []byte) ([]byte, []string, error) {
	stages := map[string]bool{"scratch": true}
	var bases []string
	var err error
	out := fromLine.ReplaceAllFunc(b, func(line []byte) []byte {
		m := fromLine.FindSubmatch(line)
		base, stage := string(m[2]), strings.ToLower(string(m[4]))
		defer func() {
			if stage != "" {
				stages[stage] = true
			}
		}()
		if stages[strings.ToLower(base)] {
			return line
		}
		if strings.Contains(base, "@") || strings.Contains(base, "$") {
			err = fmt.Errorf("S cannot copy the base %s (a digest or an argument)", base)
			return line
		}
		if !slices.Contains(bases, base) {
			bases = append(bases, base)
		}
		return append(append(append([]byte{}, m[1]...), []byte(base+peerTagSuffix)...), m[3]...)
	})
	if err != nil {
		return nil, nil, err
	}
	return append([]byte("# syntax="+peerSyntax+"\n"), out...), bases, nil
}

// pushPeerBases pushes a copy of each base, under its tag with peerTagSuffix, to the stack's registry.
func pushPeerBases(ctx context.Context, st *stack.Stack, bases []string) error {
	for _, base := range bases {
		ref, err := name.ParseReference(base)
		if err != nil {
			return err
		}
		tag, ok := ref.(name.Tag)
		if !ok {
			return fmt.Errorf("S's base %s has no tag", base)
		}
		repo := st.Registry + "/" + tag.RepositoryStr()
		src, err := name.NewTag(repo+":"+tag.TagStr(), name.Insecure)
		if err != nil {
			return err
		}
		dst, err := name.NewTag(repo+":"+tag.TagStr()+peerTagSuffix, name.Insecure)
		if err != nil {
			return err
		}
		desc, err := remote.Get(src, remote.WithContext(ctx))
		if err != nil {
			return fmt.Errorf("%s: %w", base, err)
		}
		if !desc.MediaType.IsIndex() {
			img, err := desc.Image()
			if err == nil {
				img, err = relabel(img)
			}
			if err == nil {
				err = remote.Write(dst, img, remote.WithContext(ctx))
			}
			if err != nil {
				return fmt.Errorf("copying %s for S: %w", base, err)
			}
			continue
		}
		idx, err := desc.ImageIndex()
		if err != nil {
			return err
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return err
		}
		out := mutate.IndexMediaType(empty.Index, desc.MediaType)
		for _, d := range im.Manifests {
			img, err := idx.Image(d.Digest)
			if err == nil {
				img, err = relabel(img)
			}
			if err != nil {
				return fmt.Errorf("copying %s for S: %w", base, err)
			}
			out = mutate.AppendManifests(out, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: d.Platform}})
		}
		if err := remote.WriteIndex(dst, out, remote.WithContext(ctx)); err != nil {
			return fmt.Errorf("pushing S's copy of %s: %w", base, err)
		}
	}
	return nil
}

// relabel is img with the label that tells S's copy from B's base.
func relabel(img v1.Image) (v1.Image, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg := cf.Config.DeepCopy()
	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}
	cfg.Labels["dev.hardened.bench.variant"] = "S"
	return mutate.Config(img, *cfg)
}

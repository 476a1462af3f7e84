package stack

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// distrolessFlavor names one of distroless's base images; each adds a layer of packages to the one before it.
type distrolessFlavor string

const (
	staticFlavor distrolessFlavor = "static"
	baseFlavor   distrolessFlavor = "base"
	ccFlavor     distrolessFlavor = "cc"
)

// distrolessPackages are the Debian packages each flavor adds, by suite, as distroless's static/config.bzl,
// base/config.bzl and cc/config.bzl list them (ca-certificates is what its cacerts rule reads).
var distrolessPackages = map[string]map[distrolessFlavor][]string{
	trixie: {
		staticFlavor: {"base-files", "netbase", "tzdata", "tzdata-legacy", "media-types", "ca-certificates"},
		baseFlavor:   {"libc6", "libssl3t64", "libzstd1", "zlib1g"},
		ccFlavor:     {"libgomp1", "libstdc++6", "libgcc-s1", "gcc-14-base"},
	},
	bookworm: {
		staticFlavor: {"base-files", "netbase", "tzdata", "media-types", "ca-certificates"},
	},
}

// distrolessEnv is the environment of every distroless image (static/static.bzl).
var distrolessEnv = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}

// distrolessLayers are a flavor's layers (static's first), then one layer per extra package list.
func distrolessLayers(ctx context.Context, b *builder, p v1.Platform, suite string, f distrolessFlavor, extra ...[]string) ([]layerRecipe, error) {
	var lists [][]string
	for _, g := range []distrolessFlavor{staticFlavor, baseFlavor, ccFlavor} {
		lists = append(lists, distrolessPackages[suite][g])
		if g == f {
			break
		}
	}
	var out []layerRecipe
	for i, packages := range append(lists, extra...) {
		if len(packages) == 0 {
			continue
		}
		l, err := distrolessLayer(ctx, b, p, suite, packages, i == 0)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// distrolessConfigs are the nonroot and latest tags of a distroless repository with the given entrypoint and
// extra environment.
func distrolessConfigs(repo string, entrypoint []string, env ...string) []tag {
	config := func(user, workdir string) func(v1.Platform) v1.Config {
		return func(v1.Platform) v1.Config {
			return v1.Config{User: user, WorkingDir: workdir, Env: append(distrolessEnv[:len(distrolessEnv):len(distrolessEnv)], env...), Entrypoint: entrypoint}
		}
	}
	return []tag{{ref: repo + ":nonroot", config: config("65532", "/home/nonroot")}, {ref: repo + ":latest", config: config("0", "/")}}
}

// distrolessStandIn is gcr.io/distroless/<flavor>-debian<N> (tags nonroot and latest) for amd64 and arm64.
func distrolessStandIn(suite string, f distrolessFlavor) standIn {
	name := "distroless-" + string(f) + "-debian" + debianVersions[suite]
	return standIn{
		name:      name,
		platforms: []v1.Platform{linuxAMD64, linuxARM64},
		layers: func(ctx context.Context, b *builder, p v1.Platform) ([]layerRecipe, error) {
			return distrolessLayers(ctx, b, p, suite, f)
		},
		tags: distrolessConfigs("gcr.io/"+strings.Replace(name, "-", "/", 1), nil),
	}
}

// distrolessLayer is what distroless makes of Debian packages: their files (documentation reduced to copyright
// files), one /var/lib/dpkg/status.d/<package> (+ .md5sums) per package instead of a dpkg database, the users
// root, nobody and nonroot, a CA bundle, and no setuid or setgid bits.
func distrolessLayer(ctx context.Context, b *builder, p v1.Platform, suite string, packages []string, first bool) (layerRecipe, error) {
	apt, err := b.aptRoot(ctx, suite)
	if err != nil {
		return layerRecipe{}, err
	}
	debs, err := apt.resolve(ctx, packages, p.Architecture)
	if err != nil {
		return layerRecipe{}, err
	}
	key := []string{fmt.Sprintf("suite %s, first layer %v", suite, first)}
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
			if first {
				addDistrolessFiles(t, suite)
			}
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

// addDistrolessFiles writes what distroless adds to the packages' files of its first layer.
func addDistrolessFiles(t *tree, suite string) {
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
	t.addFile("usr/lib/os-release", 0o644, 0, 0, distrolessOSRelease(suite))
}

// debianVersions are the release numbers of the suites, as os-release has them.
var debianVersions = map[string]string{bookworm: "12", trixie: "13"}

// distrolessOSRelease is distroless's os-release (common/variables.bzl: PRETTY_NAME Distroless, the Debian
// release in VERSION_ID and VERSION), which replaces base-files' /usr/lib/os-release.
func distrolessOSRelease(suite string) []byte {
	v := debianVersions[suite]
	return []byte(`PRETTY_NAME="Distroless"
NAME="Debian GNU/Linux"
ID="debian"
VERSION_ID="` + v + `"
VERSION="Debian GNU/Linux ` + v + ` (` + suite + `)"
HOME_URL="https://github.com/GoogleContainerTools/distroless"
SUPPORT_URL="https://github.com/GoogleContainerTools/distroless/blob/master/README.md"
BUG_REPORT_URL="https://github.com/GoogleContainerTools/distroless/issues/new"
`)
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

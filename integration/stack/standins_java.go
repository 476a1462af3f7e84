package stack

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf16"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// javaReleases are the Java majors with stand-ins, the three distroless ships on Debian 13.
var javaReleases = []string{"17", "21", "25"}

// javaSuite is the Debian release whose OpenJDK package a stand-in takes: trixie has openjdk-21 and openjdk-25,
// and bookworm has openjdk-17, which trixie dropped. Bookworm's build links glibc 2.36 and zlib, which trixie's
// newer glibc and zlib1g still serve, so it runs on the trixie root the other layers are.
func javaSuite(major string) string {
	if major == "17" {
		return bookworm
	}
	return trixie
}

// javaVersion is the upstream part of a Debian openjdk version, "21.0.13.1+2" of "21.0.13.1+2-1~deb13u1".
func javaVersion(debian string) string {
	v, _, _ := strings.Cut(debian, "-")
	return v
}

// javaShortVersion is distroless's JAVA_VERSION of a Debian openjdk version (java/jre_ver.bzl): the numbers before
// "+", the fourth only when it is not 0.
func javaShortVersion(debian string) string {
	v := strings.Split(strings.SplitN(debian, "+", 2)[0], ".")
	if len(v) >= 4 && v[3] != "0" {
		return strings.Join(v[:4], ".")
	}
	return strings.Join(v[:min(3, len(v))], ".")
}

// jdkRuntime is what the JDK stand-in installs with apt beside the JDK: the libraries Debian's JRE links, and the
// tools and locale the Temurin image installs (adoptium/containers <v>/jdk/ubuntu/noble/Dockerfile), en_US.UTF-8
// generated since its LANG names it.
var jdkRuntime = aptInstall{
	packages: []string{"locales", "tzdata", "binutils", "p11-kit", "zlib1g", "liblcms2-2", "libjpeg62-turbo", "libnss3",
		"libpcsclite1", "libfreetype6", "libfontconfig1"},
	script: "sed -i 's/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/' /etc/locale.gen && locale-gen >/dev/null",
}

// temurinEntrypoint stands for the Temurin image's /__cacert_entrypoint.sh: the JDK's trust store already holds
// the system's certificates here, so it only runs its arguments.
const temurinEntrypoint = "#!/bin/sh\nset -e\nexec \"$@\"\n"

// jdkStandIn is docker.io/library/eclipse-temurin:<v>-jdk-noble: Debian trixie with Debian's OpenJDK <v> (JRE and
// JDK, headless) laid out as Temurin's at /opt/java/openjdk, its trust store a file made from the CA bundle, and
// the Temurin image's environment. The real image is Temurin's build on Ubuntu noble; the major and tools match.
func jdkStandIn(major string) standIn { return jdkStandInWith(major, jdkRuntime) }

// jdkStandInWith is jdkStandIn with other packages installed beside the JDK (an image built FROM it adds some).
func jdkStandInWith(major string, runtime aptInstall) standIn {
	facts := map[string]string{} // "version", set by layers before any config is asked for
	config := func(v1.Platform) v1.Config {
		return v1.Config{
			Env: []string{
				"JAVA_HOME=/opt/java/openjdk",
				"PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				"LANG=en_US.UTF-8", "LANGUAGE=en_US:en", "LC_ALL=en_US.UTF-8",
				"JAVA_VERSION=jdk-" + javaVersion(facts["version"]),
			},
			Entrypoint: []string{"/__cacert_entrypoint.sh"},
			Cmd:        []string{"jshell"},
		}
	}
	return standIn{
		facts:     facts,
		name:      "jdk-" + major + "-trixie",
		platforms: []v1.Platform{linuxAMD64},
		layers: func(ctx context.Context, b *builder, p v1.Platform) ([]layerRecipe, error) {
			r, err := b.rootfs(ctx, trixie, p)
			if err != nil {
				return nil, err
			}
			l, debs, err := javaLayer(ctx, b, p, major, "jdk", "opt/java/openjdk", func(t *tree) error {
				if err := r.ensure(ctx, b); err != nil {
					return err
				}
				bundle, err := os.ReadFile(filepath.Join(r.dir, "etc/ssl/certs/ca-certificates.crt"))
				t.addFile("opt/java/openjdk/lib/security/cacerts", 0o644, 0, 0, javaTrustStore(bundle))
				t.addFile("__cacert_entrypoint.sh", 0o755, 0, 0, []byte(temurinEntrypoint))
				return err
			})
			if err != nil {
				return nil, err
			}
			facts["version"] = debs[0].Version
			return withBase(ctx, b, p, runtime, l)
		},
		tags: []tag{{ref: "docker.io/library/eclipse-temurin:" + major + "-jdk-noble", config: config}},
	}
}

// javaLayer is Debian's headless JRE (and JDK when kind is "jdk") moved from /usr/lib/jvm/java-<v>-openjdk-<arch>
// to dir, the links Debian makes into /etc/java-<v>-openjdk replaced by the files, as in Temurin's tree; finish
// adds the trust store and whatever else the image puts beside it. debs[0] is the JRE package.
func javaLayer(ctx context.Context, b *builder, p v1.Platform, major, kind, dir string, finish func(*tree) error) (layerRecipe, []debPackage, error) {
	names := []string{"openjdk-" + major + "-jre-headless"}
	if kind == "jdk" {
		names = append(names, "openjdk-"+major+"-jdk-headless")
	}
	apt, err := b.aptRoot(ctx, javaSuite(major))
	if err != nil {
		return layerRecipe{}, nil, err
	}
	debs, err := apt.resolve(ctx, names, p.Architecture)
	if err != nil {
		return layerRecipe{}, nil, err
	}
	key := []string{"to " + dir}
	for _, d := range debs {
		key = append(key, d.String()+" "+d.SHA256)
	}
	from := "usr/lib/jvm/java-" + major + "-openjdk-" + p.Architecture
	return layerRecipe{
		key:       key,
		createdBy: "Debian's OpenJDK " + javaVersion(debs[0].Version) + " " + kind + " at /" + dir,
		build: func(ctx context.Context, b *builder, _ string) (*tree, writeOptions, error) {
			pkgs := newTree()
			for _, d := range debs {
				file, err := apt.download(ctx, d)
				if err != nil {
					return nil, writeOptions{}, err
				}
				data, err := dpkgDeb(ctx, "--fsys-tarfile", file)
				if err != nil {
					return nil, writeOptions{}, err
				}
				if err := pkgs.addTar(bytes.NewReader(data)); err != nil {
					return nil, writeOptions{}, fmt.Errorf("%s: %w", file, err)
				}
			}
			t := relocate(pkgs, from, dir)
			if _, ok := t.entries[dir+"/bin/java"]; !ok {
				return nil, writeOptions{}, fmt.Errorf("%s has no bin/java", from)
			}
			err := finish(t)
			return t, writeOptions{}, err
		},
	}, debs, nil
}

// relocate copies the tree from one directory to another: links inside it stay links, links out of it are
// replaced by what they point at (files and whole directories), and links to nothing the tree holds (the trust
// store, the documentation, src.zip) are left out.
func relocate(t *tree, from, to string) *tree {
	out := newTree()
	for name, e := range t.entries {
		rest, ok := strings.CutPrefix(name, from+"/")
		if !ok {
			continue
		}
		c := *e
		c.hdr.Name = to + "/" + rest
		switch e.hdr.Typeflag {
		case tar.TypeLink:
			c.hdr.Linkname = strings.Replace(e.hdr.Linkname, from+"/", to+"/", 1)
		case tar.TypeSymlink:
			target := cleanName(e.hdr.Linkname)
			if !path.IsAbs(e.hdr.Linkname) {
				target = cleanName(path.Join(path.Dir(name), e.hdr.Linkname))
			}
			if strings.HasPrefix(target, from+"/") {
				if path.IsAbs(e.hdr.Linkname) {
					c.hdr.Linkname = "/" + to + "/" + strings.TrimPrefix(target, from+"/")
				}
				break
			}
			te, ok := t.entries[target]
			if !ok {
				continue
			}
			if te.hdr.Typeflag == tar.TypeDir {
				for sub, se := range t.entries {
					if r, ok := strings.CutPrefix(sub, target+"/"); ok && se.hdr.Typeflag != tar.TypeSymlink {
						sc := *se
						sc.hdr.Name = c.hdr.Name + "/" + r
						out.put(&sc)
					}
				}
			}
			c = *te
			c.hdr.Name = to + "/" + rest
		}
		out.put(&c)
	}
	return out
}

// distrolessJavaStandIn is gcr.io/distroless/java<v>-debian13: the cc image's layers, the libraries distroless
// adds for Java (java/config.bzl), and Debian's headless JRE where distroless puts Temurin's
// (/usr/lib/jvm/temurin-<v>-jre-<arch>), with /usr/bin/java linked to it, the trust store at
// /etc/ssl/certs/java/cacerts and /etc/ssl/certs/adoptium/cacerts linked to that (java/java.bzl).
func distrolessJavaStandIn(major string) standIn {
	facts := map[string]string{} // "version", set by layers before any config is asked for
	config := func(user, workdir string) func(v1.Platform) v1.Config {
		return func(v1.Platform) v1.Config {
			env := append(distrolessEnv[:len(distrolessEnv):len(distrolessEnv)], "LANG=C.UTF-8", "JAVA_VERSION="+javaShortVersion(facts["version"]))
			return v1.Config{User: user, WorkingDir: workdir, Env: env, Entrypoint: []string{"/usr/bin/java", "-jar"}}
		}
	}
	repo := "gcr.io/distroless/java" + major + "-debian13"
	return standIn{
		facts:     facts,
		name:      "distroless-java" + major + "-debian13",
		platforms: []v1.Platform{linuxAMD64},
		layers: func(ctx context.Context, b *builder, p v1.Platform) ([]layerRecipe, error) {
			ls, err := distrolessLayers(ctx, b, p, trixie, ccFlavor, distrolessJavaPackages)
			if err != nil {
				return nil, err
			}
			dir := "usr/lib/jvm/temurin-" + major + "-jre-" + p.Architecture
			l, debs, err := javaLayer(ctx, b, p, major, "jre", dir, func(t *tree) error {
				t.addSymlink(dir+"/lib/security/cacerts", "/etc/ssl/certs/adoptium/cacerts")
				t.addSymlink("usr/bin/java", "/"+dir+"/bin/java")
				t.addSymlink("etc/ssl/certs/adoptium/cacerts", "/etc/ssl/certs/java/cacerts")
				return nil
			})
			if err != nil {
				return nil, err
			}
			facts["version"] = debs[0].Version
			return append(ls, l, javaTrustStoreLayer()), nil
		},
		tags: []tag{{ref: repo + ":nonroot", config: config("65532", "/home/nonroot")}, {ref: repo + ":latest", config: config("0", "/")}},
	}
}

// distrolessJavaPackages are what distroless adds to cc for Java on Debian 13 (java/config.bzl).
var distrolessJavaPackages = []string{"zlib1g", "libjpeg62-turbo", "liblcms2-2", "libfreetype6", "fonts-dejavu-core",
	"fontconfig-config", "libexpat1", "libfontconfig1", "libuuid1", "libbrotli1", "libcrypt1", "libstdc++6", "libgcc-s1",
	"gcc-14-base", "libpng16-16t64", "libbz2-1.0"}

// javaTrustStoreLayer is /etc/ssl/certs/java/cacerts made from the host's CA bundle, which holds Debian's
// certificates and whatever else this machine trusts (distroless makes it from its ca-certificates).
func javaTrustStoreLayer() layerRecipe {
	return layerRecipe{
		key:       []string{"host CA bundle " + fileDigest(hostCABundle)},
		createdBy: "/etc/ssl/certs/java/cacerts",
		build: func(context.Context, *builder, string) (*tree, writeOptions, error) {
			bundle, err := os.ReadFile(hostCABundle)
			t := newTree()
			t.addFile("etc/ssl/certs/java/cacerts", 0o644, 0, 0, javaTrustStore(bundle))
			return t, writeOptions{}, err
		},
	}
}

// javaTrustStore is a JKS keystore of trusted certificates (what ca-certificates-java writes to
// /etc/ssl/certs/java/cacerts), with the JDK's default password "changeit" and fixed entry dates.
func javaTrustStore(bundle []byte) []byte {
	type entry struct {
		alias string
		der   []byte
	}
	var entries []entry
	seen := map[string]bool{}
	for rest := bundle; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" || seen[string(b.Bytes)] {
			continue
		}
		seen[string(b.Bytes)] = true
		sum := sha1.Sum(b.Bytes)
		entries = append(entries, entry{alias: "cert-" + hex.EncodeToString(sum[:8]), der: b.Bytes})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].alias < entries[j].alias })

	var buf bytes.Buffer
	w := func(v any) { _ = binary.Write(&buf, binary.BigEndian, v) }
	utf := func(s string) { w(uint16(len(s))); buf.WriteString(s) }
	w(uint32(0xFEEDFEED))
	w(uint32(2))
	w(uint32(len(entries)))
	for _, e := range entries {
		w(uint32(2)) // a trusted certificate
		utf(e.alias)
		w(int64(0))
		utf("X.509")
		w(uint32(len(e.der)))
		buf.Write(e.der)
	}
	h := sha1.New()
	for _, c := range utf16.Encode([]rune("changeit")) {
		h.Write([]byte{byte(c >> 8), byte(c)})
	}
	h.Write([]byte("Mighty Aphrodite"))
	h.Write(buf.Bytes())
	return h.Sum(buf.Bytes())
}

package stack

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"sort"
	"strings"
	"unicode/utf16"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// debianJavaMajor is the JDK of Debian bookworm, which the java stand-ins carry: they are tagged with it only, so a
// spec asking for another Java finds no image instead of a wrong one.
const debianJavaMajor = "17"

// javaHome is where Debian's OpenJDK lives for an architecture.
func javaHome(arch string) string { return "/usr/lib/jvm/java-" + debianJavaMajor + "-openjdk-" + arch }

// jdkStandIn is docker.io/library/eclipse-temurin:17-jdk-jammy: Debian bookworm with Debian's headless OpenJDK 17
// (javac, jar), JAVA_HOME and PATH set as the Temurin image sets them. The official image is Temurin's build on
// Ubuntu jammy; the Java major version and the tools are the same. No Maven or Gradle: their images (maven:3-eclipse-
// temurin-17, gradle:jdk17-jammy) have no stand-in, since Maven Central and the Gradle plugin portal are unreachable.
func jdkStandIn() standIn {
	config := func(p v1.Platform) v1.Config {
		home := javaHome(p.Architecture)
		return v1.Config{
			Env: []string{
				"JAVA_HOME=" + home,
				"PATH=" + home + "/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				"LANG=C.UTF-8",
			},
			Cmd: []string{"jshell"},
		}
	}
	return standIn{
		name:      "jdk-" + debianJavaMajor + "-bookworm",
		platforms: []v1.Platform{linuxAMD64},
		layers: func(ctx context.Context, b *builder, p v1.Platform) ([]layerRecipe, error) {
			base, err := debootstrapLayer(ctx, b, p, "ca-certificates", "openjdk-"+debianJavaMajor+"-jdk-headless")
			if err != nil {
				return nil, err
			}
			return []layerRecipe{base}, nil
		},
		tags: []tag{{ref: "docker.io/library/eclipse-temurin:" + debianJavaMajor + "-jdk-jammy", config: config}},
	}
}

// distrolessJavaPackages are Debian's headless JRE and the one library its core needs beyond cc (zlib for
// libzip), on top of cc. The JRE's optional native parts (fonts, images, printing, smart cards, sound) load their
// libraries only when used, and distroless' own image carries those libraries; this stand-in keeps to the core.
var distrolessJavaPackages = append(distrolessCCPackages[:len(distrolessCCPackages):len(distrolessCCPackages)],
	"zlib1g", "openjdk-"+debianJavaMajor+"-jre-headless")

// distrolessJavaStandIn is gcr.io/distroless/java17-debian12: the cc image's packages plus Debian's headless JRE,
// /usr/bin/java (its entrypoint, with -jar) linked to it as Debian's alternatives would, and the JRE's trust store
// made from the CA certificates as ca-certificates-java would. No javac, no shell.
func distrolessJavaStandIn() standIn {
	config := func(user, workdir string) func(v1.Platform) v1.Config {
		return func(p v1.Platform) v1.Config {
			return v1.Config{User: user, WorkingDir: workdir, Entrypoint: []string{"/usr/bin/java", "-jar"}, Env: []string{
				"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
				"JAVA_HOME=" + javaHome(p.Architecture),
				"LANG=C.UTF-8",
			}}
		}
	}
	repo := "gcr.io/distroless/java" + debianJavaMajor + "-debian12"
	return standIn{
		name:      "distroless-java" + debianJavaMajor + "-debian12",
		platforms: []v1.Platform{linuxAMD64},
		layers: func(ctx context.Context, b *builder, p v1.Platform) ([]layerRecipe, error) {
			l, err := distrolessLayer(ctx, b, p, distrolessJavaPackages)
			if err != nil {
				return nil, err
			}
			packages := l.build
			home := strings.TrimPrefix(javaHome(p.Architecture), "/")
			l.key = append(l.key, "/usr/bin/java -> "+home+"/bin/java; cacerts as JKS from the CA bundle; no jinfo, debug dirs")
			l.createdBy += "; /usr/bin/java and /etc/ssl/certs/java/cacerts"
			l.build = func(ctx context.Context, b *builder, scratch string) (*tree, writeOptions, error) {
				t, opt, err := packages(ctx, b, scratch)
				if err != nil {
					return nil, opt, err
				}
				if e, ok := t.entries[home+"/bin/java"]; !ok || e.hdr.Typeflag != tar.TypeReg {
					return nil, opt, errors.New("the JRE package has no regular file " + home + "/bin/java")
				}
				t.addSymlink("usr/bin/java", "/"+home+"/bin/java")
				t.addFile("etc/ssl/certs/java/cacerts", 0o644, 0, 0, javaTrustStore(t.entries["etc/ssl/certs/ca-certificates.crt"].data))
				t.removeIf(func(name string, _ *treeEntry) bool {
					return strings.HasPrefix(name, "usr/lib/debug") || strings.HasSuffix(name, ".jinfo")
				})
				return t, opt, nil
			}
			return []layerRecipe{l}, nil
		},
		tags: []tag{{ref: repo + ":nonroot", config: config("65532", "/home/nonroot")}, {ref: repo + ":latest", config: config("0", "/")}},
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

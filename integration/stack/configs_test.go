package stack

import (
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// realConfig is what the real image's configuration holds, as its upstream definition sets it. env values are
// regular expressions (the whole value); interpreter is the program the image is for, which must be its
// entrypoint or found on its PATH.
type realConfig struct {
	source      string // repository and path the row comes from
	env         map[string]string
	user, dir   string
	entrypoint  []string
	cmd         []string
	interpreter string
}

const debianPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// distrolessRow is a distroless image's configuration: static/static.bzl sets PATH, SSL_CERT_FILE, the user
// and workdir; the language images add their entrypoint and env.
func distrolessRow(source, user string, entrypoint []string, env map[string]string) realConfig {
	e := map[string]string{"PATH": regexp.QuoteMeta(debianPath), "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt"}
	for k, v := range env {
		e[k] = v
	}
	dir := "/"
	if user == "65532" {
		dir = "/home/nonroot"
	}
	r := realConfig{source: "GoogleContainerTools/distroless " + source, env: e, user: user, dir: dir, entrypoint: entrypoint}
	if len(entrypoint) > 0 {
		r.interpreter = entrypoint[0]
	}
	return r
}

// realConfigs are the real images' configurations by reference, for the versions the stand-ins carry.
func realConfigs(goVersion, rustVersion string) map[string]realConfig {
	goMinor := goVersion[:strings.LastIndex(goVersion, ".")]
	golang := realConfig{
		source: "docker-library/golang " + goMinor + "/trixie/Dockerfile",
		env: map[string]string{"PATH": regexp.QuoteMeta("/go/bin:/usr/local/go/bin:" + debianPath), "GOLANG_VERSION": regexp.QuoteMeta(goVersion),
			"GOTOOLCHAIN": "local", "GOPATH": "/go"},
		dir: "/go", cmd: []string{"bash"}, interpreter: "/usr/local/go/bin/go",
	}
	rust := realConfig{
		source: "rust-lang/docker-rust stable/trixie/Dockerfile",
		env: map[string]string{"PATH": regexp.QuoteMeta("/usr/local/cargo/bin:" + debianPath), "RUSTUP_HOME": "/usr/local/rustup",
			"CARGO_HOME": "/usr/local/cargo", "RUST_VERSION": regexp.QuoteMeta(rustVersion)},
		cmd: []string{"bash"}, interpreter: "/usr/local/cargo/bin/cargo",
	}
	out := map[string]realConfig{
		"docker.io/library/golang:" + goVersion + "-trixie": golang,
		"docker.io/library/golang:" + goMinor + "-trixie":   golang,
		"docker.io/library/golang:1-trixie":                 golang,
		"docker.io/library/python:3.13-trixie": {
			source: "docker-library/python 3.13/trixie/Dockerfile",
			env:    map[string]string{"PATH": regexp.QuoteMeta("/usr/local/bin:" + debianPath), "PYTHON_VERSION": `3\.13\.[0-9]+`},
			cmd:    []string{"python3"}, interpreter: "/usr/local/bin/python3",
		},
		"docker.io/library/debian:trixie": {
			source: "debuerreotype/docker-debian-artifacts trixie/oci (library/debian)",
			env:    map[string]string{"PATH": regexp.QuoteMeta(debianPath)}, cmd: []string{"bash"}, interpreter: "/usr/bin/apt-get",
		},
	}
	for _, v := range []string{rustVersion, rustVersion[:strings.LastIndex(rustVersion, ".")], "1"} {
		out["docker.io/library/rust:"+v+"-trixie"] = rust
	}
	for _, n := range []struct{ major, version string }{{"22", "22.23.5"}, {"24", "24.22.3"}, {"26", "26.12.1"}} {
		env := map[string]string{"PATH": regexp.QuoteMeta(debianPath), "NODE_VERSION": regexp.QuoteMeta(n.version)}
		if n.major != "26" {
			env["YARN_VERSION"] = `1\.22\.22`
		}
		for _, kv := range machineNodeEnv() {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = regexp.QuoteMeta(v) // this machine's, not upstream's: see machineNodeEnv
		}
		row := realConfig{source: "nodejs/docker-node " + n.major + "/trixie-slim/Dockerfile", env: env,
			entrypoint: []string{"docker-entrypoint.sh"}, cmd: []string{"node"}, interpreter: "/usr/local/bin/node"}
		out["docker.io/library/node:"+n.major+"-trixie-slim"] = row
		out["docker.io/library/node:"+n.version+"-trixie-slim"] = row
		for _, u := range []string{"65532", "0"} {
			out[distrolessRef("nodejs"+n.major, u)] = distrolessRow("nodejs/nodejs.bzl", u, []string{"/nodejs/bin/node"}, nil)
		}
	}
	for _, j := range []string{"17", "21", "25"} {
		temurin := realConfig{
			source: "adoptium/containers " + j + "/jdk/ubuntu/noble/Dockerfile",
			env: map[string]string{"JAVA_HOME": "/opt/java/openjdk", "PATH": regexp.QuoteMeta("/opt/java/openjdk/bin:" + debianPath),
				"LANG": `en_US\.UTF-8`, "LANGUAGE": "en_US:en", "LC_ALL": `en_US\.UTF-8`, "JAVA_VERSION": `jdk-` + j + `\.[0-9.]+\+[0-9]+`},
			entrypoint: []string{"/__cacert_entrypoint.sh"}, cmd: []string{"jshell"}, interpreter: "/opt/java/openjdk/bin/java",
		}
		out["docker.io/library/eclipse-temurin:"+j+"-jdk-noble"] = temurin
		// The maven image is FROM eclipse-temurin:<v>-jdk-noble and adds MAVEN_HOME and MAVEN_CONFIG.
		maven := realConfig{source: "carlossg/docker-maven eclipse-temurin-" + j + "-noble/Dockerfile", env: map[string]string{
			"MAVEN_HOME": "/usr/share/maven", "MAVEN_CONFIG": "/root/.m2"},
			entrypoint: []string{"/usr/local/bin/mvn-entrypoint.sh"}, cmd: []string{"mvn"}, interpreter: "/opt/java/openjdk/bin/java"}
		for k, v := range temurin.env {
			maven.env[k] = v
		}
		out["docker.io/library/maven:3-eclipse-temurin-"+j+"-noble"] = maven
		for _, u := range []string{"65532", "0"} {
			out[distrolessRef("java"+j, u)] = distrolessRow("java/java.bzl", u, []string{"/usr/bin/java", "-jar"},
				map[string]string{"LANG": `C\.UTF-8`, "JAVA_VERSION": j + `\.[0-9]+\.[0-9]+(\.[1-9][0-9]*)?`})
		}
	}
	for _, u := range []string{"65532", "0"} {
		out[distrolessRef("python3", u)] = distrolessRow("python3/python.bzl", u, []string{"/usr/bin/python3.13"}, map[string]string{"LANG": `C\.UTF-8`})
		for _, f := range []string{"static", "base", "cc"} {
			out[distrolessRef(f, u)] = distrolessRow(f+"/"+f+".bzl (on static/static.bzl)", u, nil, nil)
		}
		out[strings.Replace(distrolessRef("static", u), "debian13", "debian12", 1)] = distrolessRow("static/static.bzl", u, nil, nil)
	}
	for _, f := range []string{"static", "base", "cc"} {
		row := distrolessRow("static/static.bzl (debug: PATH gains /busybox)", "65532", []string{"/busybox/sh"}, nil)
		row.env["PATH"] = regexp.QuoteMeta(debianPath + ":/busybox")
		out["gcr.io/distroless/"+f+"-debian13:debug-nonroot"] = row
	}
	return out
}

func distrolessRef(image, user string) string {
	tag := "latest"
	if user == "65532" {
		tag = "nonroot"
	}
	return "gcr.io/distroless/" + image + "-debian13:" + tag
}

// TestStandInConfigs holds every stand-in's configuration to the real image's, and every real image the
// conversion may ask for here to a stand-in.
func TestStandInConfigs(t *testing.T) {
	g := hostGo{version: "1.26.8"}
	r := hostRust{version: "1.95.0", triple: "x86_64-unknown-linux-gnu"}
	want := realConfigs(g.version, r.version)
	versions := map[string]string{"jdk-21-trixie": "21.0.13.1+2-1~deb13u1", "jdk-25-trixie": "25.0.5.1+2-1~deb13u1",
		"jdk-17-trixie": "17.0.21.1+2-1~deb12u1", "distroless-java17-debian13": "17.0.21.1+2-1~deb12u1",
		"distroless-java21-debian13": "21.0.13.1+2-1~deb13u1", "distroless-java25-debian13": "25.0.5.0+2-1",
		"maven-3-jdk-17-trixie": "17.0.21.1+2-1~deb12u1", "maven-3-jdk-21-trixie": "21.0.13.1+2-1~deb13u1",
		"maven-3-jdk-25-trixie": "25.0.5.1+2-1~deb13u1", "python-3.13-trixie": "3.13.5"}
	served := map[string]bool{}
	for _, s := range standIns(g, r) {
		if v, ok := versions[s.name]; ok {
			s.facts["version"] = v
		}
		for _, tg := range s.tags {
			served[tg.ref] = true
			w, ok := want[tg.ref]
			if !ok {
				t.Errorf("%s (stand-in %s) has no row of the real image's config", tg.ref, s.name)
				continue
			}
			checkConfig(t, tg.ref, tg.config(linuxAMD64), w)
		}
	}
	for ref, w := range want {
		if !served[ref] {
			t.Errorf("no stand-in serves %s (%s)", ref, w.source)
		}
	}
}

func checkConfig(t *testing.T, ref string, got v1.Config, w realConfig) {
	t.Helper()
	env := map[string]string{}
	for _, kv := range got.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for k, re := range w.env {
		if v, ok := env[k]; !ok || !regexp.MustCompile("^(?:"+re+")$").MatchString(v) {
			t.Errorf("%s: %s=%q, want %s as %s sets it", ref, k, v, re, w.source)
		}
	}
	for k := range env {
		if _, ok := w.env[k]; !ok {
			t.Errorf("%s: %s is set, which %s does not set", ref, k, w.source)
		}
	}
	if got.User != w.user || got.WorkingDir != w.dir || !slices.Equal(got.Entrypoint, w.entrypoint) || !slices.Equal(got.Cmd, w.cmd) {
		t.Errorf("%s: user %q workdir %q entrypoint %q cmd %q; want %q %q %q %q (%s)", ref, got.User, got.WorkingDir,
			got.Entrypoint, got.Cmd, w.user, w.dir, w.entrypoint, w.cmd, w.source)
	}
	if w.interpreter != "" && (len(got.Entrypoint) == 0 || got.Entrypoint[0] != w.interpreter) &&
		!slices.Contains(strings.Split(env["PATH"], ":"), path.Dir(w.interpreter)) {
		t.Errorf("%s: %s is neither the entrypoint nor on PATH %s", ref, w.interpreter, env["PATH"])
	}
}

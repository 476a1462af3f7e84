package stack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// mavenHome is where the maven image keeps Maven (carlossg/docker-maven eclipse-temurin-<v>-noble/Dockerfile:
// MAVEN_HOME, its bin/mvn linked from /usr/bin/mvn).
const mavenHome = "usr/share/maven"

// mvnEntrypoint stands for the maven image's /usr/local/bin/mvn-entrypoint.sh, which copies the files of
// /usr/share/maven/ref into MAVEN_CONFIG before it runs its arguments; the stand-in has no such files.
const mvnEntrypoint = "#!/bin/sh\nset -e\nexec \"$@\"\n"

// mavenStandIn is docker.io/library/maven:3-eclipse-temurin-<v>-noble: the eclipse-temurin stand-in of that
// major with Debian's Maven at /usr/share/maven, the real image's MAVEN_HOME, and the real image's environment.
// Its bin, boot, conf and lib are the Apache distribution's; lib's jars are Debian's links into /usr/share/java,
// kept, since their manifests' Class-Path names jars beside them there (httpclient's commons-codec).
func mavenStandIn(major string) standIn {
	jdk := jdkStandInWith(major, mavenRuntime)
	jdkConfig := jdk.tags[0].config
	config := func(p v1.Platform) v1.Config {
		c := jdkConfig(p)
		c.Env = append(c.Env, "MAVEN_HOME=/"+mavenHome, "MAVEN_CONFIG=/root/.m2")
		c.Entrypoint = []string{"/usr/local/bin/mvn-entrypoint.sh"}
		c.Cmd = []string{"mvn"}
		return c
	}
	return standIn{
		facts:     jdk.facts,
		name:      "maven-3-jdk-" + major + "-trixie",
		platforms: jdk.platforms,
		layers: func(ctx context.Context, b *builder, p v1.Platform) ([]layerRecipe, error) {
			ls, err := jdk.layers(ctx, b, p)
			if err != nil {
				return nil, err
			}
			l, err := mavenLayer(ctx, b, p)
			return append(ls, l), err
		},
		tags: []tag{{ref: "docker.io/library/maven:3-eclipse-temurin-" + major + "-noble", config: config}},
	}
}

// mavenRuntime is the JDK stand-in's packages and what the maven image installs on eclipse-temurin
// (carlossg/docker-maven eclipse-temurin-<v>-noble/Dockerfile: ca-certificates curl git openssh-client), in one
// apt layer so dpkg's database lists them all.
var mavenRuntime = aptInstall{packages: append(slices.Clone(jdkRuntime.packages), "curl", "git", "openssh-client"), script: jdkRuntime.script}

// mavenLayer is Debian trixie's maven package and the Java libraries it depends on, unpacked as dpkg would (no
// documentation or Maven repository files); the JRE maven depends on is not taken, the JDK's runs it.
func mavenLayer(ctx context.Context, b *builder, p v1.Platform) (layerRecipe, error) {
	apt, err := b.aptRoot(ctx, trixie)
	if err != nil {
		return layerRecipe{}, err
	}
	debs, err := apt.javaClosure(ctx, []string{"maven"}, p.Architecture)
	if err != nil {
		return layerRecipe{}, err
	}
	version := ""
	key := []string{"as dpkg unpacks it, /" + mavenHome + " and /usr/share/java"}
	for _, d := range debs {
		key = append(key, d.String()+" "+d.SHA256)
		if d.Name == "maven" {
			version = d.Version
		}
	}
	return layerRecipe{
		key:       key,
		createdBy: "Debian's maven " + version + " at /" + mavenHome,
		build: func(ctx context.Context, b *builder, scratch string) (*tree, writeOptions, error) {
			root := filepath.Join(scratch, "debs")
			if err := extractDebs(ctx, apt, debs, root); err != nil {
				return nil, writeOptions{}, err
			}
			t := newTree()
			err := t.addHostDir(root, dirOptions{owner: &[2]int{0, 0}, skip: func(rel string, _ fs.DirEntry) bool {
				return slices.Contains([]string{"usr/share/doc", "usr/share/man", "usr/share/maven-repo", "usr/share/lintian"}, rel)
			}})
			if _, ok := t.entries[mavenHome+"/bin/mvn"]; err == nil && !ok {
				err = fmt.Errorf("Debian's maven %s has no %s/bin/mvn", version, mavenHome)
			}
			t.addDir(mavenHome+"/ref", 0o755, 0, 0)
			t.addSymlink("usr/bin/mvn", "/"+mavenHome+"/bin/mvn")
			t.addFile("usr/local/bin/mvn-entrypoint.sh", 0o755, 0, 0, []byte(mvnEntrypoint))
			return t, writeOptions{}, err
		},
	}, nil
}

// mavenRepoPackages are the Debian packages whose /usr/share/maven-repo the stack serves as a Maven repository:
// the plugins `mvn package` and `dependency:go-offline` run for a jar (at the versions Debian ships, which
// examples/java-maven pins), and two third-party libraries. Their dependencies come with them.
var mavenRepoPackages = []string{
	"libmaven-resources-plugin-java", "libmaven-compiler-plugin-java", "libsurefire-java", "libmaven-jar-plugin-java",
	"libmaven-install-plugin-java", "libmaven-deploy-plugin-java", "libmaven-dependency-plugin-java",
	"libmaven-clean-plugin-java", "libmaven-site-plugin-java", "libcommons-lang3-java", "libgoogle-gson-java",
}

// mavenRepo returns the directory of the Maven repository made from mavenRepoPackages, building it into the
// cache unless the cache holds it for these package versions. Links are resolved (Debian links the "debian"
// version of each artifact to its real one, and the jars into /usr/share/java), so any file server serves it;
// the maven-metadata.xml files a repository manager would serve are added (maven_metadata.go).
func (b *builder) mavenRepo(ctx context.Context) (string, error) {
	apt, err := b.aptRoot(ctx, trixie)
	if err != nil {
		return "", err
	}
	debs, err := apt.javaClosure(ctx, mavenRepoPackages, hostArch())
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "recipe %s, with .sha1 and maven-metadata.xml files\n", recipeVersion)
	for _, d := range debs {
		fmt.Fprintf(h, "%s %s\n", d, d.SHA256)
	}
	parent := filepath.Join(b.cacheDir, "maven-repo")
	dir := filepath.Join(parent, hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	done := b.log.step("Maven repository from %d Debian packages into %s", len(debs), dir)
	scratch := dir + ".unpacked"
	tmp := dir + ".tmp"
	for _, d := range []string{scratch, tmp} {
		if err := os.RemoveAll(d); err != nil {
			return "", err
		}
		defer os.RemoveAll(d)
	}
	if err := extractDebs(ctx, apt, debs, scratch); err != nil {
		return "", err
	}
	err = walkResolved(scratch, "usr/share/maven-repo", func(rel string, fi fs.FileInfo, host string) error {
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(tmp, rel), 0o755)
		}
		return copyHostFile(host, filepath.Join(tmp, rel))
	})
	if err != nil {
		return "", err
	}
	if err := writeMavenMetadata(tmp, time.Now()); err != nil {
		return "", err
	}
	// Repositories of older package versions stay: another stack sharing the cache may still serve one.
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(dir); statErr == nil {
			return dir, nil // another stack up made it meanwhile
		}
		return "", err
	}
	done()
	return dir, nil
}

// copyHostFile copies a file's bytes, readable by all, with its SHA-1 beside it in <name>.sha1 as repositories
// publish it (Debian's packages have none, and Maven warns of each download it cannot check).
func copyHostFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if strings.HasSuffix(to, ".sha1") || strings.HasSuffix(to, ".md5") {
		return os.WriteFile(to, data, 0o644)
	}
	return writeWithSHA1(to, data)
}

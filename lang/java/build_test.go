package java

import (
	"strings"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/internal/llbtest"
	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// TestMavenSettingsSecret: a settings.xml passed as a build secret is mounted at its target on the offline
// package step too (it looks artifacts up by the mirror the settings name), and the local
// repository's cache is /root/.m2/repository alone, so the secret's mount point is never in the cache.
func TestMavenSettingsSecret(t *testing.T) {
	yaml := "language: java\nversion: \"21\"\nartifacts: [target/app.jar]\nbuild:\n  secrets:\n    - {id: maven-settings, target: /root/.m2/settings.xml}\n"
	s, err := spec.Load("hardened.yaml", []byte(yaml), spec.WithLanguages("java"))
	if err != nil {
		t.Fatal(err)
	}
	in := &llb.BuildInput{
		Spec: s, Files: llb.Files{"pom.xml": []byte("<project/>")},
		Builder: llb.Image{State: bkllb.Image("docker.io/library/maven:3-eclipse-temurin-21-noble")},
		Context: bkllb.Local("context"), Locate: func(string) bkllb.ConstraintsOpt { return bkllb.WithDescription(nil) },
		// The network option the conversion passes has the secrets too (llb's fetch); this one has none, so a
		// secret found below was mounted by the Maven build itself.
		Network: bkllb.Network(pb.NetMode_HOST),
	}
	st, _, err := Language{}.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	g := llbtest.Marshal(t, st)
	steps := 0
	for _, o := range g.Execs() {
		args := strings.Join(o.Op.GetExec().Meta.Args, " ")
		if !strings.HasPrefix(args, "mvn ") {
			continue
		}
		steps++
		var secret, cache bool
		for _, m := range o.Op.GetExec().Mounts {
			switch {
			case m.MountType == pb.MountType_SECRET && m.Dest == "/root/.m2/settings.xml" && m.SecretOpt.GetID() == "maven-settings":
				secret = true
			case m.MountType == pb.MountType_CACHE:
				cache = m.Dest == "/root/.m2/repository" && m.CacheOpt.GetID() == "hardened/java/m2-repository"
				if strings.HasPrefix("/root/.m2/settings.xml", m.Dest+"/") && m.Dest != "/root/.m2/repository" {
					t.Errorf("%s: cache mount %s holds the settings.xml mount point", args, m.Dest)
				}
			}
		}
		offline := strings.Contains(args, " -o ")
		if !cache || secret != offline {
			t.Errorf("%s: settings secret mounted %v, local repository cache at /root/.m2/repository %v; want the cache, and the secret on the offline step", args, secret, cache)
		}
		if offline != (o.Op.GetExec().Network == pb.NetMode_NONE) {
			t.Errorf("%s: network %v", args, o.Op.GetExec().Network)
		}
	}
	if steps != 2 {
		t.Errorf("%d mvn steps, want dependency:go-offline and package", steps)
	}
}

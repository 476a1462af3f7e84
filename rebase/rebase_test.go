package rebase

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/audit/image"
)

// setup pushes an old base (glibc 2.41), an app built on it and returns the registry, the app's tag and
// the old base as pushed.
func setup(t *testing.T, server []byte) (*testRegistry, string, v1.Image) {
	t.Helper()
	reg := newRegistry(t)
	old := debianBase(t, "2.41-12")
	oldTag, _ := reg.push("distroless/static:old", old)
	app, _ := reg.push("app:1", appImage(t, old, oldTag, server))
	return reg, app, old
}

// refused wants a *Refusal whose message holds every part of want.
func refused(t *testing.T, err error, want ...string) {
	t.Helper()
	var r *Refusal
	if !errors.As(err, &r) {
		t.Fatalf("want a refusal, got %v", err)
	}
	t.Log(err)
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("the refusal does not say %q:\n%v", w, err)
		}
	}
}

func TestRefusesBaseWithoutDigest(t *testing.T) {
	reg, app, _ := setup(t, elfBinary(""))
	newTag, _ := reg.push("distroless/static:new", debianBase(t, "2.41-13"))
	_, err := Rebase(context.Background(), app, Options{Base: newTag})
	refused(t, err, newTag, "--base names no digest", "REF@sha256:")
}

func TestRefusesDynamicAppOntoOlderGlibc(t *testing.T) {
	reg, app, _ := setup(t, elfBinary("/lib64/ld-linux-x86-64.so.2"))
	_, pinned := reg.push("distroless/cc:older", debianBase(t, "2.36-9+deb12u10"))
	_, err := Rebase(context.Background(), app, Options{Base: pinned})
	d := digestOf(t, app)
	refused(t, err, d, "/lib64/ld-linux-x86-64.so.2", "glibc 2.41-12", "older 2.36-9+deb12u10", "rebuild it with the frontend")

	// The same app onto an equal or newer glibc is moved.
	_, newer := reg.push("distroless/cc:newer", debianBase(t, "2.41-12+deb13u1"))
	res, err := Rebase(context.Background(), app, Options{Base: newer, Tag: reg.host + "/app:newer"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Platforms[0].Glibc != "2.41-12+deb13u1" {
		t.Errorf("glibc %q", res.Platforms[0].Glibc)
	}
}

func TestRefusesImageNotBuiltByTheFrontend(t *testing.T) {
	reg := newRegistry(t)
	old := debianBase(t, "2.41-12")
	oldTag, _ := reg.push("distroless/static:old", old)
	d, _ := old.Digest()
	// The same files and labels, but no step of the frontend's final stage in its history.
	other := imageOf(t, old, "COPY server /app/server", map[string]string{"org.opencontainers.image.base.name": oldTag,
		"org.opencontainers.image.base.digest": d.String()}, nil, file{path: "app/server", mode: 0o755, data: string(elfBinary(""))})
	app, _ := reg.push("other:1", other)
	_, pinned := reg.push("distroless/static:new", debianBase(t, "2.41-13"))
	_, err := Rebase(context.Background(), app, Options{Base: pinned})
	refused(t, err, digestOf(t, app), "not an image the hardened frontend built")
}

func TestRefusesBaseWithoutPackageDatabase(t *testing.T) {
	reg, app, _ := setup(t, elfBinary(""))
	_, pinned := reg.push("busybox:1", debianBase(t, ""))
	_, err := Rebase(context.Background(), app, Options{Base: pinned})
	refused(t, err, pinned, "no Debian package database", "linux/amd64")
}

func TestRefusesScriptEntrypoint(t *testing.T) {
	reg, app, _ := setup(t, []byte("#!/bin/sh\necho hi\n"))
	_, pinned := reg.push("distroless/static:new", debianBase(t, "2.41-13"))
	_, err := Rebase(context.Background(), app, Options{Base: pinned})
	refused(t, err, digestOf(t, app), "not an ELF binary")
}

// A static app moves onto a base that gained a setuid file: the layer that clears it is made from the new
// base, the app's layer is kept, the labels name the new base, ENV and labels follow the new base where the
// spec did not set them, and the same rebase gives the same image twice.
func TestRebaseStaticApp(t *testing.T) {
	ctx := context.Background()
	reg, app, _ := setup(t, elfBinary(""))
	newBase := debianBase(t, "2.41-13", file{path: "usr/", mode: 0o755, dir: true}, file{path: "usr/bin/", mode: 0o755, dir: true},
		file{path: "usr/bin/su", mode: 0o4755, data: "su"})
	_, pinned := reg.push("distroless/static:new", newBase)
	res, err := Rebase(ctx, app, Options{Base: pinned, Tag: reg.host + "/app:rebased"})
	if err != nil {
		t.Fatal(err)
	}
	p := res.Platforms[0]
	if len(p.Stripped) != 1 || p.Stripped[0] != "/usr/bin/su" {
		t.Errorf("stripped %v, want /usr/bin/su", p.Stripped)
	}
	tgt, err := image.Load(ctx, res.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if tgt.Digest != p.Digest {
		t.Errorf("pushed platform image %s, reported %s", tgt.Digest, p.Digest)
	}
	special, err := audit.SpecialFiles(ctx, tgt.FS)
	if err != nil || len(special) != 0 {
		t.Errorf("setuid/setgid files left: %v %v", special, err)
	}
	su, err := tgt.FS.ReadFile(ctx, "/usr/bin/su")
	if err != nil || string(su) != "su" {
		t.Errorf("/usr/bin/su: %q %v", su, err)
	}
	labels := tgt.Config.Config.Labels
	if labels["org.opencontainers.image.base.name"] != pinned || "sha256:"+trimSHA(pinned[strings.LastIndex(pinned, "@")+1:]) != labels["org.opencontainers.image.base.digest"] {
		t.Errorf("base labels %v, want %s", labels, pinned)
	}
	if labels["org.opencontainers.image.title"] != "app" || labels["base.vendor"] != "test" {
		t.Errorf("labels %v", labels)
	}
	if env := strings.Join(tgt.Config.Config.Env, " "); !strings.HasSuffix(env, " ADDR=:8080") {
		t.Errorf("env %s", env)
	}
	if n, m := len(tgt.Config.RootFS.DiffIDs), len(tgt.Config.History); n != 3 || m != 3 || !strings.HasPrefix(tgt.Config.History[2].CreatedBy, verifyLayer) {
		t.Errorf("layers %d, history %v", n, tgt.Config.History)
	}
	if !tgt.Attestations.Known || len(tgt.Attestations.PredicateTypes) != 3 {
		t.Errorf("attestations %v", tgt.Attestations)
	}
	again, err := Rebase(ctx, app, Options{Base: pinned, Tag: reg.host + "/app:again"})
	if err != nil {
		t.Fatal(err)
	}
	if again.Platforms[0].Digest != p.Digest || again.Digest != res.Digest {
		t.Errorf("a second rebase gave %s (%s), the first %s (%s)", again.Platforms[0].Digest, again.Digest, p.Digest, res.Digest)
	}
}

func digestOf(t *testing.T, ref string) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Head(r)
	if err != nil {
		t.Fatal(err)
	}
	return d.Digest.String()
}

// An image whose old base had a setuid file carries the layer that cleared it, a copy of the old base's
// file: rebase drops it, so the new base's file is the one the image holds (a plain rebase would keep the
// old copy on top), and a new base without setuid files needs no such layer.
func TestRebaseDropsOldClearingLayer(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t)
	usr := []file{{path: "usr/", mode: 0o755, dir: true}, {path: "usr/bin/", mode: 0o755, dir: true}}
	old := debianBase(t, "2.41-12", append(usr, file{path: "usr/bin/su", mode: 0o4755, data: "old su"})...)
	oldTag, _ := reg.push("distroless/static:old", old)
	app := appImage(t, old, oldTag, elfBinary(""))
	app = imageOf(t, app, "mount /tree from exec /bin/hardened-frontend tool verify --strip --config /in/config.json --report-epoch 1970-01-01T00:00:00Z /tree /out/result.json",
		nil, nil, append(usr, file{path: "usr/bin/su", mode: 0o755, data: "old su"})...)
	appRef, _ := reg.push("app:1", app)
	_, pinned := reg.push("distroless/static:new", debianBase(t, "2.41-13", append(usr, file{path: "usr/bin/su", mode: 0o755, data: "new su"})...))
	res, err := Rebase(ctx, appRef, Options{Base: pinned, Tag: reg.host + "/app:rebased"})
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := image.Load(ctx, res.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if su, err := tgt.FS.ReadFile(ctx, "/usr/bin/su"); err != nil || string(su) != "new su" {
		t.Errorf("/usr/bin/su holds %q (%v), want the new base's", su, err)
	}
	if n := len(tgt.Config.RootFS.DiffIDs); n != 2 || len(res.Platforms[0].Stripped) != 0 {
		t.Errorf("%d layers (want the base's and the app's), stripped %v; history %v", n, res.Platforms[0].Stripped, tgt.Config.History)
	}
}

// withArch is img for another architecture.
func withArch(t *testing.T, img v1.Image, arch string) v1.Image {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Architecture = arch
	out, err := mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func indexOf(imgs ...v1.Image) v1.ImageIndex {
	var adds []mutate.IndexAddendum
	for _, img := range imgs {
		cf, _ := img.ConfigFile()
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: cf.OS, Architecture: cf.Architecture}}})
	}
	return mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...)
}

// Every platform of the image is rebased, or none: a base that lacks one of them is refused, naming it.
func TestRebaseEveryPlatformOrNone(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t)
	amd, arm := debianBase(t, "2.41-12"), withArch(t, debianBase(t, "2.41-12"), "arm64")
	oldIdx := indexOf(amd, arm)
	oldRef := reg.host + "/distroless/static:old"
	pushIndex(t, oldRef, oldIdx)
	d, _ := oldIdx.Digest()
	app := func(base v1.Image) v1.Image {
		img := appImage(t, base, oldRef, elfBinary(""))
		cf, _ := img.ConfigFile()
		cf = cf.DeepCopy()
		cf.Config.Labels["org.opencontainers.image.base.digest"] = d.String()
		bcf, _ := base.ConfigFile()
		cf.Architecture = bcf.Architecture
		out, err := mutate.ConfigFile(img, cf)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	appRef := reg.host + "/app:1"
	pushIndex(t, appRef, indexOf(app(amd), app(arm)))

	one := indexOf(debianBase(t, "2.41-13"))
	pushIndex(t, reg.host+"/distroless/static:amd64-only", one)
	od, _ := one.Digest()
	_, err := Rebase(ctx, appRef, Options{Base: reg.host + "/distroless/static@" + od.String()})
	refused(t, err, od.String(), "no linux/arm64 image", "every platform is rebased, or none")

	both := indexOf(debianBase(t, "2.41-13"), withArch(t, debianBase(t, "2.41-13"), "arm64"))
	pushIndex(t, reg.host+"/distroless/static:new", both)
	bd, _ := both.Digest()
	res, err := Rebase(ctx, appRef, Options{Base: reg.host + "/distroless/static@" + bd.String(), Tag: reg.host + "/app:rebased"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Platforms) != 2 || res.Platforms[1].Platform != "linux/arm64" {
		t.Errorf("platforms %+v", res.Platforms)
	}
}

func pushIndex(t *testing.T, ref string, idx v1.ImageIndex) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatal(err)
	}
}

// Debian packages unpacked for the old base's release (runtime.libs) are tied to it: refused.
func TestRefusesRuntimeLibs(t *testing.T) {
	reg := newRegistry(t)
	old := debianBase(t, "2.41-12")
	oldTag, _ := reg.push("distroless/cc:old", old)
	app := appImage(t, old, oldTag, elfBinary(""))
	cf, _ := app.ConfigFile()
	cf = cf.DeepCopy()
	cf.Config.Labels["io.github.hardenedbuild.runtime.libs"] = "libsqlite3-0=3.46.1-7"
	app, err := mutate.ConfigFile(app, cf)
	if err != nil {
		t.Fatal(err)
	}
	ref, pinnedApp := reg.push("app:1", app)
	_, pinned := reg.push("distroless/cc:new", debianBase(t, "2.41-13"))
	_, err = Rebase(context.Background(), ref, Options{Base: pinned})
	refused(t, err, digestOf(t, ref), "runtime.libs (libsqlite3-0=3.46.1-7)")

	// An image named by digest has no tag to push the result to.
	if _, err := Rebase(context.Background(), pinnedApp, Options{Base: pinned}); err == nil || !strings.Contains(err.Error(), "--tag") {
		t.Errorf("rebasing %s without --tag: %v", pinnedApp, err)
	}
}

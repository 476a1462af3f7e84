package node_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/internal/llbtest"
	"github.com/hardenedbuild/hardened/lang/registry"
	hllb "github.com/hardenedbuild/hardened/llb"
)

func TestNodeExampleLLB(t *testing.T) {
	s, files := loadDir(t, "node")
	res, g := convert(t, s, resolved(t, s, files, amd64))

	wantSources := []string{
		"docker-image://docker.io/library/node:26-trixie-slim@" + golangDigest.String(),
		"docker-image://gcr.io/distroless/nodejs26-debian13:nonroot@" + staticDigest.String(),
		"local://context",
	}
	got := g.Sources()
	slices.Sort(got)
	if !slices.Equal(got, wantSources) {
		t.Errorf("sources = %q, want %q", got, wantSources)
	}

	manifest := g.Named(t, "copy package.json and package-lock.json")
	if inc := findCopy(t, manifest, "/").IncludePatterns; !slices.Equal(inc, []string{"package.json", "package-lock.json"}) {
		t.Errorf("manifest copy includes %q", inc)
	}
	install := g.Named(t, "npm ci --omit=dev")
	assertCacheMount(t, install, "/root/.npm", "hardened/node/npm")
	if args := install.Op.GetExec().GetMeta().GetArgs(); !slices.Equal(args, []string{"npm", "ci", "--omit=dev"}) {
		t.Errorf("install args = %q, want exec form npm ci --omit=dev", args)
	}
	if cwd := install.Op.GetExec().GetMeta().GetCwd(); cwd != "/src" {
		t.Errorf("install runs in %q", cwd)
	}
	if env := llbtest.Env(install); env["npm_config_cache"] != "/root/.npm" {
		t.Errorf("install env = %v: npm must use the cache mount", env)
	}
	source := g.Named(t, "copy source")
	if g.DependsOn(install, source.Digest) {
		t.Error("npm ci depends on the source copy; a source change would redo the install")
	}
	if !g.DependsOn(source, install.Digest) {
		t.Error("the source copy does not come after npm ci")
	}
	if ex := findCopy(t, source, "/").ExcludePatterns; !slices.Contains(ex, "node_modules") {
		t.Errorf("source copy excludes %q: the context's node_modules would replace npm ci's", ex)
	}

	// The builder lays the app out in /hardened/out: package.json and the artifacts by path, no node_modules.
	layout := g.Named(t, "lay out the app in /hardened/out: package.json and the artifacts")
	for src, dest := range map[string]string{
		"/src/package.json": "/hardened/out/package.json",
		"/src/server.js":    "/hardened/out/server.js", "/src/lib": "/hardened/out/lib", "/src/healthcheck.js": "/hardened/out/healthcheck.js",
	} {
		if cp := findCopy(t, layout, src); cp.Dest != dest {
			t.Errorf("layout copies %s to %s, want %s", src, cp.Dest, dest)
		}
	}
	assertNoCopy(t, layout, "/src/node_modules")

	// The final stage takes node_modules from the step after the install, which a source change
	// leaves cached, in a layer of its own, then /hardened/out whole into /app; without
	// setuid/setgid, owned by root.
	depsOp := g.Named(t, "copy the dependency tree to /app/node_modules (root-owned, modes 0644/0755)")
	final := g.Named(t, "copy artifacts to /app (root-owned, modes 0644/0755)")
	mods := findCopy(t, depsOp, "/src/node_modules")
	from := copyInput(t, g, depsOp, "/src/node_modules")
	if in, ok := g.Input(final, 0); !ok || in.Digest != depsOp.Digest {
		t.Error("the app's layer is not on top of node_modules' own")
	}
	if !mods.CreateDestPath {
		t.Error("the node_modules copy does not make /app (stamped with the epoch as it is made)")
	}
	assertNoCopy(t, final, "/src/node_modules")
	if mods.Dest != "/app/node_modules" || from.Name != "ensure node_modules" || g.DependsOn(from, source.Digest) {
		t.Errorf("node_modules is copied to %s from %q (after the source copy: %v), want /app/node_modules from the install's steps",
			mods.Dest, from.Name, g.DependsOn(from, source.Digest))
	}
	cp := findCopy(t, final, "/hardened/out")
	if cp.Dest != "/app/" || !cp.DirCopyContents || cp.ModeStr != hllb.AppMode || cp.Owner.GetUser().GetByID() != 0 ||
		mods.ModeStr != hllb.AppMode || mods.Owner.GetUser().GetByID() != 0 {
		t.Errorf("final copy = %s -> %s contents %v mode %q owner %v (node_modules mode %q)", cp.Src, cp.Dest, cp.DirCopyContents, cp.ModeStr, cp.Owner, mods.ModeStr)
	}
	if base, ok := g.Input(depsOp, 0); !ok || !strings.Contains(base.Op.GetSource().GetIdentifier(), "distroless/nodejs26-debian13") {
		t.Errorf("the final stage is not on distroless nodejs26-debian13")
	}
	for _, o := range g.Execs() {
		for _, arg := range o.Op.GetExec().GetMeta().GetArgs() {
			if arg == "sh" || arg == "-c" {
				t.Errorf("%s runs a shell: %q", o.Name, o.Op.GetExec().GetMeta().GetArgs())
			}
		}
	}

	img := res.Image
	if !slices.Equal(img.Config.Entrypoint, []string{"/nodejs/bin/node", "/app/server.js"}) {
		t.Errorf("entrypoint = %q", img.Config.Entrypoint)
	}
	if img.Config.User != "65532:65532" || img.Config.WorkingDir != "/app" {
		t.Errorf("user %q workdir %q", img.Config.User, img.Config.WorkingDir)
	}
	if img.Config.Labels[hllb.LabelBaseName] != "gcr.io/distroless/nodejs26-debian13:nonroot" {
		t.Errorf("base label = %q", img.Config.Labels[hllb.LabelBaseName])
	}
}

func TestNodeBuildScript(t *testing.T) {
	s := load(t, "language: node\nversion: \"22\"\nartifacts: [./dist]\nbuild:\n  script: build\n")
	files := hllb.Files{"package.json": []byte(`{}`), "package-lock.json": []byte(`{}`)}
	_, g := convert(t, s, resolved(t, s, files, amd64))

	install := g.Named(t, "npm ci")
	if args := install.Op.GetExec().GetMeta().GetArgs(); !slices.Equal(args, []string{"npm", "ci"}) {
		t.Errorf("install args = %q: the build script needs devDependencies", args)
	}
	build := g.Named(t, "npm run build")
	prune := g.Named(t, "npm prune --omit=dev")
	if !g.DependsOn(prune, build.Digest) || !g.DependsOn(build, g.Named(t, "copy source").Digest) {
		t.Error("want copy source, npm run build, npm prune --omit=dev in that order")
	}
	if build.Op.GetExec().Network != pb.NetMode_NONE {
		t.Error("the build script has network; dependencies are installed already")
	}
	layout := g.Named(t, "lay out the app in /hardened/out: package.json and the artifacts")
	if !g.DependsOn(layout, prune.Digest) {
		t.Error("the app is laid out before devDependencies are pruned")
	}
	findCopy(t, layout, "/src/dist")
	// node_modules ships as the prune left it.
	if from := copyInput(t, g, g.Named(t, "copy the dependency tree to /app/node_modules (root-owned, modes 0644/0755)"), "/src/node_modules"); !g.DependsOn(from, prune.Digest) {
		t.Errorf("node_modules ships from %q, before the prune", from.Name)
	}
}

func TestNodeVersion(t *testing.T) {
	lang, _ := registry.Lookup("node")
	lock := []byte(`{}`)
	for _, tc := range []struct {
		yaml, pkg, builder, base string
	}{
		{`version: "22"`, `{}`, "docker.io/library/node:22-trixie-slim", "gcr.io/distroless/nodejs22-debian13:nonroot"},
		{`version: "24.3.0"`, `{}`, "docker.io/library/node:24.3.0-trixie-slim", "gcr.io/distroless/nodejs24-debian13:nonroot"},
		// engines.node picks the newest supported major the range allows.
		{``, `{"engines": {"node": ">=18"}}`, "docker.io/library/node:26-trixie-slim", "gcr.io/distroless/nodejs26-debian13:nonroot"},
		{``, `{"engines": {"node": "^22.5"}}`, "docker.io/library/node:22-trixie-slim", "gcr.io/distroless/nodejs22-debian13:nonroot"},
		{``, `{"engines": {"node": "20 || 22"}}`, "docker.io/library/node:22-trixie-slim", "gcr.io/distroless/nodejs22-debian13:nonroot"},
		{``, `{"engines": {"node": ">=18 <25"}}`, "docker.io/library/node:24-trixie-slim", "gcr.io/distroless/nodejs24-debian13:nonroot"},
		{``, `{"engines": {"node": "*"}}`, "docker.io/library/node:26-trixie-slim", "gcr.io/distroless/nodejs26-debian13:nonroot"},
		{``, `{"engines": {"node": ">=20.9 <23"}}`, "docker.io/library/node:22-trixie-slim", "gcr.io/distroless/nodejs22-debian13:nonroot"},
		// Debian 12 builds what it always did: bookworm builders, -debian12 finals, majors 20 to 24.
		{`debian: "12"`, `{"engines": {"node": ">=18"}}`, "docker.io/library/node:24-bookworm-slim", "gcr.io/distroless/nodejs24-debian12:nonroot"},
		{"debian: \"12\"\nversion: \"20\"", `{}`, "docker.io/library/node:20-bookworm-slim", "gcr.io/distroless/nodejs20-debian12:nonroot"},
	} {
		s := load(t, "language: node\nartifacts: [index.js]\n"+tc.yaml+"\n")
		files := hllb.Files{"package.json": []byte(tc.pkg), "package-lock.json": lock}
		breq, err := lang.Builder(s, files, amd64, amd64)
		if err != nil {
			t.Fatal(err)
		}
		base, ok, err := baseImage(s, files, amd64)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		if breq.Ref != tc.builder || base.Ref != tc.base {
			t.Errorf("%s %s: builder %s base %s, want %s %s", tc.yaml, tc.pkg, breq.Ref, base.Ref, tc.builder, tc.base)
		}
	}
}

func TestNodeErrorsPointAtTheSpec(t *testing.T) {
	lang, _ := registry.Lookup("node")
	s := load(t, "language: node\nartifacts: [index.js]\n")
	pnpmLock := []byte("lockfileVersion: '9.0'\n")
	v1Lock := []byte("# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n")
	for _, tc := range []struct {
		files hllb.Files
		want  string
	}{
		{hllb.Files{"package.json": []byte(`{"name": "x"}`), "package-lock.json": []byte(`{}`)}, `hardened.yaml:1:11: language: no Node.js version: the spec has no version and package.json no engines.node; write version: "26"`},
		{hllb.Files{"package-lock.json": []byte(`{}`)}, "hardened.yaml:1:11: language: no package.json at the root of the build context"},
		{hllb.Files{"package.json": []byte(`{"engines": {"node": "22"}}`)},
			"hardened.yaml:1:11: language: no lock file at the root of the build context: no package-lock.json, pnpm-lock.yaml or yarn.lock; the install installs exactly what a lock file names; run `npm install`, `pnpm install` or `yarn install` and add the lock file it writes to the context"},
		{hllb.Files{"package.json": []byte(`{"engines": {"node": "22"}, "packageManager": "pnpm@9.15.0"}`)},
			"hardened.yaml:1:11: language: no lock file at the root of the build context: no package-lock.json, pnpm-lock.yaml or yarn.lock; the install installs exactly what a lock file names; run `pnpm install` and add"},
		{hllb.Files{"package.json": []byte(`{"engines": {"node": "22"}}`), "package-lock.json": []byte(`{}`), "yarn.lock": v1Lock},
			"hardened.yaml:1:11: language: package-lock.json and yarn.lock are at the root of the build context together; the one lock file present chooses the package manager; keep the lock file of the package manager the project uses and delete the others"},
		{hllb.Files{"package.json": []byte(`{"engines": {"node": "22"}, "packageManager": "pnpm@latest"}`), "pnpm-lock.yaml": pnpmLock},
			`hardened.yaml:1:11: language: package.json packageManager "pnpm@latest" is not a package manager at an exact version; write e.g. "packageManager": "pnpm@9.15.0"`},
		{hllb.Files{"package.json": []byte(`{"engines": {"node": "22"}, "packageManager": "pnpm@9.1.0; rm -rf /"}`), "pnpm-lock.yaml": pnpmLock},
			`hardened.yaml:1:11: language: package.json packageManager "pnpm@9.1.0; rm -rf /" is not a package manager at an exact version`},
		{hllb.Files{"package.json": []byte(`{"engines": {"node": "22"}, "packageManager": "yarn@4.5.3"}`), "pnpm-lock.yaml": pnpmLock},
			"hardened.yaml:1:11: language: package.json packageManager names yarn, but the lock file is pnpm-lock.yaml; install with yarn and keep its lock file only"},
		{hllb.Files{"package.json": []byte(`{"engines": {"node": "22"}, "packageManager": "yarn@4.5.3"}`), "yarn.lock": v1Lock},
			"hardened.yaml:1:11: language: package.json packageManager names yarn 4.5.3, but yarn.lock is in the format of yarn v1"},
		{hllb.Files{"package.json": []byte(`{"engines": {"node": "22"}}`), "yarn.lock": []byte("__metadata:\n  version: 8\n")},
			"hardened.yaml:1:11: language: yarn.lock is yarn 2 or later's, and package.json does not name the exact yarn that keeps it as it is; run yarn set version"},
		{hllb.Files{"package.json": []byte(`{"engines": {"node": "22"}}`), "pnpm-lock.yaml": []byte("lockfileVersion: '3.1'\n")},
			`hardened.yaml:1:11: language: pnpm-lock.yaml does not say which pnpm wrote it; name it in package.json, e.g. "packageManager": "pnpm@9.15.0"`},
	} {
		_, err := lang.Builder(s, tc.files, amd64, amd64)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("error = %v, want prefix %q", err, tc.want)
		}
	}
}

func TestNodeSpecChecks(t *testing.T) {
	for yaml, want := range map[string]string{
		"language: node\nversion: v20\nartifacts: [a.js]\n":                    `hardened.yaml:2:10: version: "v20" is not a Node.js version`,
		"language: node\nartifacts: [a.js]\ncgo: true\n":                       "hardened.yaml:3:6: cgo: language node does not use cgo; remove it",
		"language: node\nartifacts: [a.js]\nbase: static\n":                    "hardened.yaml:3:7: base: language node does not use base; remove it",
		"language: node\nartifacts: [a.js]\nbuild:\n  ldflags: -s\n":           "hardened.yaml:4:12: build.ldflags: language node does not use build.ldflags; remove it",
		"language: node\nartifacts: [a.js]\nbuild:\n  script: --prefix=/tmp\n": `hardened.yaml:4:11: build.script: "--prefix=/tmp" is not a package.json script name`,
		"language: go\nartifacts: [./cmd/a]\nbuild:\n  script: build\n":        "hardened.yaml:4:11: build.script: language go does not use build.script; remove it",
	} {
		_, err := loadChecked(yaml)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: error = %v, want prefix %q", yaml, err, want)
		}
	}
	if _, err := loadChecked("language: node\nversion: \"22.11.0\"\nartifacts: [a.js]\nbuild:\n  script: build:prod\n"); err != nil {
		t.Errorf("a valid node spec: %v", err)
	}
}

// TestNodePackageManagers: the lock file chooses the manager; each installs production
// dependencies from its frozen lock with its own cache mounted, in exec form.
func TestNodePackageManagers(t *testing.T) {
	official := &dockerspec.DockerOCIImage{}
	official.Config.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "NODE_VERSION=22.12.0", "YARN_VERSION=1.22.22"}
	v1Lock := "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n\nms@^2.1.3:\n  version \"2.1.3\"\n"
	berryLock := "# This file is generated by running \"yarn install\" inside your project.\n\n__metadata:\n  version: 8\n  cacheKey: 10c0\n"
	for _, tc := range []struct {
		name       string
		pkg        string // packageManager
		lock, body string
		yarnrc     string // .yarnrc.yml
		image      *dockerspec.DockerOCIImage
		script     bool
		fetch      []string // the step that gets the manager; nil: the image has it
		install    []string // exec args of the install
		prune      []string // exec args of the prune (offline), nil when the install prunes
		run        []string // exec args of build.script
		cache, id  string
		sharing    pb.CacheSharingOpt
		manifest   []string
		env        map[string]string
	}{
		{
			name: "pnpm from the lock's major, fetched with npm", lock: "pnpm-lock.yaml", body: "lockfileVersion: '9.0'\n",
			fetch:   []string{"npm", "install", "--global", "--prefix", "/opt/hardened/pnpm", "pnpm@9"},
			install: []string{"/opt/hardened/pnpm/bin/pnpm", "install", "--frozen-lockfile", "--prod"},
			cache:   "/root/.local/share/pnpm/store", id: "hardened/node/pnpm-store", sharing: pb.CacheSharingOpt_SHARED,
			manifest: []string{"package.json", "pnpm-lock.yaml", "pnpm-workspace.yaml", ".npmrc", "patches"},
			env:      map[string]string{"npm_config_store_dir": "/root/.local/share/pnpm/store"},
		},
		{
			name: "pnpm build.script", lock: "pnpm-lock.yaml", body: "lockfileVersion: '6.0'\n", script: true,
			fetch:   []string{"npm", "install", "--global", "--prefix", "/opt/hardened/pnpm", "pnpm@8"},
			install: []string{"/opt/hardened/pnpm/bin/pnpm", "install", "--frozen-lockfile"},
			run:     []string{"/opt/hardened/pnpm/bin/pnpm", "run", "build"},
			prune:   []string{"/opt/hardened/pnpm/bin/pnpm", "prune", "--prod"},
			cache:   "/root/.local/share/pnpm/store", id: "hardened/node/pnpm-store", sharing: pb.CacheSharingOpt_SHARED,
		},
		{
			name: "pnpm through corepack in the official image", pkg: "pnpm@9.15.0+sha512.76e2379760a4328ec4415815bcd6628dee727af3779aaa4c914e3944156c4299921a89f976381ee107d41f12cfa4b66681ca9c718f0668fa0831ed4c6d8ba56c",
			lock: "pnpm-lock.yaml", body: "lockfileVersion: '9.0'\n", image: official,
			install: []string{"corepack", "pnpm", "install", "--frozen-lockfile", "--prod"},
			cache:   "/root/.local/share/pnpm/store", id: "hardened/node/pnpm-store", sharing: pb.CacheSharingOpt_SHARED,
			env: map[string]string{"COREPACK_ENABLE_DOWNLOAD_PROMPT": "0"},
		},
		{
			name: "pnpm's exact packageManager version, without corepack", pkg: "pnpm@9.15.0", lock: "pnpm-lock.yaml", body: "lockfileVersion: '9.0'\n",
			fetch:   []string{"npm", "install", "--global", "--prefix", "/opt/hardened/pnpm", "pnpm@9.15.0"},
			install: []string{"/opt/hardened/pnpm/bin/pnpm", "install", "--frozen-lockfile", "--prod"},
			cache:   "/root/.local/share/pnpm/store", id: "hardened/node/pnpm-store", sharing: pb.CacheSharingOpt_SHARED,
		},
		{
			name: "yarn v1, the official image's", lock: "yarn.lock", body: v1Lock, image: official,
			install: []string{"yarn", "install", "--frozen-lockfile", "--production"},
			cache:   "/root/.cache/yarn", id: "hardened/node/yarn", sharing: pb.CacheSharingOpt_LOCKED,
			manifest: []string{"package.json", "yarn.lock", ".yarnrc", ".npmrc"},
			env:      map[string]string{"YARN_CACHE_FOLDER": "/root/.cache/yarn"},
		},
		{
			name: "yarn v1 fetched with npm, build.script", lock: "yarn.lock", body: v1Lock, script: true,
			fetch:   []string{"npm", "install", "--global", "--prefix", "/opt/hardened/yarn", "yarn@1"},
			install: []string{"/opt/hardened/yarn/bin/yarn", "install", "--frozen-lockfile"},
			run:     []string{"/opt/hardened/yarn/bin/yarn", "run", "build"},
			prune:   []string{"/opt/hardened/yarn/bin/yarn", "install", "--frozen-lockfile", "--production", "--offline"},
			cache:   "/root/.cache/yarn", id: "hardened/node/yarn", sharing: pb.CacheSharingOpt_LOCKED,
		},
		{
			name: "yarn berry from the lock's format, launching the committed yarnPath", lock: "yarn.lock", body: berryLock,
			yarnrc:  "nodeLinker: node-modules\nyarnPath: .yarn/releases/yarn-4.5.3.cjs\n",
			fetch:   []string{"npm", "install", "--global", "--prefix", "/opt/hardened/yarn", "@yarnpkg/cli-dist@4"},
			install: []string{"/opt/hardened/yarn/bin/yarn", "install", "--immutable"},
			prune:   []string{"/opt/hardened/yarn/bin/yarn", "workspaces", "focus", "--all", "--production"},
			cache:   "/root/.yarn/berry", id: "hardened/node/yarn-berry", sharing: pb.CacheSharingOpt_LOCKED,
			manifest: []string{"package.json", "yarn.lock", ".yarnrc.yml", ".yarn/releases", ".yarn/plugins", ".yarn/patches"},
			env:      map[string]string{"YARN_NODE_LINKER": "node-modules", "YARN_GLOBAL_FOLDER": "/root/.yarn/berry", "YARN_ENABLE_GLOBAL_CACHE": "true"},
		},
		{
			name: "yarn berry through corepack, build.script", pkg: "yarn@4.5.3", lock: "yarn.lock", body: berryLock, image: official, script: true,
			install: []string{"corepack", "yarn", "install", "--immutable"},
			run:     []string{"corepack", "yarn", "run", "build"},
			prune:   []string{"corepack", "yarn", "workspaces", "focus", "--all", "--production"},
			cache:   "/root/.yarn/berry", id: "hardened/node/yarn-berry", sharing: pb.CacheSharingOpt_LOCKED,
		},
		{
			name: "npm stays npm ci", lock: "package-lock.json", body: "{}", image: official,
			install: []string{"npm", "ci", "--omit=dev"},
			cache:   "/root/.npm", id: "hardened/node/npm", sharing: pb.CacheSharingOpt_SHARED,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := "language: node\nversion: \"22\"\nartifacts: [server.js]\n"
			if tc.script {
				yaml += "build:\n  script: build\n"
			}
			s := load(t, yaml)
			pkg := `{"name": "x"}`
			if tc.pkg != "" {
				pkg = `{"name": "x", "packageManager": "` + tc.pkg + `"}`
			}
			files := hllb.Files{"package.json": []byte(pkg), tc.lock: []byte(tc.body)}
			if tc.yarnrc != "" {
				files[".yarnrc.yml"] = []byte(tc.yarnrc)
			}
			in := resolved(t, s, files, amd64)
			in.Builder.Config = tc.image
			_, g := convert(t, s, in)

			byArgs := map[string]llbtest.Op{}
			for _, o := range g.Execs() {
				args := o.Op.GetExec().GetMeta().GetArgs()
				if o.Name == "check the build script made the artifacts" {
					continue // TestNodeBuiltArtifactsChecked
				}
				byArgs[strings.Join(args, " ")] = o
				for _, a := range args {
					if a == "sh" || a == "-c" {
						t.Errorf("%s runs a shell: %q", o.Name, args)
					}
				}
			}
			exec := func(args []string) llbtest.Op {
				t.Helper()
				o, ok := byArgs[strings.Join(args, " ")]
				if !ok {
					t.Fatalf("no step runs %q; the steps are %q", args, slices.Collect(maps.Keys(byArgs)))
				}
				return o
			}
			want := 1
			for _, a := range [][]string{tc.fetch, tc.run, tc.prune} {
				if a != nil {
					want++
				}
			}
			if len(byArgs) != want {
				t.Errorf("%d steps run, want %d: %q", len(byArgs), want, slices.Collect(maps.Keys(byArgs)))
			}

			manifest := g.Named(t, "copy package.json and "+tc.lock)
			if tc.manifest != nil {
				if inc := findCopy(t, manifest, "/").IncludePatterns; !slices.Equal(inc, tc.manifest) {
					t.Errorf("manifest copy includes %q, want %q", inc, tc.manifest)
				}
			}
			install := exec(tc.install)
			if install.Op.GetExec().Network == pb.NetMode_NONE {
				t.Error("the install has no network")
			}
			if m := cacheMountAt(t, install, tc.cache); m.CacheOpt.GetID() != tc.id || m.CacheOpt.GetSharing() != tc.sharing {
				t.Errorf("install cache %s = id %q sharing %v, want %q %v", tc.cache, m.CacheOpt.GetID(), m.CacheOpt.GetSharing(), tc.id, tc.sharing)
			}
			env := llbtest.Env(install)
			for k, v := range tc.env {
				if env[k] != v {
					t.Errorf("install env %s = %q, want %q", k, env[k], v)
				}
			}
			if tc.fetch != nil {
				fetch := exec(tc.fetch)
				if m := cacheMountAt(t, fetch, "/root/.npm"); m.CacheOpt.GetID() != "hardened/node/npm" {
					t.Errorf("the fetch of the manager has cache %q", m.CacheOpt.GetID())
				}
				if !g.DependsOn(install, fetch.Digest) || !g.DependsOn(fetch, manifest.Digest) {
					t.Error("want the manifest copy, the manager's fetch, the install in that order")
				}
			} else if strings.HasPrefix(tc.install[0], "/opt/") {
				t.Error("the manager runs from /opt without a fetch")
			}
			source := g.Named(t, "copy source")
			if g.DependsOn(install, source.Digest) || !g.DependsOn(source, install.Digest) {
				t.Error("the install must come before the source copy and not depend on it")
			}
			layout := copyInput(t, g, g.Named(t, "copy the dependency tree to /app/node_modules (root-owned, modes 0644/0755)"), "/src/node_modules")
			last := install
			if tc.run != nil {
				run := exec(tc.run)
				if !g.DependsOn(run, source.Digest) || run.Op.GetExec().Network != pb.NetMode_NONE {
					t.Error("the build script must run after the source copy, with no network")
				}
				last = run
			}
			if tc.prune != nil {
				prune := exec(tc.prune)
				if !g.DependsOn(prune, last.Digest) || prune.Op.GetExec().Network != pb.NetMode_NONE {
					t.Errorf("the prune must come after %s, with no network", last.Name)
				}
				if m := cacheMountAt(t, prune, tc.cache); m.CacheOpt.GetID() != tc.id {
					t.Errorf("the prune has cache %q at %s", m.CacheOpt.GetID(), tc.cache)
				}
				if tc.run == nil && g.DependsOn(prune, source.Digest) {
					t.Error("the prune of a project without a build script depends on the source")
				}
				last = prune
			}
			if !g.DependsOn(layout, last.Digest) {
				t.Errorf("node_modules ships from before %s", last.Name)
			}
			if tc.run == nil && g.DependsOn(layout, source.Digest) {
				t.Error("node_modules of a project without a build script ships from after the source copy")
			}
		})
	}
}

// TestNodeCacheNamespace: BUILDKIT_CACHE_MOUNT_NS prefixes every manager's cache.
func TestNodeCacheNamespace(t *testing.T) {
	s := load(t, "language: node\nversion: \"22\"\nartifacts: [server.js]\n")
	files := hllb.Files{"package.json": []byte(`{}`), "yarn.lock": []byte("# yarn lockfile v1\n")}
	in := resolved(t, s, files, amd64)
	in.CacheNS = "team-a"
	_, g := convert(t, s, in)
	install := g.Named(t, "yarn install --frozen-lockfile --production")
	if id := cacheMountAt(t, install, "/root/.cache/yarn").CacheOpt.GetID(); id != "team-a/hardened/node/yarn" {
		t.Errorf("cache id = %q", id)
	}
}

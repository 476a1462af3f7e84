package dockerfile

import (
	"fmt"
	"sort"
	"strings"

	golangLang "github.com/hardenedbuild/hardened/lang/go"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// golang writes the go language's build (lang/go) as two stages, by hand: the one language the
// LLB translator (fromllb.go) does not write yet. What stops it, measured by dropping this file
// (the goldens then differ in go.Dockerfile and go-cgo.Dockerfile):
//   - the translator writes one platform's values (ENV GOOS="linux" GOARCH="amd64"), where this file
//     takes ARG TARGETOS TARGETARCH, so one Dockerfile cross-compiles for every --platform as the
//     frontend does;
//   - the frontend's copy of the module's files (golang.GoMod, golang.GoSum) is include patterns,
//     which allow a module without a sum file; the translator's COPY --parents of both fails on one
//     (this file copies the sum file with a wildcard);
//   - translated build.steps run under `env -u GOOS -u GOARCH ...` to undo the stage's ENV lines,
//     which TestCompileMatchesFrontend rejects as not what the frontend runs.
//
// Once the translator writes platform ARGs and optional copies, this file goes.
func golang(s *spec.Spec, opts Options) ([]byte, error) {
	breq, err := golangLang.Language{}.Builder(s, opts.Files, opts.Platform, opts.Platform)
	if err != nil {
		return nil, err
	}
	builder, err := from(breq, opts)
	if err != nil {
		return nil, err
	}
	baseReq, base, baseName, baseDigest, err := finalBase(s, opts)
	if err != nil {
		return nil, err
	}

	w := &writer{}
	w.header(opts.Source, "the build the hardened frontend runs, written for BuildKit's builtin Dockerfile frontend (no syntax line needed).")

	// Cross-compile on the build platform, so no target is emulated, unless cgo needs the
	// target's C toolchain.
	platform := "--platform=$BUILDPLATFORM "
	if s.CGO {
		platform = ""
	}
	// The dependency layer's stages build on the modules stage, when the build has one (lang/go).
	layered := golangLang.Layered(opts.Files)
	first := map[bool]string{true: "modules", false: "build"}[layered]
	w.line("FROM %s%s AS %s", platform, builder, first)
	if cmd := hllb.BuildPackagesCommand(s); cmd != nil {
		w.comment("build.packages, with apt's lists and downloads in cache mounts.")
		w.line("RUN %s %s %s", cacheMountOf("apt", "lists", "/var/lib/apt/lists", "locked"), cacheMountOf("apt", "cache", "/var/cache/apt", "locked"),
			w.execForm("build.packages", cmd))
	}
	w.line("ARG TARGETOS TARGETARCH")
	w.line("WORKDIR %s", hllb.SrcDir)
	cgo := "0"
	if s.CGO {
		cgo = "1"
	}
	w.line("ENV CGO_ENABLED=%s GOOS=$TARGETOS GOARCH=$TARGETARCH GOTOOLCHAIN=local GOCACHE=/root/.cache/go-build", cgo)
	w.comment("The frontend also sets GOARM (arm/v6, arm/v7) or GOAMD64 (amd64/v2...) from the target's variant;\nadd GOARM=6 or GOAMD64=v3 to the ENV above when you build for one.")
	for _, k := range sortedKeys(s.Build.Env) {
		w.line("ENV %s=%s", k, w.quote("build.env."+k, s.Build.Env[k]))
	}
	for _, k := range sortedKeys(s.Build.Args) {
		w.line("ARG %s=%s", k, w.quote("build.args."+k, s.Build.Args[k]))
		w.line("ENV %s=$%s", k, k)
	}

	modCache := cacheMount("mod", golangLang.GoModCacheMount)
	buildCache := cacheMount("build", "/root/.cache/go-build")
	mod, sum := golangLang.GoMod, golangLang.GoSum
	w.comment(fmt.Sprintf("%s and %s first, so a source change reuses the module download (a module\nwithout dependencies has no %s, hence the wildcard).", mod, sum, sum))
	w.line("COPY %s %s* ./", mod, sum)
	w.comment("One step downloads into the cache mount, then stages the modules into the builder's own layer\n(GOMODCACHE=/go/pkg/mod) from it, else from the proxy (the argument after the script): a cache\nmount is in no layer, a build that imports this step from a remote cache has an empty mount, and\nthe compile reads only the staged copy.")
	w.line("ENV GOMODCACHE=/go/pkg/mod")
	w.line("RUN %s%s %s", modCache, fetchMounts(s), w.execForm("go mod download", golangLang.GoModulesCommand(s)))
	seed := goDepsStages(w, s, layered, buildCache)
	w.line("COPY . .")
	w.comment("Modules are downloaded: the compile gets no network at all.")
	w.line("ENV GOPROXY=off")
	for i, a := range s.Artifacts {
		args := []string{"go", "build", "-trimpath", "-ldflags", golangLang.GoLdflags(s)}
		if len(s.Build.Tags) > 0 {
			args = append(args, "-tags", strings.Join(s.Build.Tags, ","))
		}
		args = append(args, "-o", hllb.OutDir+"/"+golangLang.Language{}.ArtifactName(a, opts.Files), a)
		mounts, cmd := buildCache, args
		if seed != "" && i == 0 {
			mounts, cmd = buildCache+seed, golangLang.SeededCommand(args)
		}
		w.line("RUN --network=none %s %s", mounts, w.execForm(fmt.Sprintf("artifacts[%d]", i), cmd))
	}
	if len(s.Build.Steps) > 0 {
		w.comment("build.steps run with the network and the default module proxy, as in the frontend.")
		w.comment("The steps find the artifacts in " + hllb.StepsOutDir + ", as in the frontend: a link to " + hllb.OutDir + ".")
		w.line("RUN --network=none %s", w.execForm("symlink", []string{"ln", "-sfn", "--", hllb.OutDir, hllb.StepsOutDir}))
		w.line("ENV GOPROXY= HARDENED_OUT=%s", hllb.StepsOutDir)
		for i, step := range s.Build.Steps {
			if step.Name != "" {
				w.comment(step.Name)
			}
			w.line("RUN %s%s", strings.TrimPrefix(fetchMounts(s)+" ", " "), w.execForm(fmt.Sprintf("build.steps[%d]", i), step.Command()))
		}
	}
	labels, err := finalFrom(w, s, opts, breq, builder, baseReq, base)
	if err != nil {
		return nil, err
	}
	goAppCopies(w, s, opts)
	w.imageConfig(s, opts.Files, baseName, baseDigest, labels)
	if w.err != nil {
		return nil, w.err
	}
	return w.b.Bytes(), nil
}

// cacheMount is a RUN --mount for one of the go language's caches, with the id llb.CacheID
// makes; the Dockerfile frontend prefixes BUILDKIT_CACHE_MOUNT_NS itself, as the hardened
// frontend does.
func cacheMount(name, target string) string {
	return cacheMountOf("go", name, target, "shared")
}

// cacheMountOf is a RUN --mount for a cache of the frontend's, by its language and name.
func cacheMountOf(language, name, target, sharing string) string {
	return fmt.Sprintf("--mount=type=cache,id=%s,target=%s,sharing=%s", hllb.CacheID("", language, name), target, sharing)
}

// fetchMounts are the RUN --mount flags of build.secrets and build.ssh, for the steps that
// download and the spec's own steps, as the frontend mounts them, each after a space.
func fetchMounts(s *spec.Spec) string {
	var b strings.Builder
	for _, sec := range s.Build.Secrets {
		b.WriteString(" --mount=type=secret,id=" + sec.ID)
		if sec.Env != "" {
			b.WriteString(",env=" + sec.Env)
		} else {
			b.WriteString(",target=" + sec.SecretTarget() + ",mode=0400")
		}
		if !sec.Optional {
			b.WriteString(",required=true")
		}
	}
	for _, id := range s.Build.SSH {
		b.WriteString(" --mount=type=ssh,id=" + id + ",required=true")
	}
	return b.String()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// goDepsStages writes the dependency layer's stages (lang/go/deps.go) and the build stage's FROM, and
// returns the mount the first compile seeds the shared cache from; nothing without the layer.
func goDepsStages(w *writer, s *spec.Spec, layered bool, buildCache string) string {
	if !layered {
		return ""
	}
	w.comment("The packages the artifacts import from outside the module, listed from the source in a stage\nof their own: the next step reads only the list, so a source change that imports nothing new\nleaves the compiled dependencies cached (BuildKit keys a read-only mount by its content). go list\nreads its index of the packages from the shared build cache.")
	w.line("FROM modules AS imports")
	w.line("COPY . .")
	w.line("ENV GOPROXY=off")
	w.line("RUN --network=none %s %s", buildCache, w.execForm("artifacts", golangLang.ListCommand(s)))
	w.comment("The standard library and the dependencies, compiled on the shared cache mount, their entries\ncopied into the stage's " + golangLang.DepsLayer + ": a layer a registry cache carries, where a cache\nmount is never exported.")
	w.line("FROM modules AS deps")
	w.line("ENV GOPROXY=off")
	w.line("RUN --network=none %s --mount=type=bind,from=imports,source=%s,target=%s %s", buildCache, golangLang.DepsDir, golangLang.DepsDir, w.execForm("language", golangLang.DepsCommand(s)))
	w.comment("The first compile adds the dependency layer's entries the shared cache mount lacks, once per layer.")
	w.line("FROM modules AS build")
	return fmt.Sprintf(" --mount=type=bind,from=deps,source=%s,target=%s", golangLang.DepsLayer, golangLang.DepsLayer)
}

// goAppCopies writes the binaries' copies into /app, then runtime.files'.
func goAppCopies(w *writer, s *spec.Spec, opts Options) {
	w.comment("Root-owned, not writable by the runtime user, without setuid/setgid bits. The frontend strips\nthose with the symbolic u-s,g-s; octal 0755 does the same for a binary and needs no Dockerfile\nnewer than 1.2 (symbolic --chmod needs 1.14).")
	for _, a := range s.Artifacts {
		name := golangLang.Language{}.ArtifactName(a, opts.Files)
		w.line("COPY --from=build --chmod=0755 %s/%s %s/%s", hllb.OutDir, w.path("artifacts", name), hllb.ArtifactDir, name)
	}
	runtimeFiles(w, s)
}

package rust

import (
	"fmt"
	"slices"
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/llb"
)

// Build copies the source with one time in the future, fetches what is not vendored with the
// network, and compiles offline: cargo install for a package, cargo build and a copy for a workspace.
// A package's dependencies compile first in a layer of their own (deps.go), which the crate's
// compile takes its target directory from; other projects use the shared target cache mount.
func (Language) Build(in *llb.BuildInput) (bkllb.State, *llb.Deps, error) {
	s := in.Spec
	triple, _, err := rustTarget(s, in.Files, in.Target)
	if err != nil {
		return bkllb.State{}, nil, err
	}
	cargoHome := llb.ImageEnv(in.Builder.Config, "CARGO_HOME", rustCargoHome)
	registry := llb.CacheMount(in.CacheNS, "rust", "registry", cargoHome+"/registry", bkllb.CacheMountLocked)
	targetDir := llb.CacheMount(in.CacheNS, "rust", "target", rustTargetDir, bkllb.CacheMountLocked)

	env := cargoEnv(in, cargoHome)
	var targetArgs []string
	if triple != "" {
		targetArgs = []string{"--target", triple}
	}
	flags, compileEnv := compileFlags(in, cargoHome, targetArgs, env)
	fetch := []string(nil)
	if rustNeedsFetch(in.Files) {
		fetch = append([]string{"cargo", "fetch", "--locked"}, targetArgs...)
	}

	st := in.Builder.State
	if triple != "" {
		// The official image has only its host's standard library; the target's comes from rustup.
		st = st.Run(append([]bkllb.RunOption{
			bkllb.Args([]string{"rustup", "target", "add", triple}), in.Network,
			bkllb.WithCustomName("rustup target add " + triple), in.Locate("language"),
		}, env...)...).Root()
	}
	sk, layered := rustSkeleton(in.Files)
	if layered {
		// The crate builds on the dependency layer's target directory, a writable mount whose changes
		// are discarded; the registry, when fetched, is in that layer, so no cache mount hides it.
		st = depsLayer(in, st, sk, fetch, flags, compileEnv)
		targetDir, registry, fetch = bkllb.AddMount(rustTargetDir, st, bkllb.SourcePath(rustTargetDir)), nil, nil
	}
	st = st.File(sourceCopy(in, sk, layered), bkllb.WithCustomName("copy source"), in.Locate("language"))

	if fetch != nil {
		st = st.Run(append([]bkllb.RunOption{
			bkllb.Args(fetch), bkllb.Dir(llb.SrcDir), registry, in.Network,
			bkllb.WithCustomName(strings.Join(fetch, " ")), in.Locate("language"),
		}, env...)...).Root()
	}

	// Everything is fetched or vendored: the compile gets no network at all.
	bins := s.Artifacts
	install := rustInstalls(in.Files)
	args := []string{"cargo", "build", "--release", "--locked", "--offline"}
	name := "cargo build --release --locked " + strings.Join(bins, " ") + " for " + llb.PlatformString(in.Target)
	if install {
		// One step, no shell: cargo install builds the release profile in the target directory and
		// copies the binaries to <root>/bin, a link to /hardened/out, where the target mount does not reach.
		args = []string{"cargo", "install", "--path", ".", "--root", rustInstallRoot, "--no-track", "--locked", "--offline"}
		name = "cargo install --locked " + strings.Join(bins, " ") + " for " + llb.PlatformString(in.Target) + " into " + llb.OutDir
	}
	args = append(args, flags...)
	for _, a := range bins {
		args = append(args, "--bin", a)
	}
	mounts := []bkllb.RunOption{targetDir}
	if registry != nil {
		mounts = append(mounts, registry)
	}
	st = st.Run(append(append([]bkllb.RunOption{
		bkllb.Args(args), bkllb.Dir(llb.SrcDir),
		bkllb.Network(pb.NetMode_NONE),
		bkllb.WithCustomName(name),
		in.Locate("artifacts"),
	}, mounts...), compileEnv...)...).Root()
	if install {
		return st, nil, nil
	}

	return copyOut(in, st, triple, targetDir, env), nil, nil
}

// compileFlags are the arguments every compile of the project takes after its command (the target,
// the path remapping as build.rustflags) and its environment: the spec's RUSTFLAGS replaces
// build.rustflags, so it gets the remapping added instead. The dependency layer compiles with the
// same, or cargo would take its artifacts for stale.
func compileFlags(in *llb.BuildInput, cargoHome string, targetArgs []string, env []bkllb.RunOption) ([]string, []bkllb.RunOption) {
	remap := []string{"--remap-path-prefix=" + llb.SrcDir + "=.", "--remap-path-prefix=" + cargoHome + "=" + rustCargoHomeRemap,
		"--remap-path-prefix=" + rustTargetDir + "=target"}
	flags := slices.Clone(targetArgs)
	if f, ok := in.Spec.Build.Env["RUSTFLAGS"]; ok {
		return flags, append(slices.Clone(env), bkllb.AddEnv("RUSTFLAGS", strings.TrimSpace(f+" "+strings.Join(remap, " "))))
	}
	return append(flags, "--config", "build.rustflags="+tomlArray(remap)), env
}

// sourceCopy copies the context to /src, over the skeleton when the build is layered.
//
// A target/ of the context is a leftover of a local build, never an input. /hardened/out, where the
// binaries land, is made in the same file op (and cargo install's root, whose bin links to it).
// Cargo takes a local crate for built when its files are older than its last build's dep-info, and
// the target cache mount outlives any one context: a checkout whose files are older than the last
// build in the cache (another worktree, a restored CI checkout) could get that build's binary (seen
// by hand in 2 of 4 tries, each with another build.env than the last build's). Copied with one time in the future, a local crate
// always compiles when this step runs, which is only when the context changed; vendored crates are
// copied with a time in the past (VendorTime), so their build scripts do not run again.
func sourceCopy(in *llb.BuildInput, sk skeleton, layered bool) *bkllb.FileAction {
	vendor := vendorDirs(in.Files)
	copyContext := func(fa *bkllb.FileAction) *bkllb.FileAction {
		info := &bkllb.CopyInfo{
			CopyDirContentsOnly: true,
			CreateDestPath:      true,
			ExcludePatterns:     slices.Concat(in.SourceExcludes("target"), vendor),
			CreatedTime:         &SourceTime,
		}
		if fa == nil {
			return copyVendored(in, bkllb.Copy(in.Context, "/", llb.SrcDir, info), vendor)
		}
		return copyVendored(in, fa.Copy(in.Context, "/", llb.SrcDir, info), vendor)
	}
	var src *bkllb.FileAction
	if layered {
		src = copyOverSkeleton(sk, copyContext)
	} else {
		src = copyContext(nil)
	}
	src = src.Mkdir(llb.OutDir, 0o755, bkllb.WithParents(true))
	if rustInstalls(in.Files) {
		src = src.Mkdir(rustInstallRoot, 0o755, bkllb.WithParents(true)).Symlink(llb.OutDir, rustInstallRoot+"/bin")
	}
	return src
}

// copyOut copies a workspace's binaries out of the target cache mount, which never reaches a
// layer, into /out: cargo install takes one package, so a workspace gets cargo build and this.
func copyOut(in *llb.BuildInput, st bkllb.State, triple string, targetDir bkllb.RunOption, env []bkllb.RunOption) bkllb.State {
	bins := in.Spec.Artifacts
	release := rustTargetDir + "/release/"
	if triple != "" {
		release = rustTargetDir + "/" + triple + "/release/"
	}
	var built []string
	for _, a := range bins {
		built = append(built, release+a)
	}
	return st.Run(append([]bkllb.RunOption{
		bkllb.Args(append(append([]string{"cp", "--"}, built...), llb.OutDir+"/")), bkllb.Dir(llb.SrcDir), targetDir,
		bkllb.Network(pb.NetMode_NONE),
		bkllb.WithCustomName("copy " + strings.Join(bins, " ") + " out of the target cache into " + llb.OutDir),
		in.Locate("artifacts"),
	}, env...)...).Root()
}

// cargoEnv is the environment of every cargo step: cargo's directories, no colour or
// incremental builds, the image's own toolchain when a rust-toolchain file would ask for another,
// then build.env.
func cargoEnv(in *llb.BuildInput, cargoHome string) []bkllb.RunOption {
	env := []bkllb.RunOption{
		bkllb.AddEnv("CARGO_HOME", cargoHome),
		bkllb.AddEnv("CARGO_TARGET_DIR", rustTargetDir),
		bkllb.AddEnv("CARGO_TERM_COLOR", "never"),
		bkllb.AddEnv("CARGO_INCREMENTAL", "0"),
	}
	if v := llb.ImageEnv(in.Builder.Config, "RUST_VERSION", ""); v != "" && rustToolchainFile(in.Files) {
		// The image's own toolchain: the context's rust-toolchain file must not make rustup download
		// another (the compile has no network). Without one nothing overrides the image's default, and
		// nothing is set: cargo keeps what it learns of rustc cached in the target directory only while
		// $RUSTUP_HOME/toolchains/$RUSTUP_TOOLCHAIN/bin/rustc exists, and asks rustc again on every run
		// otherwise (70 ms a build here). So the name is the directory rustup installed it in.
		env = append(env, bkllb.AddEnv("RUSTUP_TOOLCHAIN", rustToolchainName(v, in.Target)))
	}
	return append(env, llb.BuilderEnv(in.Spec)...)
}

// tomlArray writes strings as a TOML inline array, for cargo --config.
func tomlArray(items []string) string {
	q := make([]string, len(items))
	for i, it := range items {
		q[i] = fmt.Sprintf("%q", it)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

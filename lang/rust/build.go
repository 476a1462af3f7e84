package rust

import (
	"fmt"
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/llb"
)

// Build copies the source with one time in the future, fetches what is not vendored with the
// network, and compiles offline: cargo install for a package, cargo build and a copy for a workspace.
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
	remap := []string{"--remap-path-prefix=" + llb.SrcDir + "=.", "--remap-path-prefix=" + cargoHome + "=" + rustCargoHomeRemap,
		"--remap-path-prefix=" + rustTargetDir + "=target"}
	var targetArgs []string
	if triple != "" {
		targetArgs = []string{"--target", triple}
	}

	st := in.Builder.State
	if triple != "" {
		// The official image has only its host's standard library; the target's comes from rustup.
		st = st.Run(append([]bkllb.RunOption{
			bkllb.Args([]string{"rustup", "target", "add", triple}), in.Network,
			bkllb.WithCustomName("rustup target add " + triple), in.Locate("language"),
		}, env...)...).Root()
	}

	// A target/ of the context is a leftover of a local build, never an input. /hardened/out, where the
	// binaries land, is made in the same file op (and cargo install's root, whose bin links to it).
	// Cargo takes a local crate for built when its files are older than its last build's dep-info, and
	// the target cache mount outlives any one context: a checkout whose files are older than the last
	// build in the cache (another worktree, a restored CI checkout) could get that build's binary (seen
	// by hand in 2 of 4 tries, each with another build.env than the last build's). Copied with one time in the future, a local crate
	// always compiles when this step runs, which is only when the context changed; vendored and registry
	// crates are judged by their versions, not their times.
	src := bkllb.Copy(in.Context, "/", llb.SrcDir, &bkllb.CopyInfo{
		CopyDirContentsOnly: true,
		CreateDestPath:      true,
		ExcludePatterns:     in.SourceExcludes("target"),
		CreatedTime:         &SourceTime,
	}).Mkdir(llb.OutDir, 0o755, bkllb.WithParents(true))
	install := rustInstalls(in.Files)
	if install {
		src = src.Mkdir(rustInstallRoot, 0o755, bkllb.WithParents(true)).Symlink(llb.OutDir, rustInstallRoot+"/bin")
	}
	st = st.File(src, bkllb.WithCustomName("copy source"), in.Locate("language"))

	if rustNeedsFetch(in.Files) {
		args := append([]string{"cargo", "fetch", "--locked"}, targetArgs...)
		st = st.Run(append([]bkllb.RunOption{
			bkllb.Args(args), bkllb.Dir(llb.SrcDir), registry, in.Network,
			bkllb.WithCustomName(strings.Join(args, " ")), in.Locate("language"),
		}, env...)...).Root()
	}

	// Everything is fetched or vendored: the compile gets no network at all.
	bins := s.Artifacts
	var args []string
	name := "cargo build --release --locked " + strings.Join(bins, " ") + " for " + llb.PlatformString(in.Target)
	if install {
		// One step, no shell: cargo install builds the release profile in the target cache and copies
		// the binaries to <root>/bin, a link to /hardened/out, where the cache mount does not reach.
		args = []string{"cargo", "install", "--path", ".", "--root", rustInstallRoot, "--no-track", "--locked", "--offline"}
		name = "cargo install --locked " + strings.Join(bins, " ") + " for " + llb.PlatformString(in.Target) + " into " + llb.OutDir
	} else {
		args = []string{"cargo", "build", "--release", "--locked", "--offline"}
	}
	args = append(args, targetArgs...)
	compileEnv := env
	if flags, ok := s.Build.Env["RUSTFLAGS"]; ok {
		// RUSTFLAGS replaces build.rustflags, so the spec's own get the path remapping added.
		compileEnv = append(compileEnv, bkllb.AddEnv("RUSTFLAGS", strings.TrimSpace(flags+" "+strings.Join(remap, " "))))
	} else {
		args = append(args, "--config", "build.rustflags="+tomlArray(remap))
	}
	for _, a := range bins {
		args = append(args, "--bin", a)
	}
	st = st.Run(append([]bkllb.RunOption{
		bkllb.Args(args), bkllb.Dir(llb.SrcDir), registry, targetDir,
		bkllb.Network(pb.NetMode_NONE),
		bkllb.WithCustomName(name),
		in.Locate("artifacts"),
	}, compileEnv...)...).Root()
	if install {
		return st, nil, nil
	}

	return copyOut(in, st, triple, targetDir, env), nil, nil
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

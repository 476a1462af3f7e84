package stack

import (
	"archive/tar"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// hostRust is the stable toolchain rustup installed on this machine, which the rust stand-in carries as the
// official image carries the one rustup-init installed (rustup 1.29.0 there and here). Its version is one the
// official image published for trixie (rust:1.95.0-trixie), unlike Debian trixie's rustc 1.85.1, and with rustup
// in the image a rust-toolchain file resolves as it does upstream.
type hostRust struct {
	version   string // "1.95.0"
	triple    string // "x86_64-unknown-linux-gnu"
	toolchain string // the host's toolchain directory
	rustup    string // the host's rustup binary
}

// rustMinimal are the components of rustup's minimal profile, which the official image installs.
var rustMinimal = []string{"rustc", "cargo", "rust-std"}

// rustProxies are the commands rustup-init links to rustup in $CARGO_HOME/bin.
var rustProxies = []string{"cargo", "cargo-clippy", "cargo-fmt", "cargo-miri", "clippy-driver", "rls", "rust-analyzer",
	"rust-gdb", "rust-gdbgui", "rust-lldb", "rustc", "rustdoc", "rustfmt"}

// findHostRust reads the host's stable toolchain from $RUSTUP_HOME (default ~/.rustup) and rustup from
// $CARGO_HOME/bin (default ~/.cargo/bin).
func findHostRust(ctx context.Context) (hostRust, error) {
	home, _ := os.UserHomeDir()
	rustupHome := cmpOr(os.Getenv("RUSTUP_HOME"), filepath.Join(home, ".rustup"))
	cargoHome := cmpOr(os.Getenv("CARGO_HOME"), filepath.Join(home, ".cargo"))
	triple := map[string]string{"amd64": "x86_64-unknown-linux-gnu", "arm64": "aarch64-unknown-linux-gnu"}[hostArch()]
	r := hostRust{triple: triple, toolchain: filepath.Join(rustupHome, "toolchains", "stable-"+triple), rustup: filepath.Join(cargoHome, "bin", "rustup")}
	out, err := exec.CommandContext(ctx, filepath.Join(r.toolchain, "bin", "rustc"), "--version").Output()
	if err != nil {
		return r, fmt.Errorf("the rust stand-in carries this machine's stable Rust toolchain (rustup toolchain install stable --profile minimal): %s: %w", r.toolchain, err)
	}
	if f := strings.Fields(string(out)); len(f) > 1 {
		r.version = f[1]
	}
	if _, err := os.Stat(r.rustup); err != nil {
		return r, fmt.Errorf("the rust stand-in carries this machine's rustup: %w", err)
	}
	return r, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// rustStandIn is docker.io/library/rust:<version>-trixie, :<minor>-trixie and :1-trixie: Debian trixie with the C
// toolchain rustc links with, rustup in /usr/local/cargo/bin and the toolchain's minimal profile in
// /usr/local/rustup, configured as rust-lang/docker-rust's stable/trixie/Dockerfile. Only the host target
// builds (no musl: rustup cannot download targets here).
func rustStandIn(r hostRust) standIn {
	config := func(v1.Platform) v1.Config {
		return v1.Config{
			Env: []string{
				"RUSTUP_HOME=/usr/local/rustup",
				"CARGO_HOME=/usr/local/cargo",
				"PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				"RUST_VERSION=" + r.version,
			},
			Cmd: []string{"bash"},
		}
	}
	var tags []tag
	for _, v := range []string{r.version, r.version[:max(strings.LastIndex(r.version, "."), 0)], "1"} {
		tags = append(tags, tag{ref: "docker.io/library/rust:" + v + "-trixie", config: config})
	}
	return standIn{
		name:      "rust-" + r.version + "-trixie",
		platforms: []v1.Platform{linuxAMD64},
		layers: func(ctx context.Context, b *builder, p v1.Platform) ([]layerRecipe, error) {
			return withBase(ctx, b, p, buildTools, rustupLayer(r))
		},
		tags: tags,
	}
}

// rustupLayer is rustup with its proxies (hard links, as rustup-init makes them) in /usr/local/cargo/bin, the
// settings naming the toolchain the default, and the toolchain's minimal-profile files from the components'
// manifests, all writable by anyone as the official image leaves them.
func rustupLayer(r hostRust) layerRecipe {
	name := r.version + "-" + r.triple
	return layerRecipe{
		key:       []string{"rustup " + fileDigest(r.rustup), "toolchain " + name + " from " + r.toolchain},
		createdBy: "rustup-init --profile minimal --default-toolchain " + r.version,
		build: func(ctx context.Context, b *builder, _ string) (*tree, writeOptions, error) {
			t := newTree()
			rustlib := "lib/rustlib/"
			keep := map[string]bool{rustlib + "multirust-channel-manifest.toml": true, rustlib + "rust-installer-version": true}
			var comps []string
			for _, c := range rustMinimal {
				comp := c + "-" + r.triple
				comps = append(comps, comp)
				keep[rustlib+"manifest-"+comp] = true
				data, err := os.ReadFile(filepath.Join(r.toolchain, rustlib, "manifest-"+comp))
				if err != nil {
					return nil, writeOptions{}, err
				}
				for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
					_, p, _ := strings.Cut(line, ":")
					keep[p] = true
				}
			}
			dir := "usr/local/rustup/toolchains/" + name
			err := t.addHostDir(r.toolchain, dirOptions{prefix: dir, owner: &[2]int{0, 0}, skip: func(rel string, d fs.DirEntry) bool {
				for p := rel; p != "."; p = filepath.Dir(p) {
					if keep[p] {
						return false
					}
				}
				return !d.IsDir()
			}})
			if err != nil {
				return nil, writeOptions{}, err
			}
			pruneEmptyDirs(t, dir)
			t.addFile(dir+"/"+rustlib+"components", 0o644, 0, 0, []byte(strings.Join(comps, "\n")+"\n"))
			t.addFile(dir+"/"+rustlib+"multirust-config.toml", 0o644, 0, 0, rustupComponents(r.triple))
			t.addFile("usr/local/rustup/settings.toml", 0o644, 0, 0, []byte(
				"version = \"12\"\ndefault_toolchain = \""+name+"\"\nprofile = \"minimal\"\n\n[overrides]\n"))
			rustup, err := os.ReadFile(r.rustup)
			if err != nil {
				return nil, writeOptions{}, err
			}
			t.addFile("usr/local/cargo/bin/rustup", 0o755, 0, 0, rustup)
			for _, p := range rustProxies {
				t.put(&treeEntry{hdr: tar.Header{Typeflag: tar.TypeLink, Name: "usr/local/cargo/bin/" + p, Linkname: "usr/local/cargo/bin/rustup", Mode: 0o755}})
			}
			for _, d := range []string{"usr/local/rustup", "usr/local/rustup/toolchains", "usr/local/cargo", "usr/local/cargo/bin"} {
				t.addDir(d, 0o755, 0, 0)
			}
			for _, e := range t.entries {
				e.hdr.Mode |= 0o222
			}
			return t, writeOptions{}, nil
		},
	}
}

// rustupComponents is rustup's multirust-config.toml for the minimal profile's components.
func rustupComponents(triple string) []byte {
	var b strings.Builder
	b.WriteString("config_version = \"1\"\n")
	for _, c := range rustMinimal {
		fmt.Fprintf(&b, "\n[[components]]\npkg = %q\ntarget = %q\nis_extension = false\n", c, triple)
	}
	return []byte(b.String())
}

// pruneEmptyDirs drops the directories under root that hold no file, link or kept directory.
func pruneEmptyDirs(t *tree, root string) {
	used := map[string]bool{root: true}
	for name, e := range t.entries {
		if e.hdr.Typeflag != tar.TypeDir {
			for d := path.Dir(name); d != "." && !used[d]; d = path.Dir(d) {
				used[d] = true
			}
		}
	}
	t.removeIf(func(name string, e *treeEntry) bool {
		return e.hdr.Typeflag == tar.TypeDir && strings.HasPrefix(name, root+"/") && !used[name]
	})
}

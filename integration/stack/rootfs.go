package stack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// baseRootfs is the Debian root filesystem every builder stand-in starts from: debootstrap's minbase of a suite
// with ca-certificates, cleaned like the official image. It is kept on disk under the cache, keyed, so that the
// layers installed on top of it are the difference from it.
type baseRootfs struct {
	suite string
	arch  string
	key   []string
	dir   string
}

// rootfs resolves the base root filesystem of a suite for a platform (no slow work: the key only).
func (b *builder) rootfs(ctx context.Context, suite string, p v1.Platform) (baseRootfs, error) {
	if p.Architecture != hostArch() {
		return baseRootfs{}, fmt.Errorf("debootstrap runs for the host architecture %s only, not %s", hostArch(), p.Architecture)
	}
	apt, err := b.aptRoot(ctx, suite)
	if err != nil {
		return baseRootfs{}, err
	}
	date, err := apt.suiteDate(apt.mirrors.archive, suite)
	if err != nil {
		return baseRootfs{}, err
	}
	version, err := exec.CommandContext(ctx, "dpkg-query", "-W", "-f", "${Version}", "debootstrap").Output()
	if err != nil {
		return baseRootfs{}, fmt.Errorf("dpkg-query debootstrap: %w", err)
	}
	key := []string{
		"debootstrap " + string(version),
		"mirror " + apt.mirrors.archive + " " + apt.mirrors.security,
		"suite " + suite + " " + date,
		"host CA bundle " + fileDigest(hostCABundle),
	}
	h := sha256.New()
	fmt.Fprintf(h, "recipe %s\n%s\n", recipeVersion, strings.Join(key, "\n"))
	dir := filepath.Join(b.cacheDir, "rootfs", suite+"-"+p.Architecture+"-"+hex.EncodeToString(h.Sum(nil))[:16])
	return baseRootfs{suite: suite, arch: p.Architecture, key: key, dir: dir}, nil
}

// ensure makes the root filesystem unless the cache holds it, and removes those of older keys.
func (r baseRootfs) ensure(ctx context.Context, b *builder) error {
	b.rootfsMu.Lock()
	defer b.rootfsMu.Unlock()
	if _, err := os.Stat(filepath.Join(r.dir, "etc/debian_version")); err == nil {
		return nil
	}
	apt, err := b.aptRoot(ctx, r.suite)
	if err != nil {
		return err
	}
	tmp := r.dir + ".tmp"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(filepath.Dir(tmp), 0o755); err != nil {
		return err
	}
	done := b.log.step("debootstrap %s into %s", r.suite, r.dir)
	logFile := tmp + ".log"
	cmd := exec.CommandContext(ctx, "debootstrap", "--variant=minbase", "--include=ca-certificates", "--arch="+r.arch,
		r.suite, tmp, apt.mirrors.archive)
	out, err := os.Create(logFile)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = out, out
	err = cmd.Run()
	out.Close()
	if err != nil {
		return fmt.Errorf("debootstrap: %w\n%s", err, tailFile(logFile, 20))
	}
	os.Remove(logFile)
	done()
	if err := cleanRootfs(tmp, apt.mirrors, r.suite); err != nil {
		return err
	}
	if n, err := trustHostCAs(tmp); err != nil {
		return err
	} else if n > 0 {
		b.log.Printf("added %d CA certificate(s) that this machine trusts beyond Debian's to the image", n)
	}
	old, _ := filepath.Glob(filepath.Join(filepath.Dir(r.dir), r.suite+"-"+r.arch+"-*"))
	for _, d := range old {
		if d != tmp {
			os.RemoveAll(d)
		}
	}
	return os.Rename(tmp, r.dir)
}

// debootstrapLayer is the base root filesystem as a layer: the one layer all builder stand-ins share.
func debootstrapLayer(ctx context.Context, b *builder, p v1.Platform) (layerRecipe, error) {
	r, err := b.rootfs(ctx, trixie, p)
	if err != nil {
		return layerRecipe{}, err
	}
	return layerRecipe{
		key:       r.key,
		createdBy: "debootstrap --variant=minbase --include=ca-certificates " + r.suite,
		build: func(ctx context.Context, b *builder, _ string) (*tree, writeOptions, error) {
			if err := r.ensure(ctx, b); err != nil {
				return nil, writeOptions{}, err
			}
			t := newTree()
			err := t.addHostDir(r.dir, dirOptions{skip: func(rel string, _ fs.DirEntry) bool { return isPseudoFS(rel) }})
			return t, writeOptions{}, err
		},
	}, nil
}

// isPseudoFS says whether a root filesystem path is under /dev or /proc, which no layer carries.
func isPseudoFS(rel string) bool {
	return rel == "dev" || rel == "proc" || strings.HasPrefix(rel, "dev/") || strings.HasPrefix(rel, "proc/")
}

// aptInstall is what an apt layer adds to the base: packages apt-get installs (with their dependencies, no
// recommends) and a shell script run in the root filesystem afterwards.
type aptInstall struct {
	packages []string
	script   string
}

// aptLayer installs packages on a copy of the base root filesystem with apt-get in a chroot, runs the script,
// and is what changed, with whiteouts for what went away: dpkg knows every package, as in the official images.
func aptLayer(ctx context.Context, b *builder, p v1.Platform, in aptInstall) (layerRecipe, error) {
	r, err := b.rootfs(ctx, trixie, p)
	if err != nil {
		return layerRecipe{}, err
	}
	apt, err := b.aptRoot(ctx, r.suite)
	if err != nil {
		return layerRecipe{}, err
	}
	key := append([]string{}, r.key...)
	for _, s := range []string{r.suite + "-updates", r.suite + "-security"} {
		uri := apt.mirrors.archive
		if strings.HasSuffix(s, "-security") {
			uri = apt.mirrors.security
		}
		date, err := apt.suiteDate(uri, s)
		if err != nil {
			return layerRecipe{}, err
		}
		key = append(key, "suite "+s+" "+date)
	}
	key = append(key, "script "+in.script)
	createdBy := "apt-get install --no-install-recommends " + strings.Join(in.packages, " ")
	return layerRecipe{
		key:       key,
		createdBy: createdBy,
		build: func(ctx context.Context, b *builder, scratch string) (*tree, writeOptions, error) {
			if err := r.ensure(ctx, b); err != nil {
				return nil, writeOptions{}, err
			}
			root := filepath.Join(scratch, "rootfs")
			done := b.log.step("%s (%s)", createdBy, r.suite)
			if err := chrootInstall(ctx, r.dir, root, in); err != nil {
				return nil, writeOptions{}, err
			}
			done()
			if err := cleanRootfs(root, apt.mirrors, r.suite); err != nil {
				return nil, writeOptions{}, err
			}
			t, err := diffRootfs(r.dir, root)
			return t, writeOptions{}, err
		},
	}, nil
}

// chrootInstall copies the base to root and runs apt-get and the script there, with /proc mounted in a private
// mount namespace (it goes away with the command) and the host's resolver.
func chrootInstall(ctx context.Context, base, root string, in aptInstall) error {
	if out, err := exec.CommandContext(ctx, "cp", "-a", "--reflink=auto", base, root).CombinedOutput(); err != nil {
		return fmt.Errorf("copying the base root filesystem: %w: %s", err, out)
	}
	if resolv, err := os.ReadFile("/etc/resolv.conf"); err == nil {
		if err := os.WriteFile(filepath.Join(root, "etc/resolv.conf"), resolv, 0o644); err != nil {
			return err
		}
	}
	inner := "set -e; export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8; apt-get update -qq; " +
		"apt-get install -y -qq --no-install-recommends " + strings.Join(in.packages, " ") + " >/dev/null; " + in.script
	outer := `set -e; mount -t proc proc "$1/proc"; exec chroot "$1" /bin/sh -c "$2"`
	cmd := exec.CommandContext(ctx, "unshare", "--mount", "--propagation", "private", "sh", "-c", outer, "sh", root, inner)
	cmd.Env = withSbinPath([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"})
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("apt-get install %s in a chroot: %w\n%s", strings.Join(in.packages, " "), err, tail(out, 25))
	}
	return nil
}

// diffRootfs is what root has that base has not, or has otherwise (type, mode, owner, size, modification time,
// link target), with the directories on the way to it, and a whiteout for each path of base that root lost.
func diffRootfs(base, root string) (*tree, error) {
	changed := func(rel string) bool {
		a, errA := os.Lstat(filepath.Join(base, rel))
		b, errB := os.Lstat(filepath.Join(root, rel))
		if errA != nil || errB != nil {
			return true
		}
		sa, sb := a.Sys().(*syscall.Stat_t), b.Sys().(*syscall.Stat_t)
		if a.Mode() != b.Mode() || a.Size() != b.Size() || !a.ModTime().Equal(b.ModTime()) || sa.Uid != sb.Uid || sa.Gid != sb.Gid {
			return true
		}
		if a.Mode()&fs.ModeSymlink != 0 {
			ta, _ := os.Readlink(filepath.Join(base, rel))
			tb, _ := os.Readlink(filepath.Join(root, rel))
			return ta != tb
		}
		return false
	}
	t := newTree()
	keep := map[string]bool{}
	err := t.addHostDir(root, dirOptions{skip: func(rel string, d fs.DirEntry) bool {
		if isPseudoFS(rel) {
			return true
		}
		if changed(rel) {
			for dir := rel; dir != "."; dir = filepath.Dir(dir) {
				keep[dir] = true
			}
			return false
		}
		return !d.IsDir()
	}})
	if err != nil {
		return nil, err
	}
	t.removeIf(func(name string, e *treeEntry) bool { return !keep[name] })
	err = filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(base, p)
		if rel == "." || isPseudoFS(rel) {
			return nil
		}
		if _, err := os.Lstat(filepath.Join(root, rel)); os.IsNotExist(err) {
			t.addFile(filepath.Join(filepath.Dir(rel), ".wh."+filepath.Base(rel)), 0o644, 0, 0, nil)
			if d.IsDir() {
				return filepath.SkipDir
			}
		}
		return nil
	})
	return t, err
}

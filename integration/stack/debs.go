package stack

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// javaClosure is what apt installs for names on an empty system, less the packages built for one architecture
// (the JRE, C libraries): the Java libraries and Maven's own files, which are all "Architecture: all".
func (a *aptRoot) javaClosure(ctx context.Context, names []string, arch string) ([]debPackage, error) {
	out, err := a.run(ctx, "", "apt-get", append([]string{"install", "-s", "-qq", "--no-install-recommends"}, names...)...)
	if err != nil {
		return nil, err
	}
	var all []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "Inst" {
			name, _, _ := strings.Cut(f[1], ":")
			all = append(all, name)
		}
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("apt-get install -s %s installs nothing:\n%s", strings.Join(names, " "), tail(out, 10))
	}
	debs, err := a.resolve(ctx, all, arch)
	if err != nil {
		return nil, err
	}
	var java []debPackage
	for _, d := range debs {
		if d.Arch == "all" {
			java = append(java, d)
		}
	}
	sort.Slice(java, func(i, j int) bool { return java[i].Name < java[j].Name })
	return java, nil
}

// extractDebs unpacks the packages' files into dir, as dpkg would lay them out (no maintainer scripts run).
func extractDebs(ctx context.Context, apt *aptRoot, debs []debPackage, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, d := range debs {
		file, err := apt.download(ctx, d)
		if err != nil {
			return err
		}
		if _, err := dpkgDeb(ctx, "-x", file, dir); err != nil {
			return err
		}
	}
	return nil
}

// resolveIn follows the symbolic links of name as a system rooted at root sees them (an absolute target starts
// again at root) and returns the path, relative to root, that name leads to.
func resolveIn(root, name string) (string, error) {
	parts := strings.Split(name, "/")
	cur := ""
	for hops := 0; len(parts) > 0; {
		p := parts[0]
		parts = parts[1:]
		switch p {
		case "", ".":
			continue
		case "..":
			if cur = path.Dir(cur); cur == "." {
				cur = ""
			}
			continue
		}
		next := path.Join(cur, p)
		fi, err := os.Lstat(filepath.Join(root, next))
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if hops++; hops > 40 {
			return "", errors.New(name + ": too many levels of symbolic links")
		}
		target, err := os.Readlink(filepath.Join(root, next))
		if err != nil {
			return "", err
		}
		if path.IsAbs(target) {
			cur = ""
		}
		parts = append(strings.Split(target, "/"), parts...)
	}
	return cur, nil
}

// walkResolved walks root/dir with every symbolic link followed inside root, calling fn with each name's path
// under dir ("" for dir itself), what it leads to and that file's path on the host. Links to nothing are left
// out, as a copy that dereferences links leaves them (Debian links jars into /usr/share/java and its
// configuration into /etc).
func walkResolved(root, dir string, fn func(rel string, fi fs.FileInfo, host string) error) error {
	var walk func(name, rel string, depth int) error
	walk = func(name, rel string, depth int) error {
		real, err := resolveIn(root, name)
		if errors.Is(err, fs.ErrNotExist) && rel != "" {
			return nil
		}
		if err != nil {
			return err
		}
		host := filepath.Join(root, real)
		fi, err := os.Stat(host)
		if err != nil {
			return err
		}
		if err := fn(rel, fi, host); err != nil || !fi.IsDir() {
			return err
		}
		if depth > 32 {
			return fmt.Errorf("%s: directories nested more than 32 deep (a link loop?)", name)
		}
		entries, err := os.ReadDir(host)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := walk(path.Join(real, e.Name()), path.Join(rel, e.Name()), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(dir, "", 0)
}

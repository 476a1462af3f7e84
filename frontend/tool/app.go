package tool

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hardenedbuild/hardened/audit"
	hllb "github.com/hardenedbuild/hardened/llb"
)

// Checks of the app tool (`tool app`): what the final stage copies into /app, and the build's secrets.
const (
	checkAppFiles     = "HX-PRIV-APP-WRITABLE"
	CheckBuildSecrets = "HX-SEC-CONTENT"
	// minSecretNeedle is the shortest secret value (or line of one) searched for; shorter ones match by chance.
	minSecretNeedle = 8
	// maxSecretValue bounds how much of a secret file is read.
	maxSecretValue = 1 << 20
	toolSecretDir  = "/run/hardened-secrets"
)

// AppViolations walks dir (the image's /app) and names every entry that is not a root-owned
// regular file, directory or symlink without group/other write and setuid, setgid or sticky bits.
// The copies into /app normalise modes and owners (llb.AppMode); devices, FIFOs and sockets only
// this walk can refuse.
func AppViolations(ctx context.Context, tree audit.FS, dir string) ([]audit.Violation, error) {
	if _, err := tree.Stat(ctx, dir); err != nil {
		return nil, nil // no /app: nothing copied there
	}
	var special, modes []string
	err := audit.Walk(ctx, tree, dir, func(e audit.Entry) error {
		switch t := e.Mode.Type(); {
		case t&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket|fs.ModeIrregular) != 0:
			special = append(special, fmt.Sprintf("%s (%s)", e.Path, fileKind(e.Mode)))
		case t == fs.ModeSymlink:
		case e.UID != 0 || e.GID != 0 || e.Mode.Perm()&0o022 != 0 || e.Mode&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0:
			modes = append(modes, fmt.Sprintf("%s (%v, owner %d:%d)", e.Path, e.Mode, e.UID, e.GID))
		}
		return nil
	})
	var out []audit.Violation
	if len(special) > 0 {
		out = append(out, audit.Violation{Check: checkAppFiles, Evidence: special,
			Message: fmt.Sprintf("%s holds %d device, FIFO or socket file(s); remove them in build.steps or the context (/app may hold only files, directories and symlinks)", dir, len(special))})
	}
	if len(modes) > 0 {
		out = append(out, audit.Violation{Check: checkAppFiles, Evidence: modes,
			Message: fmt.Sprintf("%d file(s) in %s are not root-owned 0644/0755", len(modes), dir)})
	}
	return out, err
}

// fileKind is audit.SpecialFile's name, or "irregular file" for what it does not name.
func fileKind(m fs.FileMode) string {
	return cmp.Or(audit.SpecialFile(m), "irregular file")
}

// secretNeedles are what a secret's value is searched by: the value, and each line of a
// multi-line one, trimmed, when at least minSecretNeedle long.
func secretNeedles(value []byte) [][]byte {
	var out [][]byte
	add := func(b []byte) {
		if b = bytes.TrimSpace(b); len(b) >= minSecretNeedle && !slices.ContainsFunc(out, func(o []byte) bool { return bytes.Equal(o, b) }) {
			out = append(out, b)
		}
	}
	add(value)
	if bytes.Contains(bytes.TrimSpace(value), []byte("\n")) {
		for _, l := range bytes.Split(value, []byte("\n")) {
			add(l)
		}
	}
	return out
}

// secretViolations searches every regular file under root for the secrets' values (id to value) and
// names, for each secret found, its id and the paths, never the value.
func secretViolations(ctx context.Context, root string, secrets map[string][]byte) ([]audit.Violation, error) {
	needles := map[string][][]byte{}
	longest := 0
	for id, v := range secrets {
		if n := secretNeedles(v); len(n) > 0 {
			needles[id] = n
			for _, x := range n {
				longest = max(longest, len(x))
			}
		}
	}
	if len(needles) == 0 {
		return nil, nil
	}
	found := map[string][]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		hits, err := searchFile(p, needles, longest)
		rel := "/" + filepath.ToSlash(strings.TrimPrefix(strings.TrimPrefix(p, root), "/"))
		for _, id := range hits {
			found[id] = append(found[id], rel)
		}
		return err
	})
	var out []audit.Violation
	for _, id := range slices.Sorted(maps.Keys(found)) {
		out = append(out, audit.Violation{Check: CheckBuildSecrets, Evidence: found[id],
			Message: fmt.Sprintf("the value of build secret %q is in %d file(s) of the image: a build step wrote it there; write it nowhere under /out, /src or /hardened", id, len(found[id]))})
	}
	return out, err
}

// searchFile reads a file in bounded chunks, each with the tail of the one before so a value that
// straddles two is seen, and returns the ids of the secrets it holds.
func searchFile(p string, needles map[string][][]byte, longest int) ([]string, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, 0, 256<<10+longest)
	var hits []string
	for {
		n, rerr := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		for id, ns := range needles {
			if !slices.Contains(hits, id) && slices.ContainsFunc(ns, func(x []byte) bool { return bytes.Contains(buf, x) }) {
				hits = append(hits, id)
			}
		}
		if rerr == io.EOF {
			return hits, nil
		}
		if rerr != nil {
			return hits, rerr
		}
		if keep := longest - 1; len(buf) > keep {
			buf = append(buf[:0], buf[len(buf)-keep:]...)
		}
	}
}

// readSecrets reads the secrets the app step has mounted: ID=PATH files and ID=VAR variables; an
// optional secret the build did not pass is simply absent.
func readSecrets(files, vars []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, kv := range files {
		id, p, _ := strings.Cut(kv, "=")
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading build secret %q: %w", id, errors.Unwrap(err))
		}
		v, err := io.ReadAll(io.LimitReader(f, maxSecretValue))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading build secret %q failed", id)
		}
		out[id] = v
	}
	for _, kv := range vars {
		id, name, _ := strings.Cut(kv, "=")
		if v := os.Getenv(name); v != "" {
			out[id] = []byte(v)
		}
	}
	return out, nil
}

// runApp is the app tool: the /app walk and, with secrets, the search of every file for their values.
func runApp(ctx context.Context, dir string, secretFiles, secretVars []string) ([]audit.Violation, error) {
	vs, err := AppViolations(ctx, audit.DirFS(dir), hllb.ArtifactDir)
	if err != nil {
		return nil, err
	}
	secrets, err := readSecrets(secretFiles, secretVars)
	if err != nil {
		return nil, err
	}
	sv, err := secretViolations(ctx, dir, secrets)
	return append(vs, sv...), err
}

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

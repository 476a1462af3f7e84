package audit

import (
	"context"
	"fmt"
	"path"
	"strings"
	"sync"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// maxListed bounds how many offending paths one message names.
const maxListed = 20

// SpecialFiles lists every setuid or setgid entry of an image's filesystem.
func SpecialFiles(ctx context.Context, fsys FS) ([]Entry, error) {
	var out []Entry
	err := Walk(ctx, fsys, "/", func(e Entry) error {
		if special(e.Mode) {
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// Violation is a broken guarantee, with the evidence.
type Violation struct {
	Check    string // stable id, e.g. HX-USER-ROOT
	Message  string
	Evidence []string
}

// VerifyError lists every broken guarantee of a build.
type VerifyError struct{ Violations []Violation }

func (e *VerifyError) Error() string {
	var b strings.Builder
	b.WriteString("hardened: the image does not hold its guarantees:")
	for _, v := range e.Violations {
		fmt.Fprintf(&b, "\n  [%s] %s", v.Check, v.Message)
		for i, ev := range v.Evidence {
			if i == maxListed {
				fmt.Fprintf(&b, "\n      ... and %d more", len(v.Evidence)-maxListed)
				break
			}
			b.WriteString("\n      " + ev)
		}
	}
	return b.String()
}

// Guarantees are the checks every hardened build holds to; Verify fails a build on any of them.
var Guarantees = []string{"HX-PRIV-SETUID", "HX-USER-ROOT", "HX-CONFIG-ENTRYPOINT"}

// Verify checks the guarantees every hardened build makes: no setuid/setgid file,
// a non-root user, and an exec-form entrypoint that exists in the image.
func Verify(ctx context.Context, fsys FS, img *dockerspec.DockerOCIImage) error {
	return VerifyChecks(ctx, &Target{FS: fsys, Config: img}, Guarantees...)
}

// ConfigGuarantees are the guarantees about the image's config and the few files it names (the user's
// account, the entrypoint); VerifyConfig checks them without walking the image.
var ConfigGuarantees = []string{"HX-USER-ROOT", "HX-CONFIG-ENTRYPOINT"}

// VerifyConfig checks ConfigGuarantees, reading only the directories on the paths they look up (the
// entrypoint and its links, /etc/passwd): a few reads where Verify walks every directory of the image.
// The directories and files it looks up first are read all at once, up front (prefetch).
func VerifyConfig(ctx context.Context, fsys FS, img *dockerspec.DockerOCIImage) error {
	dirs, files := configPaths(img)
	t := &Target{FS: prefetch(ctx, fsys, dirs, files), Config: img}
	return verifyChecks(ctx, t, []Option{func(o *options) { o.lazy = true }}, ConfigGuarantees...)
}

// configPaths are the directories ConfigGuarantees list first (those on the way to the entrypoint, or on
// the PATH for a bare name, and /etc) and the files they read (/etc/passwd, /etc/group for a group
// name). A link on the way leads to more, read when they are met.
func configPaths(img *dockerspec.DockerOCIImage) (dirs, files []string) {
	seen := map[string]bool{}
	add := func(p string) {
		for ; !seen[p]; p = path.Dir(p) {
			seen[p] = true
			dirs = append(dirs, p)
			if p == "/" {
				return
			}
		}
	}
	add("/etc")
	files = []string{"/etc/passwd"}
	if img == nil {
		return dirs, files
	}
	c := img.Config
	if _, group, ok := strings.Cut(c.User, ":"); ok && strings.Trim(group, "0123456789") != "" {
		files = append(files, "/etc/group")
	}
	argv := append(append([]string(nil), c.Entrypoint...), c.Cmd...)
	switch {
	case len(argv) == 0:
	case strings.HasPrefix(argv[0], "/"):
		add(path.Dir(path.Clean(argv[0])))
	default:
		search := defaultPath
		for _, kv := range c.Env {
			if v, ok := strings.CutPrefix(kv, "PATH="); ok {
				search = v
			}
		}
		for _, dir := range strings.Split(search, ":") {
			if strings.HasPrefix(dir, "/") {
				add(path.Clean(dir))
			}
		}
	}
	return dirs, files
}

// prefetchFS answers the listings and reads it made up front, all at once: through the gateway that is one
// round trip's time, where the checks, looking one directory up after another, would wait for each in
// turn. Anything else goes to the FS it wraps.
type prefetchFS struct {
	FS
	dirs  map[string]prefetched[[]Entry]
	files map[string]prefetched[[]byte]
}

type prefetched[T any] struct {
	v   T
	err error
}

func prefetch(ctx context.Context, fsys FS, dirs, files []string) *prefetchFS {
	listed := fetchAll(dirs, func(d string) ([]Entry, error) { return fsys.ReadDir(ctx, d) })
	read := fetchAll(files, func(f string) ([]byte, error) { return fsys.ReadFile(ctx, f) })
	return &prefetchFS{FS: fsys, dirs: listed(), files: read()}
}

// fetchAll starts fetch on every name at once and returns the wait for the answers, by name.
func fetchAll[T any](names []string, fetch func(string) (T, error)) func() map[string]prefetched[T] {
	results := make([]prefetched[T], len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := fetch(n)
			results[i] = prefetched[T]{v, err}
		}()
	}
	return func() map[string]prefetched[T] {
		wg.Wait()
		out := make(map[string]prefetched[T], len(names))
		for i, n := range names {
			out[n] = results[i]
		}
		return out
	}
}

func (p *prefetchFS) ReadDir(ctx context.Context, dir string) ([]Entry, error) {
	if r, ok := p.dirs[dir]; ok {
		return r.v, r.err
	}
	return p.FS.ReadDir(ctx, dir)
}

func (p *prefetchFS) ReadFile(ctx context.Context, name string) ([]byte, error) {
	if r, ok := p.files[name]; ok {
		return r.v, r.err
	}
	return p.FS.ReadFile(ctx, name)
}

// VerifyChecks runs the named checks and returns a VerifyError naming every one that fails.
func VerifyChecks(ctx context.Context, t *Target, ids ...string) error {
	return verifyChecks(ctx, t, nil, ids...)
}

func verifyChecks(ctx context.Context, t *Target, opts []Option, ids ...string) error {
	r, err := Run(ctx, t, append(opts, WithChecks(ids...), NoGate())...)
	if err != nil {
		return fmt.Errorf("hardened: %w", err)
	}
	var vs []Violation
	for _, res := range r.Results {
		if res.Status != StatusFail {
			continue
		}
		v := Violation{Check: res.ID, Message: res.Message}
		for _, ev := range res.Evidence {
			v.Evidence = append(v.Evidence, ev.String())
		}
		if res.Omitted > 0 {
			v.Evidence = append(v.Evidence, fmt.Sprintf("... and %d more", res.Omitted))
		}
		vs = append(vs, v)
	}
	if len(vs) > 0 {
		return &VerifyError{Violations: vs}
	}
	return nil
}

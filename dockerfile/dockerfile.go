package dockerfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/lockfile"
	"github.com/hardenedbuild/hardened/spec"
)

// Options are what Generate needs besides the spec.
type Options struct {
	// Files are the context files the spec's language reads (llb.Language.ContextFiles).
	Files hllb.Files
	// Lock pins every FROM to name:tag@sha256:...; nil leaves them by tag.
	Lock *lockfile.Lock
	// Platform picks the lock's entries; default linux/amd64.
	Platform ocispecs.Platform
	// Source names the spec in the header comment; default hardened.yaml.
	Source string
}

// ReadContextFiles reads, from a build context directory, the files the spec's language reads
// (llb.Language.ContextFiles), as the frontend gets them; missing ones are left out.
func ReadContextFiles(s *spec.Spec, dir string) (hllb.Files, error) {
	files := hllb.Files{}
	lang, ok := hllb.Lookup(s.Language)
	if !ok {
		return files, nil
	}
	for _, name := range lang.ContextFiles() {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		switch {
		case errors.Is(err, os.ErrNotExist):
			continue
		case err != nil:
			return nil, err
		}
		files[name] = data
	}
	return files, nil
}

// Generate returns the Dockerfile for a spec that spec.Load returned (validated, defaulted).
func Generate(s *spec.Spec, opts Options) ([]byte, error) {
	if opts.Platform.OS == "" {
		opts.Platform = ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	}
	if opts.Source == "" {
		opts.Source = "hardened.yaml"
	}
	if s.Language == "go" {
		return golang(s, opts)
	}
	return translated(s, opts)
}

// finalBase is the final stage's base: the request, the reference its FROM line names (pinned
// with a lock), and the name and digest its labels record; scratch when the spec has no base.
func finalBase(s *spec.Spec, opts Options) (req hllb.ImageRequest, ref, name, dgst string, err error) {
	req, hasBase, err := hllb.BaseImage(s, opts.Files, opts.Platform)
	if err != nil || !hasBase {
		return req, "scratch", "scratch", "", err
	}
	if ref, err = from(req, opts); err != nil {
		return req, "", "", "", err
	}
	_, dgst, _ = strings.Cut(ref, "@")
	return req, ref, req.Ref, dgst, nil
}

// from is the reference a FROM line names: the lock's pin when there is a lock.
func from(req hllb.ImageRequest, opts Options) (string, error) {
	if opts.Lock == nil {
		return req.Ref, nil
	}
	p := platformString(opts.Platform)
	ref, dgst, ok := opts.Lock.Entry(p, req.Role)
	if !ok {
		return "", fmt.Errorf("%s has no entry images.%s.%s for %s; run `hardened lock`", lockfile.Filename, p, req.Role, req.Ref)
	}
	if ref != req.Ref {
		return "", fmt.Errorf("%s pins images.%s.%s to %s but the spec asks for %s; run `hardened lock`", lockfile.Filename, p, req.Role, ref, req.Ref)
	}
	return ref + "@" + dgst, nil
}

// writer collects Dockerfile lines and the first value that cannot be written safely.
type writer struct {
	b   bytes.Buffer
	err error
}

func (w *writer) line(format string, args ...any) {
	fmt.Fprintf(&w.b, format+"\n", args...)
}

// comment writes each line of text as a # comment.
func (w *writer) comment(text string) {
	for _, l := range strings.Split(text, "\n") {
		w.line("# %s", l)
	}
}

// execForm is a JSON array, which Dockerfile instructions run without a shell and, for RUN,
// ENTRYPOINT, CMD and HEALTHCHECK, without variable expansion. JSON writes a line break in an
// argument as \n, so a script stays on the instruction's one line.
func (w *writer) execForm(_ string, args []string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(args) // a []string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// quote writes a value for ENV and LABEL, which expand $variables: double-quoted, with ", \ and
// $ escaped.
func (w *writer) quote(what, v string) string {
	if strings.ContainsAny(v, "\n\r") {
		w.fail("%s: the value holds a line break, which a Dockerfile cannot write on one line", what)
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`)
	return `"` + r.Replace(v) + `"`
}

// safePath matches paths that COPY, WORKDIR and EXPOSE take literally, with no quoting,
// whitespace or $ expansion to get wrong.
var safePath = regexp.MustCompile(`^[A-Za-z0-9._/@+=,-]+$`)

func (w *writer) path(what, p string) string {
	if !safePath.MatchString(p) {
		w.fail("%s: %q has characters a Dockerfile would expand or split (only letters, digits and ._/@+=,- are written)", what, p)
	}
	return p
}

// safePattern is safePath with the glob characters of include and exclude patterns.
var safePattern = regexp.MustCompile(`^!?[A-Za-z0-9._/@+=,*?\[\]-]+$`)

func (w *writer) pattern(what, p string) string {
	if !safePattern.MatchString(p) {
		w.fail("%s: %q has characters a Dockerfile would expand or split", what, p)
	}
	return p
}

func (w *writer) fail(format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf(format, args...)
	}
}

// imageConfig writes the final stage's config as the frontend's llb.ImageConfig sets it.
func (w *writer) imageConfig(s *spec.Spec, baseName, baseDigest string, extra map[string]string) {
	keys := func(m map[string]string) []string {
		ks := make([]string, 0, len(m))
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return ks
	}
	// WORKDIR before USER: a directory WORKDIR creates belongs to the current user, and the
	// runtime user must not own anything it runs from.
	w.line("WORKDIR %s", w.path("workdir", s.Workdir))
	for _, k := range keys(s.Env) {
		w.line("ENV %s=%s", k, w.quote("env."+k, s.Env[k]))
	}
	for _, p := range s.Expose {
		if !strings.Contains(p, "/") {
			p += "/tcp"
		}
		w.line("EXPOSE %s", w.path("expose", p))
	}
	labels := map[string]string{}
	for k, v := range s.Labels {
		labels[k] = v
	}
	for k, v := range extra {
		labels[k] = v
	}
	labels[hllb.LabelBaseName] = baseName
	if baseDigest != "" {
		labels[hllb.LabelBaseDigest] = baseDigest
	}
	for _, k := range keys(labels) {
		w.line("LABEL %s=%s", w.quote("labels", k), w.quote("labels."+k, labels[k]))
	}
	if h := s.Healthcheck; h != nil {
		var flags []string
		for _, f := range [][2]string{{"interval", h.Interval}, {"timeout", h.Timeout}, {"start-period", h.StartPeriod}} {
			if f[1] != "" {
				flags = append(flags, "--"+f[0]+"="+w.path("healthcheck."+f[0], f[1]))
			}
		}
		if h.Retries > 0 {
			flags = append(flags, fmt.Sprintf("--retries=%d", h.Retries))
		}
		w.line("HEALTHCHECK %sCMD %s", strings.Join(append(flags, ""), " "), w.execForm("healthcheck.test", h.Test))
	}
	w.line("USER %d:%d", s.UID(), s.GID())
	w.line("ENTRYPOINT %s", w.execForm("entrypoint", hllb.Entrypoint(s)))
	if len(s.Cmd) > 0 {
		w.line("CMD %s", w.execForm("cmd", s.Cmd))
	}
}

func platformString(p ocispecs.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

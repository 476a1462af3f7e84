package frontend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"sync"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/patternmatcher"
	"golang.org/x/sync/errgroup"

	"github.com/hardenedbuild/hardened/lang"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// contextLocal is the session directory dockerui reads a local build context from (always "context";
// contextkey only names the option that may hold a git or HTTP URL instead).
const contextLocal = dockerui.DefaultLocalNameContext

// readContext returns the main build context and the few context files a language needs before
// converting (a missing file is left out, not an error).
//
// dockerui reads the context's .dockerignore before it hands out the main context, and reading the files
// from that context would wait for it: from a local context the files are read at the same time, without
// the excludes, and those the .dockerignore excludes are left out afterwards, with the patterns dockerui
// put on the main context. Most of them were read with the spec (ahead, startAheadRead); the rest (lock
// files) are read now. onRead, when set, gets the files as read, before the excludes are known, to start
// what they decide (an image resolution) while the .dockerignore is read; the files returned are the
// ones to trust. Any other context (git, HTTP, a frontend input), or a main context that is not the local
// read, is read as before, from the main context.
func readContext(ctx context.Context, c gwclient.Client, bc *dockerui.Client, inputs lang.Inputs, ahead *aheadRead, onRead func(hllb.Files)) (*bkllb.State, hllb.Files, error) {
	names := inputs.Files()
	var (
		main            *bkllb.State
		files           hllb.Files
		filesErr        error
		rest, fromAhead []string
	)
	for _, n := range names {
		if slices.Contains(aheadNames(), n) {
			fromAhead = append(fromAhead, n)
		} else {
			rest = append(rest, n)
		}
	}
	local := len(names) > 0 && ahead.local()
	eg, egctx := errgroup.WithContext(ctx)
	eg.Go(func() (err error) { main, err = bc.MainContext(egctx); return err })
	if local {
		eg.Go(func() error {
			// The rest is read at once, beside the read ahead; if that failed as a whole (a file no
			// language here asks for may be unreadable), the language's own names are read on their own.
			var (
				restFiles hllb.Files
				restErr   error
				restDone  = make(chan struct{})
			)
			go func() {
				defer close(restDone)
				if len(rest) > 0 {
					restFiles, restErr = readFiles(egctx, c, localFiles(c, rest), rest)
				}
			}()
			read, err := ahead.wait()
			if err != nil {
				read.files, read.errs, err = readEach(egctx, c, localFiles(c, fromAhead), fromAhead)
			}
			<-restDone
			if err != nil {
				filesErr = err
				return nil
			}
			files, filesErr = hllb.Files{}, restErr
			for _, n := range fromAhead {
				if err := read.errs[n]; err != nil && filesErr == nil {
					filesErr = err
				}
				if dt, found := read.files[n]; found {
					files[n] = dt
				}
			}
			maps.Copy(files, restFiles)
			if filesErr == nil && onRead != nil {
				onRead(maps.Clone(files))
			}
			return nil // judged once the main context says whether this was its local
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, nil, err
	}
	if len(names) == 0 {
		return main, hllb.Files{}, nil
	}
	if local {
		if excludes, ok := localExcludes(ctx, *main, localSession(c)); ok {
			if filesErr != nil {
				return nil, nil, atLanguage(ctx, bc, filesErr)
			}
			files, err := withoutExcluded(files, excludes, inputs.Needed)
			if err != nil {
				return nil, nil, atLanguage(ctx, bc, err)
			}
			return main, files, nil
		}
	}
	st, err := bc.MainContext(ctx, bkllb.FollowPaths(names), bkllb.WithCustomName("[internal] read "+fmt.Sprint(names)))
	if err != nil {
		return nil, nil, err
	}
	files, err = readFiles(ctx, c, *st, names)
	if err != nil {
		return nil, nil, atLanguage(ctx, bc, err)
	}
	return main, files, nil
}

// localSession is the session that holds the local build context.
func localSession(c gwclient.Client) string {
	if v, ok := c.BuildOpts().Opts["local-sessionid:"+contextLocal]; ok {
		return v
	}
	return c.BuildOpts().SessionID
}

// localFiles is the read of names from the local build context, without its excludes. It keeps a snapshot
// of its own on the builder (as dockerui's .dockerignore read does): a read of some names into the main
// context's snapshot, above all one stopped halfway (static reads none), would leave the context's
// transfer to send the whole context again.
func localFiles(c gwclient.Client, names []string) bkllb.State {
	what := fmt.Sprint(names)
	if slices.Equal(names, aheadNames()) {
		what = aheadWhat()
	}
	return bkllb.Local(contextLocal, bkllb.SessionID(localSession(c)), bkllb.FollowPaths(names),
		bkllb.SharedKeyHint(contextLocal+"-hardened-files"), bkllb.WithCustomName("[internal] read "+what))
}

// localContext reports whether the main context is the session's local directory, as dockerui decides
// it: no git or HTTP URL in the context option, no frontend input in its place.
func localContext(ctx context.Context, c gwclient.Client) bool {
	opts := c.BuildOpts().Opts
	key := contextLocal
	if v, ok := opts["contextkey"]; ok {
		key = v
	}
	if _, isGit, _ := dockerui.DetectGitContext(opts[key], nil); isGit {
		return false
	}
	if _, _, isHTTP := dockerui.DetectHTTPContext(opts[key]); isHTTP {
		return false
	}
	caps := c.BuildOpts().Caps
	if caps.Supports(gwpb.CapFrontendInputs) == nil {
		inputs, err := c.Inputs(ctx)
		if err != nil {
			return false
		}
		if _, ok := inputs[contextLocal]; ok {
			return false
		}
	}
	return true
}

// localExcludes returns the exclude patterns of main when it is the local read of the session's context
// directory, and false when it is anything else.
func localExcludes(ctx context.Context, main bkllb.State, session string) ([]string, bool) {
	def, err := marshal(ctx, main)
	if err != nil || len(def.Def) < 2 { // a source op and the terminal op
		return nil, false
	}
	var op pb.Op
	if err := op.UnmarshalVT(def.Def[len(def.Def)-2]); err != nil {
		return nil, false
	}
	src := op.GetSource()
	if src == nil || src.Identifier != "local://"+contextLocal || src.Attrs[pb.AttrLocalSessionID] != session {
		return nil, false
	}
	if _, follows := src.Attrs[pb.AttrFollowPaths]; follows {
		return nil, false
	}
	var excludes []string
	if v := src.Attrs[pb.AttrExcludePatterns]; v != "" {
		if err := json.Unmarshal([]byte(v), &excludes); err != nil {
			return nil, false
		}
	}
	return excludes, true
}

// withoutExcluded leaves out the files the .dockerignore patterns exclude, as the transfer of the
// context would have; a needed file (lang.Inputs.Needed) that was there and is excluded is an error,
// or the build would fail later in the package manager, without naming the file's real cause.
func withoutExcluded(files hllb.Files, excludes, needed []string) (hllb.Files, error) {
	if len(excludes) == 0 {
		return files, nil
	}
	pm, err := patternmatcher.New(excludes)
	if err != nil {
		return nil, fmt.Errorf("reading .dockerignore: %w", err)
	}
	out := hllb.Files{}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		excluded, err := pm.MatchesOrParentMatches(strings.TrimPrefix(name, "./"))
		if err != nil {
			return nil, fmt.Errorf("reading .dockerignore: %w", err)
		}
		switch {
		case !excluded:
			out[name] = files[name]
		case slices.Contains(needed, name):
			return nil, &excludedError{name: name}
		}
	}
	return out, nil
}

// readFiles solves st and reads names from it: one listing of each directory that holds them, then
// the files found, all at once (a read, then a stat when it fails, per name would be twice as many
// round trips, and most names are missing).
func readFiles(ctx context.Context, c gwclient.Client, st bkllb.State, names []string) (hllb.Files, error) {
	files, errs, err := readEach(ctx, c, st, names)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if err := errs[n]; err != nil {
			return nil, err
		}
	}
	return files, nil
}

// readEach is readFiles with the error of each name found but not read apart; err is the solve's or a
// listing's.
func readEach(ctx context.Context, c gwclient.Client, st bkllb.State, names []string) (hllb.Files, map[string]error, error) {
	ref, err := solveRef(ctx, c, st)
	if err != nil {
		return nil, nil, wrapf(err, "reading %v from the build context", names)
	}
	if ref == nil {
		return hllb.Files{}, map[string]error{}, nil
	}
	return readRef(ctx, ref, names)
}

// readRef reads names from ref, as readEach does.
func readRef(ctx context.Context, ref gwclient.Reference, names []string) (hllb.Files, map[string]error, error) {
	files, errs := hllb.Files{}, map[string]error{}
	present, outside, err := presentNames(ctx, ref, names)
	if err != nil {
		return nil, nil, err
	}
	for n, link := range outside {
		errs[n] = &linkOutError{name: n, link: link}
	}
	data, readErrs := make([][]byte, len(present)), make([]error, len(present))
	var wg sync.WaitGroup
	for i, n := range present {
		wg.Go(func() {
			if data[i], readErrs[i] = ref.ReadFile(ctx, gwclient.ReadRequest{Filename: n}); readErrs[i] != nil {
				readErrs[i] = fmt.Errorf("reading %s from the build context: %w", n, readErrs[i])
			}
		})
	}
	wg.Wait()
	for i, n := range present {
		if readErrs[i] != nil {
			errs[n] = readErrs[i]
		} else {
			files[n] = data[i]
		}
	}
	return files, errs, nil
}

// presentNames are the names that exist in ref, found by listing the directories that would hold
// them (the root, then only those of its subdirectories a name is in), and among them the symlinks
// that leave the context, by name: a read of one finds nothing, which would read as a missing file.
func presentNames(ctx context.Context, ref gwclient.Reference, names []string) ([]string, map[string]string, error) {
	list := func(dir string) (map[string]ctxEntry, error) {
		entries, err := ref.ReadDir(ctx, gwclient.ReadDirRequest{Path: dir})
		if err != nil {
			return nil, fmt.Errorf("listing %s in the build context: %w", dir, err)
		}
		found := map[string]ctxEntry{}
		for _, e := range entries {
			// A pipe, socket or device is no project file, and a read of a pipe would wait for a writer.
			if os.FileMode(e.Mode)&(os.ModeNamedPipe|os.ModeSocket|os.ModeDevice|os.ModeCharDevice) == 0 {
				found[path.Join(dir, e.Path)] = ctxEntry{os.FileMode(e.Mode), e.Linkname}
			}
		}
		return found, nil
	}
	root, err := list(".")
	if err != nil {
		return nil, nil, err
	}
	dirs := map[string]map[string]ctxEntry{".": root}
	var present []string
	outside := map[string]string{}
	for _, n := range names {
		n = path.Clean(n)
		dir := path.Dir(n)
		found, listed := dirs[dir]
		if !listed {
			found = map[string]ctxEntry{}
			if first, _, _ := strings.Cut(dir, "/"); root[first] != (ctxEntry{}) {
				if found, err = list(dir); err != nil {
					return nil, nil, err
				}
			}
			dirs[dir] = found
		}
		e, ok := found[n]
		switch {
		case !ok:
		case e.mode&os.ModeSymlink != 0 && leavesContext(dir, e.link):
			outside[n] = e.link
		default:
			present = append(present, n)
		}
	}
	return present, outside, nil
}

// leavesContext says whether a symlink in dir (relative to the context's root) with target link points
// outside the context: an absolute target names the machine's file, not the context's.
func leavesContext(dir, link string) bool {
	if path.IsAbs(link) {
		return true
	}
	p := path.Join(dir, link)
	return p == ".." || strings.HasPrefix(p, "../")
}

// linkOutError is a project file that is a symlink leaving the build context: a build reads only what
// is in the context, so the language would find no such file.
type linkOutError struct{ name, link string }

func (e *linkOutError) Error() string {
	return fmt.Sprintf("%s is a symlink to %s, which leaves the build context", e.name, e.link)
}

// excludedError is a project file the language needs that the context's .dockerignore leaves out.
type excludedError struct{ name string }

func (e *excludedError) Error() string {
	return fmt.Sprintf("no %s at the root of the build context: .dockerignore excludes it, and the build needs it", e.name)
}

// atLanguage frames a project file's problem at the spec's language line (the line that made the build
// read the file), as the language's own messages about its files are. The spec was loaded before the
// context files were read; it is read again here, on this error's path only, where readContext's caller
// has it (BuildKit answers the second read from its cache).
func atLanguage(ctx context.Context, bc *dockerui.Client, err error) error {
	var hint string
	var lo *linkOutError
	var ex *excludedError
	switch {
	case errors.As(err, &lo):
		hint = "copy the file into the context (a build reads only what is in it), or make the link relative to a file inside the context"
	case errors.As(err, &ex):
		hint = fmt.Sprintf("remove the .dockerignore pattern that matches %s, or add !%s after it", ex.name, ex.name)
	default:
		return err
	}
	src, rerr := bc.ReadEntrypoint(ctx, "YAML")
	if rerr != nil {
		return fmt.Errorf("%w; %s", err, hint)
	}
	s, perr := spec.Parse(src.Filename, src.Data)
	if perr != nil {
		return fmt.Errorf("%w; %s", err, hint)
	}
	e := spec.Errors{{File: s.File(), Pos: s.Pos("language"), Field: "language", Msg: err.Error(), Hint: hint}}
	return withSpecSource(e, src.SourceMap)
}

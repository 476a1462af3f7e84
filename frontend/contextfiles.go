package frontend

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/patternmatcher"
	"golang.org/x/sync/errgroup"

	hllb "github.com/hardenedbuild/hardened/llb"
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
// put on the main context. Any other context (git, HTTP, a frontend input), or a main context that is not
// the local read, is read as before, from the main context.
func readContext(ctx context.Context, c gwclient.Client, bc *dockerui.Client, names []string) (*bkllb.State, hllb.Files, error) {
	var (
		main      *bkllb.State
		early     hllb.Files
		earlyErr  error
		earlyRead = len(names) > 0 && localContext(ctx, c)
	)
	session := c.BuildOpts().SessionID
	if v, ok := c.BuildOpts().Opts["local-sessionid:"+contextLocal]; ok {
		session = v
	}
	eg, egctx := errgroup.WithContext(ctx)
	eg.Go(func() (err error) { main, err = bc.MainContext(egctx); return err })
	if earlyRead {
		eg.Go(func() error {
			st := bkllb.Local(contextLocal, bkllb.SessionID(session), bkllb.FollowPaths(names),
				bkllb.SharedKeyHint(contextLocal), bkllb.WithCustomName("[internal] read "+fmt.Sprint(names)))
			early, earlyErr = readFiles(egctx, c, st, names)
			return nil // judged once the main context says whether this was its local
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, nil, err
	}
	if len(names) == 0 {
		return main, hllb.Files{}, nil
	}
	if earlyRead {
		if excludes, ok := localExcludes(ctx, *main, session); ok {
			if earlyErr != nil {
				return nil, nil, earlyErr
			}
			files, err := withoutExcluded(early, excludes)
			return main, files, err
		}
	}
	st, err := bc.MainContext(ctx, bkllb.FollowPaths(names), bkllb.WithCustomName("[internal] read "+fmt.Sprint(names)))
	if err != nil {
		return nil, nil, err
	}
	files, err := readFiles(ctx, c, *st, names)
	return main, files, err
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
	def, err := main.Marshal(ctx)
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
// context would have.
func withoutExcluded(files hllb.Files, excludes []string) (hllb.Files, error) {
	if len(excludes) == 0 {
		return files, nil
	}
	pm, err := patternmatcher.New(excludes)
	if err != nil {
		return nil, fmt.Errorf("reading .dockerignore: %w", err)
	}
	out := hllb.Files{}
	for name, dt := range files {
		excluded, err := pm.MatchesOrParentMatches(strings.TrimPrefix(name, "./"))
		if err != nil {
			return nil, fmt.Errorf("reading .dockerignore: %w", err)
		}
		if !excluded {
			out[name] = dt
		}
	}
	return out, nil
}

// readFiles solves st and reads names from it, all at once: one round trip, not one or two (a read, then
// a stat when it fails) per name in turn (rust asks for six names, most of them missing).
func readFiles(ctx context.Context, c gwclient.Client, st bkllb.State, names []string) (hllb.Files, error) {
	files := hllb.Files{}
	ref, err := solveRef(ctx, c, st)
	if err != nil {
		return nil, wrapf(err, "reading %v from the build context", names)
	}
	if ref == nil {
		return files, nil
	}
	data, found := make([][]byte, len(names)), make([]bool, len(names))
	eg, egctx := errgroup.WithContext(ctx)
	for i, n := range names {
		eg.Go(func() error {
			dt, err := ref.ReadFile(egctx, gwclient.ReadRequest{Filename: n})
			if err != nil {
				if _, statErr := ref.StatFile(egctx, gwclient.StatRequest{Path: n}); statErr != nil {
					return nil // not in the context
				}
				return fmt.Errorf("reading %s from the build context: %w", n, err)
			}
			data[i], found[i] = dt, true
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	for i, n := range names {
		if found[i] {
			files[n] = data[i]
		}
	}
	return files, nil
}

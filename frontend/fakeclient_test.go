package frontend

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	fstypes "github.com/tonistiigi/fsutil/types"

	"github.com/hardenedbuild/hardened/frontend/tool"
)

// fakeFile is one file of a fake tree.
type fakeFile struct {
	mode fs.FileMode
	data string
}

// fakeTree is a filesystem by path, without a leading slash.
type fakeTree map[string]fakeFile

// fakeClient is a gateway client in memory: the locals' files (the spec's directory and the build
// context), image configs by reference, and the tree any solve of an image answers with. Tool steps
// answer with toolResult for their tool; files a scratch stage writes are kept in written.
type fakeClient struct {
	opts        map[string]string
	locals      map[string]fakeTree // "dockerfile", "context"
	image       fakeTree            // what a solve of an image (the base, the final stage) holds
	toolResults map[string]tool.Result
	self        *bkllb.State // the running frontend's image; nil: none (gateway walk)
	failResolve string       // a reference that does not resolve
	// onSolve, when set, sees each solve's ops before the fake answers it (and may hold it back).
	onSolve func(ops []*pb.Op)

	mu       sync.Mutex
	resolved []string
	tools    []string
	written  map[string]string
}

func newFakeClient(spec string, context fakeTree, opts map[string]string) *fakeClient {
	if opts == nil {
		opts = map[string]string{}
	}
	return &fakeClient{
		opts:   opts,
		locals: map[string]fakeTree{"dockerfile": {"hardened.yaml": {0o644, spec}}, "context": context},
		image: fakeTree{
			"app":        {fs.ModeDir | 0o755, ""},
			"app/server": {0o755, "#!"},
			"etc":        {fs.ModeDir | 0o755, ""},
			"etc/passwd": {0o644, "root:x:0:0::/root:/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n"},
		},
		toolResults: map[string]tool.Result{},
		written:     map[string]string{},
	}
}

func (c *fakeClient) BuildOpts() gwclient.BuildOpts {
	return gwclient.BuildOpts{Opts: maps.Clone(c.opts), SessionID: "session", LLBCaps: pb.Caps.CapSet(pb.Caps.All()), Caps: gwpb.Caps.CapSet(gwpb.Caps.All())}
}

func (c *fakeClient) CurrentFrontend() (*bkllb.State, error) { return c.self, nil }

func (c *fakeClient) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	c.mu.Lock()
	c.resolved = append(c.resolved, ref)
	c.mu.Unlock()
	if c.failResolve != "" && strings.HasPrefix(ref, c.failResolve) {
		return "", "", nil, fmt.Errorf("%s: not found", ref)
	}
	var img dockerspec.DockerOCIImage
	img.OS, img.Architecture = "linux", "amd64"
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		img.OS, img.Architecture = opt.ImageOpt.Platform.OS, opt.ImageOpt.Platform.Architecture
	}
	img.RootFS.Type = "layers"
	img.Config.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	dt, err := json.Marshal(img)
	return ref, digest.FromString(ref), dt, err
}

func (c *fakeClient) ResolveSourceMetadata(context.Context, *pb.SourceOp, sourceresolver.Opt) (*sourceresolver.MetaResponse, error) {
	return nil, fmt.Errorf("no source metadata in the fake")
}

func (c *fakeClient) Inputs(context.Context) (map[string]bkllb.State, error) { return nil, nil }

func (c *fakeClient) NewContainer(context.Context, gwclient.NewContainerRequest) (gwclient.Container, error) {
	return nil, fmt.Errorf("no containers in the fake")
}

func (c *fakeClient) Warn(context.Context, digest.Digest, string, gwclient.WarnOpts) error {
	return nil
}

// Solve answers by what the definition is: a tool step, an image, a local's read, or files written on scratch.
func (c *fakeClient) Solve(_ context.Context, req gwclient.SolveRequest) (*gwclient.Result, error) {
	res := gwclient.NewResult()
	if req.Definition == nil {
		return res, nil
	}
	var (
		locals  []string
		image   bool
		written = fakeTree{}
		ops     []*pb.Op
	)
	for _, dt := range req.Definition.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			return nil, err
		}
		ops = append(ops, &op)
	}
	if c.onSolve != nil {
		c.onSolve(ops)
	}
	for _, op := range ops {
		if e := op.GetExec(); e != nil {
			if args := e.GetMeta().GetArgs(); len(args) > 2 && args[1] == tool.Command {
				return c.toolStep(args[2])
			}
		}
		if s := op.GetSource(); s != nil {
			if name, ok := strings.CutPrefix(s.Identifier, "local://"); ok {
				locals = append(locals, name)
			}
			image = image || strings.HasPrefix(s.Identifier, "docker-image://")
		}
		for _, a := range op.GetFile().GetActions() {
			if mk := a.GetMkfile(); mk != nil {
				written[strings.TrimPrefix(mk.Path, "/")] = fakeFile{fs.FileMode(mk.Mode), string(mk.Data)}
			}
		}
	}
	switch {
	case image:
		res.SetRef(&fakeRef{tree: c.image})
	case len(locals) == 1:
		res.SetRef(&fakeRef{tree: c.locals[locals[0]]})
	default:
		c.mu.Lock()
		for p, f := range written {
			c.written[p] = f.data
		}
		c.mu.Unlock()
		res.SetRef(&fakeRef{tree: written})
	}
	return res, nil
}

func (c *fakeClient) toolStep(name string) (*gwclient.Result, error) {
	c.mu.Lock()
	c.tools = append(c.tools, name)
	c.mu.Unlock()
	dt, err := json.Marshal(c.toolResults[name])
	if err != nil {
		return nil, err
	}
	res := gwclient.NewResult()
	res.SetRef(&fakeRef{tree: fakeTree{tool.ResultFile: {0o644, string(dt)}}})
	return res, nil
}

// fakeRef is a solved result over a fake tree.
type fakeRef struct{ tree fakeTree }

func (r *fakeRef) ToState() (bkllb.State, error)  { return bkllb.Scratch(), nil }
func (r *fakeRef) Evaluate(context.Context) error { return nil }

func (r *fakeRef) lookup(p string) (fakeFile, bool) {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	if p == "" {
		return fakeFile{mode: fs.ModeDir | 0o755}, true
	}
	f, ok := r.tree[p]
	return f, ok
}

func (r *fakeRef) ReadFile(_ context.Context, req gwclient.ReadRequest) ([]byte, error) {
	f, ok := r.lookup(req.Filename)
	if !ok || f.mode.IsDir() {
		return nil, fmt.Errorf("open %s: %w", req.Filename, fs.ErrNotExist)
	}
	return []byte(f.data), nil
}

func (r *fakeRef) StatFile(_ context.Context, req gwclient.StatRequest) (*fstypes.Stat, error) {
	f, ok := r.lookup(req.Path)
	if !ok {
		return nil, fmt.Errorf("stat %s: %w", req.Path, fs.ErrNotExist)
	}
	return &fstypes.Stat{Path: path.Base(req.Path), Mode: uint32(f.mode), Size: int64(len(f.data))}, nil
}

func (r *fakeRef) ReadDir(_ context.Context, req gwclient.ReadDirRequest) ([]*fstypes.Stat, error) {
	dir := strings.TrimPrefix(path.Clean("/"+req.Path), "/")
	if f, ok := r.lookup(dir); !ok || !f.mode.IsDir() {
		return nil, fmt.Errorf("readdir %s: %w", req.Path, fs.ErrNotExist)
	}
	var out []*fstypes.Stat
	for _, p := range slices.Sorted(maps.Keys(r.tree)) {
		if path.Dir("/"+p) == path.Clean("/"+dir) {
			f := r.tree[p]
			out = append(out, &fstypes.Stat{Path: path.Base(p), Mode: uint32(f.mode), Size: int64(len(f.data))})
		}
	}
	return out, nil
}

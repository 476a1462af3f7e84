package frontend

import (
	"context"
	"io/fs"
	"path"
	"time"

	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	fstypes "github.com/tonistiigi/fsutil/types"

	"github.com/hardenedbuild/hardened/audit"
)

// gatewayFS is a solved reference seen through the gateway's file API, for audit.
type gatewayFS struct{ ref gwclient.Reference }

func (g gatewayFS) ReadDir(ctx context.Context, dir string) ([]audit.Entry, error) {
	sts, err := g.ref.ReadDir(ctx, gwclient.ReadDirRequest{Path: dir})
	if err != nil {
		return nil, err
	}
	out := make([]audit.Entry, 0, len(sts))
	for _, st := range sts {
		out = append(out, entry(path.Join("/", dir, path.Base(st.Path)), st))
	}
	return out, nil
}

func (g gatewayFS) Stat(ctx context.Context, p string) (audit.Entry, error) {
	st, err := g.ref.StatFile(ctx, gwclient.StatRequest{Path: p})
	if err != nil {
		return audit.Entry{}, err
	}
	return entry(p, st), nil
}

func (g gatewayFS) ReadFile(ctx context.Context, p string) ([]byte, error) {
	return g.ref.ReadFile(ctx, gwclient.ReadRequest{Filename: p})
}

func entry(p string, st *fstypes.Stat) audit.Entry {
	return audit.Entry{
		Path:     p,
		Mode:     fs.FileMode(st.Mode),
		UID:      st.Uid,
		GID:      st.Gid,
		Size:     st.Size,
		Linkname: st.Linkname,
		ModTime:  time.Unix(0, st.ModTime).UTC(),
		Xattrs:   st.Xattrs,
	}
}

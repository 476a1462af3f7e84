package frontend

import (
	"context"
	"io/fs"
	"path"
	"sync"
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

// listingWorkers is how many directory listings are in flight at once when a tree is listed.
const listingWorkers = 16

// treeFS serves ReadDir from a listing of the whole tree made up front with many gateway calls in
// flight. The checks visit every directory, and one gateway round trip per directory, in turn, is
// most of what a warm build spends in the frontend.
type treeFS struct {
	audit.FS
	dirs map[string][]audit.Entry
}

// listTree lists every directory of a view (a solved reference through the gateway) at once.
func listTree(ctx context.Context, g audit.FS) (*treeFS, error) {
	t := &treeFS{FS: g, dirs: map[string][]audit.Entry{}}
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		firstEr error
		sem     = make(chan struct{}, listingWorkers)
	)
	var list func(dir string)
	list = func(dir string) {
		defer wg.Done()
		sem <- struct{}{}
		entries, err := g.ReadDir(ctx, dir)
		<-sem
		mu.Lock()
		if err != nil {
			if firstEr == nil {
				firstEr = err
			}
			mu.Unlock()
			return
		}
		t.dirs[dir] = entries
		mu.Unlock()
		for _, e := range entries {
			if e.Mode.IsDir() {
				wg.Add(1)
				go list(e.Path)
			}
		}
	}
	wg.Add(1)
	go list("/")
	wg.Wait()
	if firstEr != nil {
		return nil, firstEr
	}
	return t, nil
}

func (t *treeFS) ReadDir(ctx context.Context, dir string) ([]audit.Entry, error) {
	if entries, ok := t.dirs[path.Clean("/"+dir)]; ok {
		return append([]audit.Entry(nil), entries...), nil
	}
	return t.FS.ReadDir(ctx, dir)
}

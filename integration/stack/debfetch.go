package stack

import (
	"context"
	"io"
	"path/filepath"
)

// DebFile is one Debian package downloaded into the cache: its name, version and the path of its file.
type DebFile struct {
	Name, Version, Path string
}

// FetchDebs downloads the candidate versions of trixie's packages names for amd64 into cacheDir's apt cache,
// the one the stand-ins use (a file already there with the index's SHA-256 is not fetched again). The bench
// lays out its Rust crates from Debian's librust-*-dev packages with it.
func FetchDebs(ctx context.Context, cacheDir string, names []string, log io.Writer) ([]DebFile, error) {
	b := newBuilder(cacheDir, newLogWriter(log))
	apt, err := b.aptRoot(ctx, trixie)
	if err != nil {
		return nil, err
	}
	debs, err := apt.resolve(ctx, names, "amd64")
	if err != nil {
		return nil, err
	}
	out := make([]DebFile, 0, len(debs))
	for _, d := range debs {
		file, err := apt.download(ctx, d)
		if err != nil {
			return nil, err
		}
		out = append(out, DebFile{Name: d.Name, Version: d.Version, Path: filepath.Clean(file)})
	}
	return out, nil
}

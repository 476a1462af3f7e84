package frontend

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	gwclient "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/hardenedbuild/hardened/spec"
)

// maxSymlinks bounds how many links an artifact path may go through, as the kernel's ELOOP does.
const maxSymlinks = 40

// statFunc stats a path of the build context without following a final symlink (lstat).
type statFunc func(ctx context.Context, p string) (fs.FileMode, string, error)

// checkArtifacts looks at every artifact in the build context before anything is built, so a
// path that is missing (or that .dockerignore excludes), a symlink out of the context, or a
// device, pipe or socket fails with its spec position and what to write instead, rather than
// with a copy error from deep in the solve. It reads the build context from the load the build
// itself uses (loaded), so the context is transferred once.
func checkArtifacts(ctx context.Context, s *spec.Spec, loaded func() (gwclient.Reference, error)) error {
	ref, err := loaded()
	if err != nil {
		return wrapf(err, "reading the build context")
	}
	// StatFile resolves symlinks (inside the context's root), so a link is read from its directory.
	stat := func(ctx context.Context, p string) (fs.FileMode, string, error) {
		if p == "/" {
			return fs.ModeDir, "", nil
		}
		sts, err := ref.ReadDir(ctx, gwclient.ReadDirRequest{Path: path.Dir(p)})
		if err != nil {
			return 0, "", err
		}
		for _, st := range sts {
			if path.Base(st.Path) == path.Base(p) {
				return fs.FileMode(st.Mode), st.Linkname, nil
			}
		}
		return 0, "", fs.ErrNotExist
	}
	return artifactProblems(ctx, s, stat)
}

// artifactProblems checks each artifact with stat and reports every problem at once.
func artifactProblems(ctx context.Context, s *spec.Spec, stat statFunc) error {
	var errs spec.Errors
	for i, a := range s.Artifacts {
		field := fmt.Sprintf("artifacts[%d]", i)
		if msg, hint := inspectArtifact(ctx, a, stat); msg != "" {
			errs = append(errs, spec.Error{File: s.File(), Pos: s.Pos(field), Field: field, Msg: msg, Hint: hint})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// inspectArtifact follows an artifact's path through symlinks inside the context and says what is
// wrong with it, if anything.
func inspectArtifact(ctx context.Context, artifact string, stat statFunc) (msg, hint string) {
	const root = "/context"
	p := path.Clean("/" + artifact)
	via := ""
	for hops := 0; ; hops++ {
		mode, link, err := stat(ctx, p)
		if err != nil {
			if via == "" {
				return fmt.Sprintf("%q is not in the build context: it does not exist, or .dockerignore excludes it", artifact),
					"check the path from the context's root, and that no .dockerignore pattern matches it (a !pattern line re-includes it)"
			}
			return fmt.Sprintf("%q is a symlink (%s) to %s, which is not in the build context", artifact, via, p),
				"point the link at a file that is in the context, or copy the file into the context"
		}
		switch {
		case mode&fs.ModeSymlink != 0:
			if hops >= maxSymlinks {
				return fmt.Sprintf("%q goes through more than %d symlinks", artifact, maxSymlinks), "point it at the file itself"
			}
			if path.IsAbs(link) {
				return fmt.Sprintf("%q is a symlink to the absolute path %s, which names a file of the machine it was made on, not of the build context", artifact, link),
					"make it a relative link to a file in the context, or copy the file into the context"
			}
			next := path.Join(root, path.Dir(p), link)
			if next != root && !strings.HasPrefix(next, root+"/") {
				return fmt.Sprintf("%q is a symlink to %s, which leaves the build context", artifact, link),
					"copy the file into the context; a build may only read what is in it"
			}
			via = strings.TrimPrefix(via+" -> "+link, " -> ")
			p = strings.TrimPrefix(next, root)
			if p == "" {
				p = "/"
			}
		case mode.IsRegular() || mode.IsDir():
			return "", ""
		default:
			return fmt.Sprintf("%q is a %s, not a file or directory", artifact, kind(mode)),
				"artifacts must be regular files or directories; an image must not carry device nodes, pipes or sockets from a build context"
		}
	}
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "socket"
	}
	return "special file"
}

package llb

import (
	"path"

	bkllb "github.com/moby/buildkit/client/llb"
)

// stripSetuidMode is applied to everything copied into the final stage: symbolic, so
// only the setuid and setgid bits go and every other bit stays as it was.
const stripSetuidMode = "u-s,g-s"

// SpecialFile is a path in an image whose mode carries setuid or setgid.
type SpecialFile struct {
	Path string
	Dir  bool
}

// StripSetuid rewrites the listed paths of a base in place without their setuid and
// setgid bits, by copying each onto itself with a mode change, so the base's own
// layers stay shared with the original image.
func StripSetuid(base bkllb.State, files []SpecialFile, opts ...bkllb.ConstraintsOpt) bkllb.State {
	var fa *bkllb.FileAction
	for _, f := range files {
		// A directory copied into its parent lands on itself; a file is copied by name.
		dest := f.Path
		if f.Dir {
			dest = path.Dir(f.Path)
		}
		info := &bkllb.CopyInfo{
			Mode:                           &bkllb.ChmodOpt{ModeStr: stripSetuidMode},
			AlwaysReplaceExistingDestPaths: true,
		}
		if fa == nil {
			fa = bkllb.Copy(base, f.Path, dest, info)
		} else {
			fa = fa.Copy(base, f.Path, dest, info)
		}
	}
	if fa == nil {
		return base
	}
	return base.File(fa, append(opts, bkllb.WithCustomName("strip setuid/setgid bits from the base"))...)
}

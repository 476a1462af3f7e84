package llb

import (
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
// layers stay shared with the original image. A copy onto an existing directory merges
// into it and leaves its mode alone, so a directory is removed first and copied back
// whole (its contents, owners and other mode bits as they were).
func StripSetuid(base bkllb.State, files []SpecialFile, opts ...bkllb.ConstraintsOpt) bkllb.State {
	var fa *bkllb.FileAction
	for _, f := range files {
		info := &bkllb.CopyInfo{
			Mode:                           &bkllb.ChmodOpt{ModeStr: stripSetuidMode},
			AlwaysReplaceExistingDestPaths: true,
		}
		if f.Dir {
			if fa == nil {
				fa = bkllb.Rm(f.Path)
			} else {
				fa = fa.Rm(f.Path)
			}
		}
		if fa == nil {
			fa = bkllb.Copy(base, f.Path, f.Path, info)
		} else {
			fa = fa.Copy(base, f.Path, f.Path, info)
		}
	}
	if fa == nil {
		return base
	}
	return base.File(fa, append(opts, bkllb.WithCustomName("strip setuid/setgid bits from the base"))...)
}

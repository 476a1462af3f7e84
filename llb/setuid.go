package llb

import (
	"context"
	"fmt"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

// stripSetuidMode is applied to what the final stage copies outside /app (the base's own files,
// runtime.libs): symbolic, so only the setuid and setgid bits go and every other bit stays as it was.
const stripSetuidMode = "u-s,g-s"

// AppMode is applied to everything copied into /app: directories 0755, files 0755 when the source
// has any execute bit and 0644 otherwise, no setuid, setgid or sticky bit, whatever the context's
// modes (a git archive's 0664/0775) or build.steps left (BuildKit's symbolic --chmod, X included).
const AppMode = "u=rwX,go=rX,-st"

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

// AddsNoSetuid proves from the final stage's definition that nothing the build puts on the base carries a
// setuid or setgid bit, so the self-check need not walk the image's files for them: every operation from
// the base (or scratch) up to the image is a file operation, each copy clears the bits (stripSetuidMode,
// or an explicit mode without them); BuildKit makes files and directories with permission bits only. base is the state the final
// stage starts from, nil for scratch. An error says what the proof met instead (a RUN, a copy that keeps
// the source's modes, a stage that starts elsewhere); the caller then walks the image.
func AddsNoSetuid(ctx context.Context, final bkllb.State, base *bkllb.State, opts ...bkllb.ConstraintsOpt) error {
	def, err := final.Marshal(ctx, opts...)
	if err != nil {
		return err
	}
	var baseHead digest.Digest
	if base != nil {
		bdef, err := base.Marshal(ctx, opts...)
		if err != nil {
			return err
		}
		if baseHead, err = bdef.Head(); err != nil {
			return err
		}
	}
	ops := make(map[digest.Digest]*pb.Op, len(def.Def))
	var last *pb.Op
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			return err
		}
		ops[digest.FromBytes(dt)] = &op
		last = &op
	}
	if last == nil || len(last.Inputs) == 0 {
		return nil // an empty image
	}
	cur, out := digest.Digest(last.Inputs[0].Digest), last.Inputs[0].Index
	for hops := 0; ; hops++ {
		if cur == baseHead {
			return nil
		}
		op, ok := ops[cur]
		if !ok || hops > len(def.Def) {
			return fmt.Errorf("the definition has no operation %s", cur)
		}
		f := op.GetFile()
		if f == nil {
			return fmt.Errorf("the final stage's %s is not a file operation on the base", opKind(op))
		}
		next, err := fileChain(f, len(op.Inputs), out)
		if err != nil {
			return err
		}
		if next < 0 {
			if base != nil {
				return fmt.Errorf("the final stage starts from scratch, not from the base")
			}
			return nil
		}
		cur, out = digest.Digest(op.Inputs[next].Digest), op.Inputs[next].Index
	}
}

// fileChain checks the actions of one file operation that make its output out, following each action's
// input back, and returns the operation's input they start from (-1: scratch).
func fileChain(f *pb.FileOp, inputs int, out int64) (int64, error) {
	i := -1
	for j, a := range f.Actions {
		if a.Output == out {
			i = j
		}
	}
	if i < 0 {
		return 0, fmt.Errorf("a file operation has no output %d", out)
	}
	for {
		a := f.Actions[i]
		if err := keepsNoSetuid(a); err != nil {
			return 0, err
		}
		switch in := a.Input; {
		case in < 0:
			return -1, nil
		case in < int64(inputs):
			return in, nil
		case int(in)-inputs < i:
			i = int(in) - inputs
		default:
			return 0, fmt.Errorf("a file action reads a later action's output")
		}
	}
}

// setuidBits are the setuid and setgid bits of a copy's explicit (unix) mode.
const setuidBits = 0o6000

func keepsNoSetuid(a *pb.FileAction) error {
	switch x := a.Action.(type) {
	case *pb.FileAction_Copy:
		c := x.Copy
		if c.ModeStr == stripSetuidMode || c.ModeStr == AppMode || (c.ModeStr == "" && c.Mode >= 0 && c.Mode&setuidBits == 0) {
			return nil
		}
		return fmt.Errorf("the copy of %s to %s keeps the setuid/setgid bits it finds (mode %q)", c.Src, c.Dest, c.ModeStr)
	case *pb.FileAction_Mkfile, *pb.FileAction_Mkdir, *pb.FileAction_Rm, *pb.FileAction_Symlink:
		// BuildKit makes files and directories with the permission bits of their mode only (mode&0777).
	default:
		return fmt.Errorf("a file action of kind %T", x)
	}
	return nil
}

func opKind(op *pb.Op) string {
	switch {
	case op.GetExec() != nil:
		return "RUN step"
	case op.GetSource() != nil:
		return "source " + op.GetSource().Identifier
	case op.GetMerge() != nil:
		return "merge"
	case op.GetDiff() != nil:
		return "diff"
	case op.GetBuild() != nil:
		return "nested build"
	}
	return "operation"
}

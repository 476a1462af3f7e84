package llb

import (
	"fmt"
	"slices"
	"strings"
	"time"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// HistoryComment is the comment BuildKit's image exporter gives the history entries it writes.
const HistoryComment = "buildkit.exporter.image.v0"

// LayerHistory is the history of the layers def's result adds on its base image (or scratch), bottom
// first: one entry per filesystem op of its chain, named as BuildKit names a layer it built (the op's name;
// "mount DEST from exec ARGS" for an exec's other mount). Left to the exporter, a layer taken from a
// registry cache is named "imported sha256:...", so the same image pulled from a cache had another digest.
func LayerHistory(def *bkllb.Definition, epoch time.Time) ([]ocispecs.History, error) {
	ops, result, err := ReadDefinition(def, "the final stage")
	if err != nil {
		return nil, err
	}
	var out []ocispecs.History
	for in := result; in != nil; {
		d := digest.Digest(in.Digest)
		op := ops[d]
		if op == nil {
			return nil, fmt.Errorf("the final stage's LLB lacks op %s", d)
		}
		if op.GetSource() != nil {
			break
		}
		name, next, err := layerOf(op, in.Index, def.Metadata[d].Description["llb.customname"])
		if err != nil {
			return nil, err
		}
		out = append(out, ocispecs.History{Created: &epoch, CreatedBy: name, Comment: HistoryComment})
		in = next
	}
	slices.Reverse(out)
	return out, nil
}

// layerOf names the layer output index of op makes and returns the input it is made on (nil: scratch).
func layerOf(op *pb.Op, index int64, name string) (string, *pb.Input, error) {
	input := func(i int64) *pb.Input {
		if i < 0 || int(i) >= len(op.Inputs) {
			return nil
		}
		return op.Inputs[i]
	}
	switch {
	case op.GetFile() != nil:
		acts := op.GetFile().Actions
		i := slices.IndexFunc(acts, func(a *pb.FileAction) bool { return a.Output == index })
		for i >= 0 && acts[i].Input >= int64(len(op.Inputs)) { // an earlier action's output
			i = int(acts[i].Input) - len(op.Inputs)
			if i >= len(acts) {
				i = -1
			}
		}
		if i < 0 || name == "" {
			return "", nil, fmt.Errorf("a file op of the final stage has no name or no output %d", index)
		}
		return name, input(acts[i].Input), nil
	case op.GetExec() != nil:
		e := op.GetExec()
		for _, m := range e.Mounts {
			if m.Output != index {
				continue
			}
			args := strings.Join(e.GetMeta().GetArgs(), " ")
			if m.Dest == "/" {
				return "exec " + args, input(m.Input), nil
			}
			return fmt.Sprintf("mount %s from exec %s", m.Dest, args), input(m.Input), nil
		}
	}
	return "", nil, fmt.Errorf("the final stage has an op that makes no layer of output %d", index)
}

// ReadDefinition reads a marshalled state's ops by digest and the input that is its result; what names
// the state in errors.
func ReadDefinition(def *bkllb.Definition, what string) (map[digest.Digest]*pb.Op, *pb.Input, error) {
	ops := map[digest.Digest]*pb.Op{}
	var last *pb.Op
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.Unmarshal(dt); err != nil {
			return nil, nil, fmt.Errorf("read %s's LLB: %w", what, err)
		}
		ops[digest.FromBytes(dt)] = &op
		last = &op
	}
	if last == nil || len(last.Inputs) != 1 {
		return nil, nil, fmt.Errorf("%s's LLB has no result", what)
	}
	return ops, last.Inputs[0], nil
}

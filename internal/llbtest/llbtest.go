// Package llbtest decodes a marshalled LLB definition so tests can assert on the ops
// BuildKit will really receive, not on the Go values that produced them.
package llbtest

import (
	"context"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

// Op is one decoded vertex with its digest and custom name.
type Op struct {
	Digest digest.Digest
	Op     *pb.Op
	Name   string
}

// Graph is a decoded definition.
type Graph struct {
	Ops  []Op
	byID map[digest.Digest]Op
	Def  *bkllb.Definition
}

// Marshal marshals a state and decodes every op (the final, input-only op is dropped).
func Marshal(t testing.TB, st bkllb.State, opts ...bkllb.ConstraintsOpt) *Graph {
	t.Helper()
	def, err := st.Marshal(context.Background(), opts...)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	g := &Graph{byID: map[digest.Digest]Op{}, Def: def}
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatalf("decode op: %v", err)
		}
		d := digest.FromBytes(dt)
		o := Op{Digest: d, Op: &op}
		if m, ok := def.Metadata[d]; ok {
			o.Name = m.Description["llb.customname"]
		}
		if op.Op == nil { // the terminal op only points at the result
			continue
		}
		g.Ops = append(g.Ops, o)
		g.byID[d] = o
	}
	return g
}

// Execs returns the exec ops in definition order.
func (g *Graph) Execs() []Op {
	var out []Op
	for _, o := range g.Ops {
		if o.Op.GetExec() != nil {
			out = append(out, o)
		}
	}
	return out
}

// Sources returns the identifiers of the source ops (docker-image://..., local://...).
func (g *Graph) Sources() []string {
	var out []string
	for _, o := range g.Ops {
		if s := o.Op.GetSource(); s != nil {
			out = append(out, s.Identifier)
		}
	}
	return out
}

// Named returns the op whose custom name is name, failing the test if none is.
func (g *Graph) Named(t testing.TB, name string) Op {
	t.Helper()
	for _, o := range g.Ops {
		if o.Name == name {
			return o
		}
	}
	var names []string
	for _, o := range g.Ops {
		names = append(names, o.Name)
	}
	t.Fatalf("no op named %q; ops: %q", name, names)
	return Op{}
}

// Input returns the op feeding input i of o.
func (g *Graph) Input(o Op, i int) (Op, bool) {
	if i >= len(o.Op.Inputs) {
		return Op{}, false
	}
	in, ok := g.byID[digest.Digest(o.Op.Inputs[i].Digest)]
	return in, ok
}

// DependsOn reports whether o reaches dep through its inputs.
func (g *Graph) DependsOn(o Op, dep digest.Digest) bool {
	seen := map[digest.Digest]bool{}
	var walk func(Op) bool
	walk = func(x Op) bool {
		for _, in := range x.Op.Inputs {
			d := digest.Digest(in.Digest)
			if d == dep {
				return true
			}
			if seen[d] {
				continue
			}
			seen[d] = true
			if next, ok := g.byID[d]; ok && walk(next) {
				return true
			}
		}
		return false
	}
	return walk(o)
}

// Env returns an exec op's environment as a map.
func Env(o Op) map[string]string {
	m := map[string]string{}
	for _, kv := range o.Op.GetExec().GetMeta().GetEnv() {
		for i := 0; i < len(kv); i++ {
			if kv[i] == '=' {
				m[kv[:i]] = kv[i+1:]
				break
			}
		}
	}
	return m
}

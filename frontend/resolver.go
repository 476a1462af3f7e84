package frontend

import (
	"context"
	"fmt"
	"sync"

	bkllb "github.com/moby/buildkit/client/llb"
)

// resolver runs the background work of one Build call (image resolutions, the base's setuid listing,
// the context's load, checks that run beside others) as keyed jobs, each at most once: the first to
// ask for a key, to prefetch it or to wait for it, starts it; everyone after shares its answer. It is
// what BuildKit's dockerfile2llb gets from flightcontrol in withResolveCache, with one lifetime: close
// cancels every job still running and waits for all of them, so nothing outlives the build.
type resolver struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	jobs   map[string]*job
}

// job is one keyed piece of work; done closes when val and err are set.
type job struct {
	done   chan struct{}
	cancel context.CancelFunc
	val    any
	err    error
}

func newResolver(ctx context.Context) *resolver {
	ctx, cancel := context.WithCancel(ctx)
	return &resolver{ctx: ctx, cancel: cancel, jobs: map[string]*job{}}
}

// start runs fn under key unless a job has that key already, and returns the key's job.
func (r *resolver) start(key string, fn func(context.Context) (any, error)) *job {
	r.mu.Lock()
	defer r.mu.Unlock()
	if j, ok := r.jobs[key]; ok {
		return j
	}
	ctx, cancel := context.WithCancel(r.ctx)
	j := &job{done: make(chan struct{}), cancel: cancel}
	r.jobs[key] = j
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(j.done)
		defer cancel()
		j.val, j.err = fn(ctx)
	}()
	return j
}

// stop cancels key's job, if there is one, when the build will not need its answer; close waits for it.
func (r *resolver) stop(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if j, ok := r.jobs[key]; ok {
		j.cancel()
	}
}

// close cancels every job still running and waits for all of them.
func (r *resolver) close() {
	r.cancel()
	r.wg.Wait()
}

// await is the answer of key's job, started with fn if nobody asked for it yet. A caller whose own
// context ends stops waiting; the job goes on for the others.
func await[T any](ctx context.Context, r *resolver, key string, fn func(context.Context) (T, error)) (T, error) {
	j := r.start(key, func(ctx context.Context) (any, error) { return fn(ctx) })
	var zero T
	select {
	case <-j.done:
	case <-ctx.Done():
		return zero, context.Cause(ctx)
	}
	if j.err != nil {
		return zero, j.err
	}
	v, ok := j.val.(T)
	if !ok && j.val != nil {
		return zero, fmt.Errorf("job %s answered %T, not %T", key, j.val, zero)
	}
	return v, nil
}

// prefetch starts key's job, if nobody has yet, without waiting for it.
func prefetch[T any](r *resolver, key string, fn func(context.Context) (T, error)) {
	r.start(key, func(ctx context.Context) (any, error) { return fn(ctx) })
}

// marshalMu serializes the marshalling of LLB states: BuildKit's llb evaluates some of a state's values
// lazily and in place (llb.Dir completes its path the first time it is read), and jobs marshal states
// that share a base. Marshalling takes milliseconds; the solves that follow run in parallel.
var marshalMu sync.Mutex

func marshal(ctx context.Context, st bkllb.State, opts ...bkllb.ConstraintsOpt) (*bkllb.Definition, error) {
	marshalMu.Lock()
	defer marshalMu.Unlock()
	return st.Marshal(ctx, opts...)
}

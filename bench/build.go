package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A variant is one way of building the example.
type variant struct {
	Name string // "A", "B", "S", "C"
	Desc string
	// file is the build file: hardened.yaml in the variant's context, or a Dockerfile beside the example.
	file func(w *workspace, ctx string) string
	// frontend is the image its "# syntax" line names (its vertex starts the frontend start figure).
	frontend string
	// like is the variant whose first builder op it shares (S runs B's Dockerfile).
	like string
	// args are its own build options.
	args []string
}

var variants = []variant{
	{Name: "A", Desc: "hardened.yaml through the frontend", frontend: "docker-image://ghcr.io/hardenedbuild/hardened",
		file: func(_ *workspace, ctx string) string { return filepath.Join(ctx, "hardened.yaml") }},
	{Name: "B", Desc: "hand-written hardened Dockerfile",
		file: func(w *workspace, _ string) string { return filepath.Join(w.benchDF, "hardened.Dockerfile") }},
	{Name: "S", Desc: "B's Dockerfile through the docker/dockerfile:1 image", frontend: "docker-image://" + peerFrontendRef,
		like: "B", file: func(w *workspace, _ string) string { return w.syntaxDF },
		args: []string{"--build-arg", "BUILDKIT_CACHE_MOUNT_NS=" + peerCacheNS}},
	{Name: "C", Desc: "naive single-stage Dockerfile",
		file: func(w *workspace, _ string) string { return filepath.Join(w.benchDF, "naive.Dockerfile") }},
}

// A build is one timed build.
type build struct {
	Seconds float64 `json:"seconds"`
	// FirstOpSeconds is from the build's start (buildx launched) to the first builder operation's start.
	FirstOpSeconds float64 `json:"first_op_seconds,omitempty"`
	// FrontendStartSeconds (A and S) is from BuildKit having the frontend image to the frontend's first
	// request: the container start any "# syntax" frontend pays.
	FrontendStartSeconds float64 `json:"frontend_start_seconds,omitempty"`
	// TestStepSeconds (A) is how long the test step ran, its vertex's start to end (0 when it came from the
	// cache); nil when the build had no test step. Nothing else runs beside it, so it is what the test adds.
	TestStepSeconds *float64 `json:"test_step_seconds,omitempty"`
	BytesPulled     int64    `json:"bytes_pulled"`
	// CacheBytesPulled (ci) is the part of BytesPulled the cold build exporting the cache did not pull: the
	// build's own layers, from the registry cache (ownLayers).
	CacheBytesPulled int64  `json:"cache_bytes_pulled,omitempty"`
	Cached           int    `json:"vertices_cached"`
	Vertices         int    `json:"vertices"`
	Error            string `json:"error,omitempty"`
	// blobs are the blobs the build pulled, by digest, with their sizes.
	blobs map[string]int64
}

type buildOpts struct {
	tag       string
	cacheTo   string
	cacheFrom string
}

// image is where a variant's build is pushed.
func (b *bench) image(v variant, tag string) string {
	return b.st.Registry + "/bench/" + b.ws.ex.Name + "-" + strings.ToLower(v.Name) + ":" + tag
}

// build runs docker buildx build for v on the workspace, pushing to the bench registry, and times it.
func (b *bench) build(ctx context.Context, v variant, o buildOpts) build {
	dir, err := b.ws.contextFor(v)
	if err != nil {
		return build{Error: err.Error()}
	}
	args := []string{"build", "--progress=rawjson", "--provenance=false", "--sbom=false",
		"-f", v.file(b.ws, dir),
		"--output", "type=image,name=" + b.image(v, o.tag) + ",push=true,registry.insecure=true"}
	if o.cacheTo != "" {
		args = append(args, "--cache-to", "type=registry,ref="+o.cacheTo+",mode=max,registry.insecure=true")
	}
	if o.cacheFrom != "" {
		args = append(args, "--cache-from", "type=registry,ref="+o.cacheFrom+",registry.insecure=true")
	}
	args = append(append(args, v.args...), dir)
	cmd := b.st.Buildx(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	mark := b.reg.mark()
	start := time.Now()
	err = cmd.Run()
	took := time.Since(start)
	r := build{Seconds: took.Seconds()}
	if p, err := b.reg.pulledSince(mark); err == nil {
		r.BytesPulled, r.blobs = p.total, p.blobs
	}
	b.keepTrace(v, o.tag, stderr.Bytes())
	vs := parseProgress(stderr.Bytes(), stdout.Bytes())
	r.Vertices = len(vs)
	for _, vx := range vs {
		if vx.cached {
			r.Cached++
		}
	}
	if t, ok := firstStarted(vs, b.ws.ex.firstOp(v)); ok {
		r.FirstOpSeconds = t.Sub(start).Seconds()
	}
	if d, ok := frontendStart(vs, v.frontend); ok {
		r.FrontendStartSeconds = d.Seconds()
	}
	if d, ok := testStep(vs); ok {
		secs := d.Seconds()
		r.TestStepSeconds = &secs
	}
	if err != nil {
		r.Error = fmt.Sprintf("%v: %s", err, lastError(vs, stderr.Bytes()))
	}
	status := "ok"
	if r.Error != "" {
		status = "FAILED: " + r.Error
	}
	logf("  %s %s %-5s %6.2fs  first op %.3fs  pulled %s  cached %d/%d  %s", b.ws.ex.Name, v.Name, o.tag, r.Seconds, r.FirstOpSeconds,
		human(r.BytesPulled), r.Cached, r.Vertices, status)
	return r
}

// keepTrace writes a build's progress stream to the trace directory, named by example, variant, tag and order.
func (b *bench) keepTrace(v variant, tag string, progress []byte) {
	if b.trace == "" {
		return
	}
	b.traced++
	name := fmt.Sprintf("%03d-%s-%s-%s.json", b.traced, b.ws.ex.Name, v.Name, tag)
	err := os.MkdirAll(b.trace, 0o755)
	if err == nil {
		err = os.WriteFile(filepath.Join(b.trace, name), progress, 0o644)
	}
	if err != nil {
		logf("  trace %s: %v", name, err)
	}
}

type vertex struct {
	name      string
	started   time.Time
	completed time.Time
	cached    bool
	err       string
	log       []byte
}

// parseProgress reads buildx's --progress=rawjson stream (one SolveStatus per line) into vertices by digest.
func parseProgress(streams ...[]byte) map[string]*vertex {
	out := map[string]*vertex{}
	for _, s := range streams {
		sc := bufio.NewScanner(bytes.NewReader(s))
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var st struct {
				Logs []struct {
					Vertex string `json:"vertex"`
					Data   []byte `json:"data"`
				} `json:"logs"`
				Vertexes []struct {
					Digest    string     `json:"digest"`
					Name      string     `json:"name"`
					Started   *time.Time `json:"started"`
					Completed *time.Time `json:"completed"`
					Cached    bool       `json:"cached"`
					Error     string     `json:"error"`
				} `json:"vertexes"`
			}
			if json.Unmarshal(sc.Bytes(), &st) != nil {
				continue
			}
			for _, v := range st.Vertexes {
				vx := out[v.Digest]
				if vx == nil {
					vx = &vertex{name: v.Name}
					out[v.Digest] = vx
				}
				if v.Started != nil && (vx.started.IsZero() || v.Started.Before(vx.started)) {
					vx.started = *v.Started
				}
				if v.Completed != nil && v.Completed.After(vx.completed) {
					vx.completed = *v.Completed
				}
				vx.cached = vx.cached || v.Cached
				if v.Error != "" {
					vx.err = v.Error
				}
			}
			for _, l := range st.Logs {
				if vx := out[l.Vertex]; vx != nil {
					vx.log = append(vx.log, l.Data...)
				}
			}
		}
	}
	return out
}

func firstStarted(vs map[string]*vertex, name string) (time.Time, bool) {
	var first time.Time
	for _, v := range vs {
		if strings.Contains(v.name, name) && !v.started.IsZero() && (first.IsZero() || v.started.Before(first)) {
			first = v.started
		}
	}
	return first, !first.IsZero()
}

// frontendStart is from the vertex of the frontend image named image completing (BuildKit has the image) to the
// first vertex the frontend itself makes: starting its container and binary.
func frontendStart(vs map[string]*vertex, image string) (time.Duration, bool) {
	if image == "" {
		return 0, false
	}
	var img *vertex
	for _, v := range vs {
		if strings.HasPrefix(v.name, image) && !v.completed.IsZero() {
			img = v
		}
	}
	if img == nil {
		return 0, false
	}
	var first time.Time
	for _, v := range vs {
		if v == img || v.started.IsZero() || v.started.Before(img.completed) {
			continue
		}
		if first.IsZero() || v.started.Before(first) {
			first = v.started
		}
	}
	if first.IsZero() {
		return 0, false
	}
	return first.Sub(img.completed), true
}

// testStepName starts the name of the frontend's test step (frontend/tool.RunTestStep), one per platform tested.
const testStepName = "test the image: start "

// testStep is how long the build's test steps ran: 0 for one from the cache, false when there was none.
func testStep(vs map[string]*vertex) (time.Duration, bool) {
	var total time.Duration
	found := false
	for _, v := range vs {
		if !strings.Contains(v.name, testStepName) {
			continue
		}
		found = true
		if !v.cached && !v.started.IsZero() && v.completed.After(v.started) {
			total += v.completed.Sub(v.started)
		}
	}
	return total, found
}

func lastError(vs map[string]*vertex, stderr []byte) string {
	for _, v := range vs {
		if v.err != "" {
			return v.name + ": " + firstLine(v.err) + lastLines(v.log, 3)
		}
	}
	lines := strings.Split(strings.TrimSpace(string(stderr)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if !strings.HasPrefix(lines[i], "{") {
			return lines[i]
		}
	}
	return "no error message"
}

// prune empties the bench buildkitd (records, cache mounts, pulled images): a cold builder.
func (b *bench) prune(ctx context.Context) error {
	out, err := b.st.Buildctl(ctx, "prune", "--all").CombinedOutput()
	if err != nil {
		return fmt.Errorf("buildctl prune --all: %w: %s", err, out)
	}
	return nil
}

// lastLines is the end of a failed step's output, where the compiler says why.
func lastLines(log []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 1 && lines[0] == "" {
		return ""
	}
	return " — output: " + strings.Join(lines, " / ")
}

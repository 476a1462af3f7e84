package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"golang.org/x/sync/errgroup"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// BuilderName is the buildx builder the stack creates (in its own DOCKER_CONFIG).
const BuilderName = "hardened"

// modulePath identifies the repository root (the directory whose go.mod declares it).
const modulePath = "github.com/hardenedbuild/hardened"

// Options configures Up and Stop. Zero values pick the defaults.
type Options struct {
	// RepoRoot is the repository checkout (bin/, tools/, the frontend's Dockerfile); default: the directory
	// above the working directory whose go.mod declares the module.
	RepoRoot string
	// StateDir holds the running stack's sockets, logs, buildkitd root and registry blobs; default RepoRoot/.stack.
	StateDir string
	// CacheDir holds the stand-in images and downloaded packages; default $HARDENED_CACHE, else ~/.cache/hardened.
	CacheDir string
	// Exe is a binary of integration/cmd/stack, started as "Exe serve"; default: built into RepoRoot/bin/stack.
	Exe string
	// Log receives progress lines; default: discarded.
	Log io.Writer
}

// Stack is a running stack. It is also the content of STATE/stack.json.
type Stack struct {
	StateDir     string   `json:"state_dir"`
	RepoRoot     string   `json:"repo_root"`
	Registry     string   `json:"registry"`      // host:port of the local registry
	BuildkitAddr string   `json:"buildkit_addr"` // unix://STATE/buildkitd.sock
	DockerConfig string   `json:"docker_config"` // DOCKER_CONFIG holding the buildx builder
	PID          int      `json:"pid"`           // the serve process (leader of the stack's process group)
	BuildctlBin  string   `json:"buildctl"`
	BuildxBin    string   `json:"buildx"`    // the standalone docker-buildx binary
	Builder      string   `json:"builder"`   // buildx builder name
	StandIns     []string `json:"stand_ins"` // real references served by the registry
	CacheDir     string   `json:"cache_dir"` // stand-ins, packages and the frontend build's cache (Options.CacheDir)

	log *logWriter
}

func (o Options) withDefaults() (Options, error) {
	if o.RepoRoot == "" {
		root, err := FindRepoRoot()
		if err != nil {
			return o, err
		}
		o.RepoRoot = root
	}
	if o.StateDir == "" {
		o.StateDir = filepath.Join(o.RepoRoot, ".stack")
	}
	if o.CacheDir == "" {
		o.CacheDir = DefaultCacheDir()
	}
	for _, p := range []*string{&o.RepoRoot, &o.StateDir, &o.CacheDir} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return o, err
		}
		*p = abs
	}
	return o, nil
}

// DefaultCacheDir is $HARDENED_CACHE, else the user's cache directory + /hardened.
func DefaultCacheDir() string {
	if d := os.Getenv("HARDENED_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "hardened")
	}
	return filepath.Join(os.TempDir(), "hardened-cache")
}

// FindRepoRoot walks up from the working directory, then from the running binary (bin/stack lives in the
// repository), to the go.mod of module github.com/hardenedbuild/hardened.
func FindRepoRoot() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, start := range starts {
		for d := start; ; d = filepath.Dir(d) {
			if data, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && bytes.HasPrefix(data, []byte("module "+modulePath+"\n")) {
				return d, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", fmt.Errorf("no go.mod of module %s above %s", modulePath, strings.Join(starts, " or "))
}

// Up makes sure the stack of the state directory runs and serves the stand-ins, starting it when it does not,
// and returns it. It is idempotent and safe to call from several processes at once.
func Up(ctx context.Context, o Options) (*Stack, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	log := newLogWriter(o.Log)
	p := statePaths(o.StateDir)
	if err := os.MkdirAll(o.StateDir, 0o755); err != nil {
		return nil, err
	}
	unlock, err := lockFile(p.upLock)
	if err != nil {
		return nil, err
	}
	defer unlock()

	if err := ensureHostPackages(ctx, log, "runc", "debootstrap"); err != nil {
		return nil, err
	}
	// The tools compile (CPU) while the stand-ins bootstrap (mostly disk and network).
	var (
		bins   toolPaths
		images map[string]v1.ImageIndex
	)
	eg, egctx := errgroup.WithContext(ctx)
	eg.Go(func() (err error) { bins, err = ensureTools(egctx, o.RepoRoot, o.CacheDir, log); return err })
	eg.Go(func() (err error) { images, err = buildStandIns(egctx, o.CacheDir, log); return err })
	if err := eg.Wait(); err != nil {
		return nil, err
	}

	s := &Stack{
		StateDir:     o.StateDir,
		RepoRoot:     o.RepoRoot,
		BuildkitAddr: "unix://" + p.socket,
		DockerConfig: p.dockerConfig,
		BuildctlBin:  bins.buildctl,
		BuildxBin:    bins.buildx,
		Builder:      BuilderName,
		CacheDir:     o.CacheDir,
		log:          log,
	}
	hint := previousRegistryPort(p.stackJSON)
	st, healthErr := s.attach(ctx)
	if healthErr != nil {
		if st.PID != 0 {
			log.Printf("restarting the stack: %v", healthErr)
		}
		if err := stop(ctx, o.StateDir, log); err != nil {
			return nil, err
		}
		if st, err = startServe(ctx, o, bins, hint, log); err != nil {
			return nil, err
		}
	}
	s.PID, s.Registry = st.PID, st.Registry
	if err := s.waitForWorker(ctx, 90*time.Second); err != nil {
		return nil, err
	}

	done := log.step("pushing stand-ins to %s", s.Registry)
	refs := make([]string, 0, len(images))
	for ref := range images {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	for _, ref := range refs {
		pushed, err := pushIndex(ctx, s.Registry, ref, images[ref])
		if err != nil {
			return nil, fmt.Errorf("%w\n%s", err, tailFile(p.serveLog, 10))
		}
		if pushed {
			log.Printf("pushed %s", ref)
		}
	}
	done()
	s.StandIns = refs

	if err := s.ensureBuilder(ctx); err != nil {
		return nil, err
	}
	data, _ := json.MarshalIndent(s, "", "  ")
	if _, err := writeFileChanged(p.stackJSON, append(data, '\n')); err != nil {
		return nil, err
	}
	log.Printf("stack up: registry %s, buildkit %s, DOCKER_CONFIG=%s", s.Registry, s.BuildkitAddr, s.DockerConfig)
	return s, nil
}

// standInWorkers is how many stand-ins build at once: a bootstrap waits on disk and network as much as on CPU.
const standInWorkers = 3

// buildStandIns returns every stand-in image by real reference, building those the cache lacks.
func buildStandIns(ctx context.Context, cacheDir string, log *logWriter) (map[string]v1.ImageIndex, error) {
	g, err := hostGoToolchain(ctx)
	if err != nil {
		return nil, err
	}
	r, err := findHostRust(ctx)
	if err != nil {
		return nil, err
	}
	b := newBuilder(cacheDir, log)
	defer b.close()
	out := map[string]v1.ImageIndex{}
	var mu sync.Mutex
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(standInWorkers)
	for _, s := range standIns(g, r) {
		eg.Go(func() error {
			idx, err := b.ensure(ctx, s)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for ref, ii := range idx {
				out[ref] = ii
			}
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// startServe starts "Exe serve" detached (own session, output to STATE/serve.log) and waits for its serve.json.
func startServe(ctx context.Context, o Options, bins toolPaths, hint int, log *logWriter) (serveState, error) {
	p := statePaths(o.StateDir)
	exe := o.Exe
	if exe == "" {
		var err error
		if exe, err = buildStackCommand(ctx, o.RepoRoot); err != nil {
			return serveState{}, err
		}
	}
	logFile, err := os.Create(p.serveLog)
	if err != nil {
		return serveState{}, err
	}
	defer logFile.Close()
	cmd := exec.Command(exe, "serve", "--state", o.StateDir, "--buildkitd", bins.buildkitd, "--port-hint", strconv.Itoa(hint))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Dir = o.StateDir
	cmd.Env = withSbinPath(os.Environ())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return serveState{}, fmt.Errorf("starting %s serve: %w", exe, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // reaps it if it ever exits while this process lives
	log.Printf("started serve (pid %d), log %s", cmd.Process.Pid, p.serveLog)

	deadline := time.Now().Add(30 * time.Second)
	for {
		if st, err := readServeState(p.serveJSON); err == nil && st.PID == cmd.Process.Pid {
			return st, nil
		}
		select {
		case err := <-exited:
			return serveState{}, fmt.Errorf("stack serve exited (%v)\n%s\n%s", err, tailFile(p.serveLog, 15), tailFile(p.buildkitdLog, 15))
		case <-ctx.Done():
			return serveState{}, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return serveState{}, fmt.Errorf("stack serve did not start within 30s\n%s", tailFile(p.serveLog, 15))
		}
	}
}

// previousRegistryPort is the registry port of the last run, 0 if unknown.
func previousRegistryPort(stackJSON string) int {
	data, err := os.ReadFile(stackJSON)
	if err != nil {
		return 0
	}
	var prev Stack
	if json.Unmarshal(data, &prev) != nil {
		return 0
	}
	_, port, _ := strings.Cut(prev.Registry, ":")
	n, _ := strconv.Atoi(port)
	return n
}

func readServeState(file string) (serveState, error) {
	var st serveState
	data, err := os.ReadFile(file)
	if err != nil {
		return st, err
	}
	return st, json.Unmarshal(data, &st)
}

// attach checks that the stack of s.StateDir runs: its serve process is alive, the registry answers and buildkitd
// lists a worker. It returns the serve state it found, even when unhealthy.
func (s *Stack) attach(ctx context.Context) (serveState, error) {
	p := statePaths(s.StateDir)
	st, err := readServeState(p.serveJSON)
	if err != nil {
		return st, fmt.Errorf("no running stack in %s", s.StateDir)
	}
	if !isServeProcess(st.PID, s.StateDir) {
		return serveState{}, fmt.Errorf("the stack's serve process %d is gone", st.PID)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + st.Registry + "/v2/")
	if err != nil {
		return st, fmt.Errorf("registry %s: %w", st.Registry, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("registry %s: HTTP %d on /v2/", st.Registry, resp.StatusCode)
	}
	s.PID, s.Registry = st.PID, st.Registry
	if err := s.hasWorker(ctx); err != nil {
		return st, err
	}
	return st, nil
}

// isServeProcess says whether pid is a "stack serve" of stateDir leading its own process group, so that a
// recycled pid is never signalled.
func isServeProcess(pid int, stateDir string) bool {
	if pid <= 0 {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	args := strings.Split(string(cmdline), "\x00")
	hasServe, hasState := false, false
	for _, a := range args {
		hasServe = hasServe || a == "serve"
		hasState = hasState || a == stateDir
	}
	if pgid, err := syscall.Getpgid(pid); err != nil || pgid != pid {
		return false
	}
	return hasServe && hasState && !isZombie(pid)
}

func isZombie(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z'
}

func (s *Stack) hasWorker(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := s.Buildctl(ctx, "debug", "workers").CombinedOutput()
	if err != nil {
		return fmt.Errorf("buildctl debug workers: %w: %s", err, strings.TrimSpace(string(out)))
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 2 {
		return fmt.Errorf("buildkitd lists no worker: %s", strings.TrimSpace(string(out)))
	}
	return nil
}

func (s *Stack) waitForWorker(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	p := statePaths(s.StateDir)
	for {
		err := s.hasWorker(ctx)
		if err == nil {
			return nil
		}
		if !isServeProcess(s.PID, s.StateDir) {
			return fmt.Errorf("the stack stopped while buildkitd started: %v\n%s\n%s", err, tailFile(p.serveLog, 15), tailFile(p.buildkitdLog, 15))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("buildkitd has no worker after %s: %v\n%s", timeout, err, tailFile(p.buildkitdLog, 20))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Load attaches to the stack running in stateDir (default <repo>/.stack) and fails if it is not healthy.
func Load(stateDir string) (*Stack, error) {
	if stateDir == "" {
		o, err := Options{}.withDefaults()
		if err != nil {
			return nil, err
		}
		stateDir = o.StateDir
	}
	stateDir, err := filepath.Abs(stateDir)
	if err != nil {
		return nil, err
	}
	p := statePaths(stateDir)
	data, err := os.ReadFile(p.stackJSON)
	if err != nil {
		return nil, fmt.Errorf("no stack in %s (run: stack up): %w", stateDir, err)
	}
	s := &Stack{}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("%s: %w", p.stackJSON, err)
	}
	s.StateDir = stateDir
	s.log = newLogWriter(nil)
	st, err := s.attach(context.Background())
	if err != nil {
		return nil, fmt.Errorf("the stack in %s is not healthy: %w\n%s", stateDir, err, tailFile(p.serveLog, 10))
	}
	if st.Registry != s.Registry {
		return nil, fmt.Errorf("the stack in %s restarted on %s without an up; run: stack up", stateDir, st.Registry)
	}
	return s, nil
}

// SetLog sends the stack's progress lines (BuildFrontend's build output) to w.
func (s *Stack) SetLog(w io.Writer) { s.log = newLogWriter(w) }

// Down stops the stack (its whole process group), removes the buildx builder and keeps the caches.
func (s *Stack) Down() error {
	return stop(context.Background(), s.StateDir, s.log)
}

// Stop stops whatever stack runs in the state directory, healthy or not. Stopping a stopped stack is no error.
func Stop(ctx context.Context, o Options) error {
	o, err := o.withDefaults()
	if err != nil {
		return err
	}
	return stop(ctx, o.StateDir, newLogWriter(o.Log))
}

func stop(ctx context.Context, stateDir string, log *logWriter) error {
	p := statePaths(stateDir)
	if data, err := os.ReadFile(p.stackJSON); err == nil {
		var s Stack
		if json.Unmarshal(data, &s) == nil && s.BuildxBin != "" {
			s.StateDir, s.log = stateDir, log
			if out, err := s.buildxCommand(ctx, false, "rm", BuilderName).CombinedOutput(); err != nil &&
				!bytes.Contains(out, []byte("not found")) && !bytes.Contains(out, []byte("no builder")) {
				log.Printf("removing the buildx builder: %v: %s", err, bytes.TrimSpace(out))
			}
		}
	}
	st, err := readServeState(p.serveJSON)
	if err == nil && isServeProcess(st.PID, stateDir) {
		log.Printf("stopping the stack (process group %d)", st.PID)
		if err := syscall.Kill(-st.PID, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("stopping the stack (pid %d): %w", st.PID, err)
		}
		deadline := time.Now().Add(40 * time.Second)
		for isServeProcess(st.PID, stateDir) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if isServeProcess(st.PID, stateDir) {
			syscall.Kill(-st.PID, syscall.SIGKILL)
			time.Sleep(500 * time.Millisecond)
		}
	}
	// A buildkitd that outlived its serve (killed with SIGKILL before Pdeathsig existed) still holds the root.
	if err == nil && st.BuildkitdPID > 0 && isBuildkitd(st.BuildkitdPID, p.buildkitdRoot) {
		syscall.Kill(st.BuildkitdPID, syscall.SIGTERM)
		for i := 0; i < 300 && isBuildkitd(st.BuildkitdPID, p.buildkitdRoot); i++ {
			time.Sleep(100 * time.Millisecond)
		}
	}
	os.Remove(p.serveJSON)
	os.Remove(p.stackJSON)
	return nil
}

func isBuildkitd(pid int, root string) bool {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && bytes.Contains(cmdline, []byte("\x00"+root+"\x00")) && !isZombie(pid)
}

// Env is the environment a shell or a test uses to reach the stack: BUILDKIT_HOST, DOCKER_CONFIG, BUILDX_BUILDER
// and HARDENED_REGISTRY.
func (s *Stack) Env() []string {
	return []string{
		"BUILDKIT_HOST=" + s.BuildkitAddr,
		"DOCKER_CONFIG=" + s.DockerConfig,
		"BUILDX_BUILDER=" + s.Builder,
		"HARDENED_REGISTRY=" + s.Registry,
	}
}

// Buildctl is buildctl talking to the stack's buildkitd.
func (s *Stack) Buildctl(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, s.BuildctlBin, args...)
	cmd.Env = append(os.Environ(), s.Env()...)
	return cmd
}

// Buildx is "docker buildx ARGS" when the docker CLI is on PATH (the plugin is in the stack's DOCKER_CONFIG),
// else the standalone docker-buildx binary; either way it uses the "hardened" builder.
func (s *Stack) Buildx(ctx context.Context, args ...string) *exec.Cmd {
	return s.buildxCommand(ctx, true, args...)
}

func (s *Stack) buildxCommand(ctx context.Context, withBuilder bool, args ...string) *exec.Cmd {
	var cmd *exec.Cmd
	if docker, err := exec.LookPath("docker"); err == nil {
		cmd = exec.CommandContext(ctx, docker, append([]string{"buildx"}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, s.BuildxBin, args...)
	}
	env := []string{"DOCKER_CONFIG=" + s.DockerConfig}
	if withBuilder {
		env = append(env, "BUILDX_BUILDER="+s.Builder)
	}
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

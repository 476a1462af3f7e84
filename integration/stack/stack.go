package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// BuilderName is the buildx builder the stack creates (in its own DOCKER_CONFIG).
const BuilderName = "hardened"

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
	// MavenRepo is the URL of the Maven repository the stack serves (Debian's maven-repo artifacts), which
	// MavenUser and MavenPassword reach.
	MavenRepo     string `json:"maven_repo"`
	MavenPassword string `json:"maven_password"`

	log *logWriter
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
		bins      toolPaths
		images    map[string]v1.ImageIndex
		mavenRepo string
	)
	eg, egctx := errgroup.WithContext(ctx)
	eg.Go(func() (err error) { bins, err = ensureTools(egctx, o.RepoRoot, o.CacheDir, log); return err })
	eg.Go(func() (err error) { images, mavenRepo, err = buildStandIns(egctx, o.CacheDir, log); return err })
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	if err := linkMavenRepo(o.StateDir, mavenRepo); err != nil {
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
	s.setMaven(st)
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

// buildStandIns returns every stand-in image by real reference, building those the cache lacks, and the
// directory of the Maven repository the stack serves, made from Debian packages as the stand-ins are.
func buildStandIns(ctx context.Context, cacheDir string, log *logWriter) (map[string]v1.ImageIndex, string, error) {
	g, err := hostGoToolchain(ctx)
	if err != nil {
		return nil, "", err
	}
	r, err := findHostRust(ctx)
	if err != nil {
		return nil, "", err
	}
	b := newBuilder(cacheDir, log)
	defer b.close()
	out := map[string]v1.ImageIndex{}
	var mu sync.Mutex
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(standInWorkers)
	var mavenRepo string
	eg.Go(func() (err error) { mavenRepo, err = b.mavenRepo(ctx); return err })
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
		return nil, "", err
	}
	return out, mavenRepo, nil
}

// setMaven records where the serve of st has the Maven repository, and its password.
func (s *Stack) setMaven(st serveState) {
	s.MavenRepo, s.MavenPassword = "http://"+st.Registry+mavenRepoPath, st.MavenPassword
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

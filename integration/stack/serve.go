package stack

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

// ServeOptions configures Serve.
type ServeOptions struct {
	StateDir  string
	Buildkitd string
	// PortHint is the registry port to try first (the previous run's), so references pushed earlier stay valid.
	PortHint int
}

// serveState is what a running Serve writes to STATE/serve.json once the registry listens and buildkitd started.
type serveState struct {
	PID          int    `json:"pid"`
	Registry     string `json:"registry"`
	BuildkitdPID int    `json:"buildkitd_pid"`
	// MavenPassword is MavenUser's password for the Maven repository at mavenRepoPath.
	MavenPassword string `json:"maven_password"`
}

// defaultRegistryPort is tried after the previous run's port; any free port is taken when both are busy.
const defaultRegistryPort = 5000

// Serve runs the registry in-process and buildkitd as a child until ctx ends or buildkitd exits; it is what
// "stack serve" (started detached by Up) does. buildkitd is stopped with it.
func Serve(ctx context.Context, o ServeOptions) error {
	p := statePaths(o.StateDir)
	ln, err := listenRegistry(o.PortHint)
	if err != nil {
		return err
	}
	defer ln.Close()
	addr := ln.Addr().String()
	log.Printf("registry listening on %s", addr)

	if err := os.MkdirAll(p.blobs, 0o755); err != nil {
		return err
	}
	regLog, err := os.Create(p.registryLog)
	if err != nil {
		return err
	}
	defer regLog.Close()
	reg := registry.New(
		registry.WithBlobHandler(registry.NewDiskBlobHandler(p.blobs)),
		registry.Logger(log.New(regLog, "", log.LstdFlags)),
	)
	j := &journal{file: p.journal}
	if n, err := j.replay(reg); err != nil {
		log.Printf("replaying the manifest journal: %v", err)
	} else {
		log.Printf("replayed %d manifests from %s", n, p.journal)
	}
	password, err := newMavenPassword()
	if err != nil {
		return err
	}
	handler := mavenRepoHandler(p.mavenRepo, password, rangedBlobs(p.blobs, j.wrap(reg)))
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: time.Minute}
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()
	defer srv.Close()

	if err := os.WriteFile(p.buildkitdToml, BuildkitdConfig(addr), 0o644); err != nil {
		return err
	}
	os.Remove(p.socket)
	bkLog, err := os.Create(p.buildkitdLog)
	if err != nil {
		return err
	}
	defer bkLog.Close()
	// Pdeathsig is tied to the thread that starts the child: keep this goroutine on its thread so buildkitd gets
	// SIGTERM if serve dies without cleaning up.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	bk := exec.Command(o.Buildkitd,
		"--root", p.buildkitdRoot,
		"--addr", "unix://"+p.socket,
		"--oci-worker=true", "--containerd-worker=false",
		"--config", p.buildkitdToml)
	bk.Stdout, bk.Stderr = bkLog, bkLog
	bk.Env = withSbinPath(os.Environ())
	bk.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := bk.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", o.Buildkitd, err)
	}
	log.Printf("buildkitd started (pid %d), logging to %s", bk.Process.Pid, p.buildkitdLog)
	bkDone := make(chan error, 1)
	go func() { bkDone <- bk.Wait() }()

	st, _ := json.MarshalIndent(serveState{PID: os.Getpid(), Registry: addr, BuildkitdPID: bk.Process.Pid, MavenPassword: password}, "", "  ")
	if _, err := writeFileChanged(p.serveJSON, st); err != nil {
		return err
	}
	defer os.Remove(p.serveJSON)

	select {
	case err := <-bkDone:
		return fmt.Errorf("buildkitd exited: %v\n%s", err, tailFile(p.buildkitdLog, 20))
	case err := <-srvErr:
		stopProcess(bk.Process, bkDone)
		return fmt.Errorf("registry: %w", err)
	case <-ctx.Done():
		log.Printf("stopping buildkitd")
		stopProcess(bk.Process, bkDone)
		log.Printf("stopped")
		return nil
	}
}

// blobPath matches a blob GET: /v2/<name>/blobs/sha256:<hex>.
var blobPath = regexp.MustCompile(`^/v2/.+/blobs/sha256:([a-f0-9]{64})$`)

// rangedBlobs answers blob GETs that carry a Range header from the disk blob store, as real registries do: a
// client resuming a pull that broke off asks for "bytes=N-", which ggcr's registry refuses (416). Everything
// else goes to next.
func rangedBlobs(dir string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := blobPath.FindStringSubmatch(r.URL.Path)
		if m == nil || r.Header.Get("Range") == "" || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			next.ServeHTTP(w, r)
			return
		}
		f, err := os.Open(filepath.Join(dir, "sha256", m[1]))
		if err != nil {
			next.ServeHTTP(w, r) // not on disk: the registry says so in its own words
			return
		}
		defer f.Close()
		w.Header().Set("Docker-Content-Digest", "sha256:"+m[1])
		w.Header().Set("Content-Type", "application/octet-stream")
		http.ServeContent(w, r, "", time.Time{}, f)
	})
}

// stopProcess sends SIGTERM, then SIGKILL if the process is still running 30 seconds later.
func stopProcess(p *os.Process, done <-chan error) {
	p.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		p.Kill()
		<-done
	}
}

func listenRegistry(hint int) (net.Listener, error) {
	for _, port := range []int{hint, defaultRegistryPort} {
		if port <= 0 {
			continue
		}
		if ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			return ln, nil
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("registry: no free port on 127.0.0.1: %w", err)
	}
	return ln, nil
}

// mirroredRegistries are the public registries BuildKit resolves through the local registry.
var mirroredRegistries = []string{"docker.io", "gcr.io", "ghcr.io"}

// BuildkitdConfig marks the local registry as plain HTTP and makes it the mirror of the public registries, so the
// project's real image references resolve to the stand-ins with no special code path.
func BuildkitdConfig(registry string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by hardened's stack; rewritten on every start.\n\n")
	fmt.Fprintf(&b, "[worker.oci]\n  enabled = true\n\n[worker.containerd]\n  enabled = false\n\n")
	fmt.Fprintf(&b, "[registry.%q]\n  http = true\n  insecure = true\n\n", registry)
	for _, r := range mirroredRegistries {
		fmt.Fprintf(&b, "[registry.%q]\n  mirrors = [%q]\n\n", r, registry)
	}
	return []byte(b.String())
}

// withSbinPath makes sure runc (in /usr/sbin on Debian) is on PATH.
func withSbinPath(env []string) []string {
	const sbin = "/usr/local/sbin:/usr/sbin:/sbin"
	for i, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			env[i] = "PATH=" + v + ":" + sbin
			return env
		}
	}
	return append(env, "PATH=/usr/local/bin:/usr/bin:/bin:"+sbin)
}

// journal keeps the registry's manifests across restarts: ggcr's registry holds manifests in memory (blobs are on
// disk), so every successful manifest PUT or DELETE is appended to a file and replayed on the next start.
type journal struct {
	file string
	mu   sync.Mutex
}

type journalRecord struct {
	Op   string `json:"op"`
	Repo string `json:"repo"`
	Ref  string `json:"ref"`
	Type string `json:"type,omitempty"`
	Body []byte `json:"body,omitempty"`
}

// manifestPath splits "/v2/<repo>/manifests/<ref>".
func manifestPath(p string) (repo, ref string, ok bool) {
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		return "", "", false
	}
	i := strings.LastIndex(rest, "/manifests/")
	if i <= 0 {
		return "", "", false
	}
	return rest[:i], rest[i+len("/manifests/"):], true
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (j *journal) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		repo, ref, ok := manifestPath(r.URL.Path)
		if !ok || (r.Method != http.MethodPut && r.Method != http.MethodDelete) {
			h.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		if rec.status/100 != 2 {
			return
		}
		entry := journalRecord{Op: "put", Repo: repo, Ref: ref, Type: r.Header.Get("Content-Type"), Body: body}
		if r.Method == http.MethodDelete {
			entry = journalRecord{Op: "delete", Repo: repo, Ref: ref}
		}
		if err := j.append(entry); err != nil {
			log.Printf("manifest journal: %v", err)
		}
	})
}

func (j *journal) append(e journalRecord) error {
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	f, err := os.OpenFile(j.file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(append(line, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// replay feeds the journal to a fresh registry, then rewrites it compacted: tags keep their last manifest,
// digests their first record (their content never changes), deleted references disappear, order is kept so that
// an index still follows the manifests it lists.
func (j *journal) replay(reg http.Handler) (int, error) {
	f, err := os.Open(j.file)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var records []journalRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e journalRecord
		if json.Unmarshal(sc.Bytes(), &e) == nil {
			records = append(records, e)
		}
	}
	f.Close()
	if err := sc.Err(); err != nil {
		return 0, err
	}
	keep := make([]bool, len(records))
	last := map[string]int{}
	for i, e := range records {
		k := e.Repo + "\x00" + e.Ref
		prev, seen := last[k]
		switch {
		case e.Op == "delete":
			if seen {
				keep[prev] = false
			}
			delete(last, k)
		case strings.HasPrefix(e.Ref, "sha256:") && seen:
		default:
			if seen {
				keep[prev] = false
			}
			keep[i] = true
			last[k] = i
		}
	}
	var out bytes.Buffer
	n := 0
	for i, e := range records {
		if !keep[i] {
			continue
		}
		req := httptest.NewRequest(http.MethodPut, "/v2/"+e.Repo+"/manifests/"+e.Ref, bytes.NewReader(e.Body))
		req.Header.Set("Content-Type", e.Type)
		rec := httptest.NewRecorder()
		reg.ServeHTTP(rec, req)
		if rec.Code/100 != 2 {
			log.Printf("replaying %s:%s: HTTP %d %s", e.Repo, e.Ref, rec.Code, strings.TrimSpace(rec.Body.String()))
			continue
		}
		line, _ := json.Marshal(e)
		out.Write(append(line, '\n'))
		n++
	}
	tmp := j.file + ".tmp"
	if err := os.WriteFile(tmp, out.Bytes(), 0o644); err != nil {
		return n, err
	}
	return n, os.Rename(tmp, j.file)
}

// paths are the files of a state directory.
type paths struct {
	dir, stackJSON, serveJSON, serveLog, upLock        string
	socket, buildkitdRoot, buildkitdToml, buildkitdLog string
	blobs, journal, registryLog, dockerConfig          string
	mavenRepo                                          string
}

func statePaths(dir string) paths {
	return paths{
		dir:           dir,
		stackJSON:     filepath.Join(dir, "stack.json"),
		serveJSON:     filepath.Join(dir, "serve.json"),
		serveLog:      filepath.Join(dir, "serve.log"),
		upLock:        filepath.Join(dir, "up.lock"),
		socket:        filepath.Join(dir, "buildkitd.sock"),
		buildkitdRoot: filepath.Join(dir, "buildkitd"),
		buildkitdToml: filepath.Join(dir, "buildkitd.toml"),
		buildkitdLog:  filepath.Join(dir, "buildkitd.log"),
		blobs:         filepath.Join(dir, "registry", "blobs"),
		journal:       filepath.Join(dir, "registry", "manifests.jsonl"),
		registryLog:   filepath.Join(dir, "registry.log"),
		dockerConfig:  filepath.Join(dir, "docker"),
		mavenRepo:     filepath.Join(dir, "maven-repo"),
	}
}

package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

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
	if err := checkMavenRepo(client, st.Registry); err != nil {
		return st, err
	}
	s.PID, s.Registry = st.PID, st.Registry
	s.setMaven(st)
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

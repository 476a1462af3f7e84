package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

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

package tool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// RunTestCommand is the tool that starts the image's entrypoint and probes it (`tool run-test`).
const RunTestCommand = "run-test"

// Bounds of the app's output the result keeps: enough for a loader's or a runtime's last words.
const (
	tailLines = 20
	tailBytes = 4096
)

// Kinds of failure, for the frontend's hint.
const (
	TestStart   = "start"   // the entrypoint could not be started
	TestExited  = "exited"  // it exited before answering, or with a non-zero code
	TestTimeout = "timeout" // it neither answered nor exited in time
	TestStatus  = "status"  // it answered, never with 2xx
)

// TestResult is what the supervisor found; Millis is how long the app ran.
type TestResult struct {
	Passed  bool     `json:"passed"`
	Ran     string   `json:"ran"`
	Kind    string   `json:"kind,omitempty"`
	Problem string   `json:"problem,omitempty"`
	Millis  int64    `json:"millis"`
	Output  []string `json:"output,omitempty"`
}

// testConfig is what run-test is told on its command line.
type testConfig struct {
	uid, gid int
	port     int
	path     string
	timeout  time.Duration
	argv     []string
}

// runTestCmd runs `run-test --user UID:GID --timeout D [--port N --path P] RESULT -- ARGV...`: it drops what
// the app must not have, runs the test and writes the result file.
func runTestCmd(args []string) error {
	cfg, out, err := parseTestArgs(args)
	if err != nil {
		return err
	}
	var res Result
	if err := dropPrivileges(); err != nil {
		res.Error = err.Error()
	} else {
		res.Test = runTest(context.Background(), cfg)
	}
	dt, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return os.WriteFile(out, dt, 0o600)
}

func parseTestArgs(args []string) (cfg testConfig, out string, err error) {
	fl := flag.NewFlagSet(RunTestCommand, flag.ContinueOnError)
	user := fl.String("user", "", "UID:GID the app runs as")
	fl.IntVar(&cfg.port, "port", 0, "the port probed (http test)")
	fl.StringVar(&cfg.path, "path", "/", "the path requested (http test)")
	fl.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "how long the app has")
	if err := fl.Parse(args); err != nil {
		return cfg, "", err
	}
	rest := fl.Args()
	if len(rest) > 1 && rest[1] == "--" { // flag stops at the result file, before the separator
		rest = append(rest[:1], rest[2:]...)
	}
	if len(rest) < 2 {
		return cfg, "", fmt.Errorf("run-test: want a result file and the command after --, got %q", fl.Args())
	}
	cfg.argv = rest[1:]
	u, g, ok := strings.Cut(*user, ":")
	var err1, err2 error
	cfg.uid, err1 = strconv.Atoi(u)
	cfg.gid, err2 = strconv.Atoi(g)
	if !ok || err1 != nil || err2 != nil || cfg.uid <= 0 {
		return cfg, "", fmt.Errorf("run-test: --user %q is not a non-root UID:GID", *user)
	}
	return cfg, rest[0], nil
}

// dropPrivileges sets no_new_privs and empties the capability bounding set on every thread, so the app,
// started under its own uid, holds no capability and can gain none (a setuid or file-capability binary).
func dropPrivileges() error {
	if os.Getuid() != 0 {
		return nil // started as the app's user, the tool has nothing to drop (unit tests)
	}
	const prSetNoNewPrivs, prCapbsetDrop = 38, 24
	if _, _, e := syscall.AllThreadsSyscall(syscall.SYS_PRCTL, prSetNoNewPrivs, 1, 0); e != 0 {
		return fmt.Errorf("run-test: setting no_new_privs: %w", e)
	}
	for c := uintptr(0); c < 64; c++ {
		_, _, e := syscall.AllThreadsSyscall(syscall.SYS_PRCTL, prCapbsetDrop, c, 0)
		if e != 0 && e != syscall.EINVAL { // EINVAL: past the kernel's last capability
			return fmt.Errorf("run-test: dropping capability %d: %w", c, e)
		}
	}
	return nil
}

// runTest starts the app as cfg's user in its own process group, probes it or waits for its exit,
// then stops it.
func runTest(ctx context.Context, cfg testConfig) *TestResult {
	res := &TestResult{Ran: describeTest(cfg)}
	out := &tailWriter{}
	cmd := exec.Command(cfg.argv[0], cfg.argv[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if os.Getuid() == 0 {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(cfg.uid), Gid: uint32(cfg.gid), Groups: []uint32{}}
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		res.Kind, res.Problem = TestStart, fmt.Sprintf("could not start %s: %v", cfg.argv[0], unwrapExec(err))
		return res
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waitErr, done := supervise(ctx, cfg, exited, res)
	res.Millis = time.Since(start).Milliseconds()
	if !done {
		waitErr = stop(cmd.Process.Pid, exited)
	}
	if res.Problem == "" && cfg.port == 0 {
		res.Passed = waitErr == nil
		if waitErr != nil {
			res.Kind, res.Problem = TestExited, "it "+exitText(waitErr)
		}
	}
	res.Output = out.lines()
	return res
}

// supervise waits for what decides the test; done says the app has exited (waitErr is its end).
func supervise(ctx context.Context, cfg testConfig, exited chan error, res *TestResult) (waitErr error, done bool) {
	timer := time.NewTimer(cfg.timeout)
	defer timer.Stop()
	if cfg.port == 0 {
		select {
		case err := <-exited:
			return err, true
		case <-timer.C:
			res.Kind, res.Problem = TestTimeout, fmt.Sprintf("it did not exit within %v", cfg.timeout)
			return nil, false
		}
	}
	url := fmt.Sprintf("http://127.0.0.1:%d%s", cfg.port, cfg.path)
	client := &http.Client{
		Timeout:       time.Second,
		Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true}, // loopback, whatever *_PROXY says
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	last := ""
	// Refused connections on loopback cost nothing: a short tick finds a fast app ready (a Go server
	// listens within milliseconds) without waiting most of a longer one, which every build would pay.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if code, err := probe(ctx, client, url); err == nil {
			if code >= 200 && code < 300 {
				res.Passed = true
				return nil, false
			}
			if last == "" {
				tick.Reset(200 * time.Millisecond) // it answers: no need to ask 50 times a second
			}
			last = fmt.Sprintf("HTTP %d", code)
		}
		select {
		case err := <-exited:
			res.Kind, res.Problem = TestExited, fmt.Sprintf("it %s before GET %s answered 2xx", exitText(err), url)
			return err, true
		case <-timer.C:
			res.Kind, res.Problem = TestTimeout, fmt.Sprintf("GET %s got no answer within %v", url, cfg.timeout)
			if last != "" {
				res.Kind, res.Problem = TestStatus, fmt.Sprintf("GET %s answered %s, not 2xx, until the timeout (%v)", url, last, cfg.timeout)
			}
			return nil, false
		case <-tick.C:
		}
	}
}

func probe(ctx context.Context, c *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// stop ends the app's process group: SIGTERM, then SIGKILL after two seconds.
func stop(pid int, exited chan error) error {
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case err := <-exited:
		return err
	case <-time.After(2 * time.Second):
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	return <-exited
}

func describeTest(cfg testConfig) string {
	q := make([]string, len(cfg.argv))
	for i, a := range cfg.argv {
		q[i] = strconv.Quote(a)
	}
	what := fmt.Sprintf("[%s] as %d:%d", strings.Join(q, ", "), cfg.uid, cfg.gid)
	if cfg.port != 0 {
		return fmt.Sprintf("%s, GET http://127.0.0.1:%d%s", what, cfg.port, cfg.path)
	}
	return what + ", until it exits"
}

func exitText(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "was killed by signal " + ws.Signal().String()
		}
		return fmt.Sprintf("exited with code %d", ee.ExitCode())
	}
	if err == nil {
		return "exited with code 0"
	}
	return "ended: " + err.Error()
}

// unwrapExec drops os/exec's "fork/exec PATH:" prefix; the message names the path itself.
func unwrapExec(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// tailWriter keeps the end of the app's output, bounded whatever the app prints.
type tailWriter struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - 4*tailBytes; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// lines is the last tailLines lines of at most tailBytes bytes, as valid UTF-8.
func (t *tailWriter) lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := bytes.TrimRight(t.buf, "\n")
	if len(b) > tailBytes {
		b = b[len(b)-tailBytes:]
	}
	ls := strings.Split(strings.ToValidUTF8(string(b), "\uFFFD"), "\n")
	if len(ls) > tailLines {
		ls = ls[len(ls)-tailLines:]
	}
	if len(ls) == 1 && ls[0] == "" {
		return nil
	}
	return ls
}

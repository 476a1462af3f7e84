package tool

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/audit"
	hllb "github.com/hardenedbuild/hardened/llb"
)

// Command is the first argument that runs the frontend binary as a tool inside a build step.
const Command = "tool"

// Binary is where the frontend's own image keeps the binary that the tool steps run: /bin for
// frontend.Dockerfile's image, /app for the one the root hardened.yaml builds. UseRunningBinary sets it.
var Binary = "/bin/hardened-frontend"

// UseRunningBinary points the tool steps at the path the running frontend was started from: the
// steps run the same image, so the binary is at the same path there, whichever recipe built it.
func UseRunningBinary(executable func() (string, error)) {
	if exe, err := executable(); err == nil && filepath.IsAbs(exe) {
		Binary = exe
	}
}

// ResultFile is the file a tool step writes in its output mount.
const ResultFile = "result.json"

// Where a step mounts the tree checked, the tool's input and its output.
const (
	treeDir = "/tree"
	inDir   = "/in"
	outDir  = "/out"
)

// Result is what a tool step writes; Error is a failure of the tool itself (a tree it could not read).
type Result struct {
	// Stripped lists the paths whose setuid/setgid bits the step cleared (verify --strip).
	Stripped []string `json:"stripped,omitempty"`
	// Special lists the tree's setuid/setgid paths (special).
	Special    []hllb.SpecialFile `json:"special,omitempty"`
	Violations []audit.Violation  `json:"violations,omitempty"`
	Report     json.RawMessage    `json:"report,omitempty"`
	// Test is what run-test found.
	Test  *TestResult `json:"test,omitempty"`
	Error string      `json:"error,omitempty"`
}

// Run runs `hardened-frontend tool verify|special|app ...` (args without "tool"). It writes its result file and
// returns an error only when it cannot write one.
func Run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("tool: name verify, special, app or run-test")
	}
	if args[0] == RunTestCommand {
		return runTestCmd(args[1:])
	}
	fl := flag.NewFlagSet(args[0], flag.ContinueOnError)
	config := fl.String("config", "", "the image config (verify)")
	epoch := fl.String("report-epoch", "", "also write the check report, stamped with this RFC 3339 time (verify)")
	strip := fl.Bool("strip", false, "first clear the setuid/setgid bits of every file in the tree (verify)")
	var secretFiles, secretVars listFlag
	fl.Var(&secretFiles, "secret", "ID=PATH: a build secret mounted at PATH, searched for in the tree (app)")
	fl.Var(&secretVars, "secret-env", "ID=VAR: a build secret in the variable VAR, searched for in the tree (app)")
	if err := fl.Parse(args[1:]); err != nil {
		return err
	}
	if fl.NArg() != 2 {
		return fmt.Errorf("tool %s: want a tree and a result file, got %q", args[0], fl.Args())
	}
	tree, out := audit.DirFS(fl.Arg(0)), fl.Arg(1)
	ctx := context.Background()
	var res Result
	var err error
	switch args[0] {
	case "verify":
		if *strip {
			res.Stripped, err = stripTree(ctx, tree, fl.Arg(0))
		}
		if err == nil {
			err = verifyTree(ctx, tree, *config, *epoch, &res)
		}
	case "special":
		res.Special, err = SpecialFiles(ctx, tree)
	case "app":
		res.Violations, err = runApp(ctx, fl.Arg(0), secretFiles, secretVars)
	default:
		return fmt.Errorf("tool: no tool %q (verify, special, app)", args[0])
	}
	if err != nil {
		res = Result{Error: err.Error()}
	}
	dt, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return os.WriteFile(out, dt, 0o644)
}

// SpecialFiles lists a tree's setuid/setgid paths: the special tool's answer, and how the frontend without its
// own image reads the base through the gateway, to strip them in the conversion.
func SpecialFiles(ctx context.Context, tree audit.FS) ([]hllb.SpecialFile, error) {
	entries, err := audit.SpecialFiles(ctx, tree)
	if err != nil {
		return nil, err
	}
	out := make([]hllb.SpecialFile, 0, len(entries))
	for _, e := range entries {
		out = append(out, hllb.SpecialFile{Path: e.Path, Dir: e.Mode.IsDir()})
	}
	return out, nil
}

// stripTree clears the setuid and setgid bits of every file and directory of the tree at dir and lists the
// paths it changed. The walk does not follow symlinks, and a symlink's own mode carries neither bit, so every
// path it changes is a real file of the tree.
func stripTree(ctx context.Context, tree audit.FS, dir string) ([]string, error) {
	entries, err := audit.SpecialFiles(ctx, tree)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		mode := e.Mode & (os.ModePerm | os.ModeSticky) // every bit but setuid and setgid
		if err := os.Chmod(filepath.Join(dir, filepath.FromSlash(e.Path)), mode); err != nil {
			return nil, fmt.Errorf("clearing the setuid/setgid bits of %s: %w", e.Path, err)
		}
		out = append(out, e.Path)
	}
	return out, nil
}

func verifyTree(ctx context.Context, tree audit.FS, configFile, epoch string, res *Result) error {
	dt, err := os.ReadFile(configFile)
	if err != nil {
		return err
	}
	var img dockerspec.DockerOCIImage
	if err := json.Unmarshal(dt, &img); err != nil {
		return fmt.Errorf("%s: %w", configFile, err)
	}
	if err := audit.Verify(ctx, tree, &img); err != nil {
		ve, ok := err.(*audit.VerifyError)
		if !ok {
			return err
		}
		res.Violations = ve.Violations
	}
	if epoch == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, epoch)
	if err != nil {
		return err
	}
	res.Report, err = audit.ReportJSON(ctx, tree, &img, nil, audit.WithTime(t), audit.NoGate())
	return err
}

// ReadResult parses what a tool step wrote; the tool's own failure comes back as the error.
func ReadResult(dt []byte) (*Result, error) {
	var res Result
	if err := json.Unmarshal(dt, &res); err != nil {
		return nil, fmt.Errorf("the check step wrote %q: %w", truncate(dt, 200), err)
	}
	if res.Error != "" {
		return nil, fmt.Errorf("%s", res.Error)
	}
	return &res, nil
}

func truncate(dt []byte, n int) string {
	if len(dt) > n {
		return string(dt[:n]) + "..."
	}
	return string(dt)
}

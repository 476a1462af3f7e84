package frontend

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/distribution/reference"
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/audit"
	hllb "github.com/hardenedbuild/hardened/llb"
)

// The self-check holds the image to its guarantees (audit.Guarantees: no setuid/setgid file, a non-root
// user, an exec-form entrypoint that is in the image) without a container start on every build:
//
//   - the base's setuid/setgid files are listed by a build step of the frontend's own image with the base
//     mounted read-only and no network (`tool special`). BuildKit caches that step by the two images'
//     digests, so it runs once per base, while the builder works, and a rebuild reads one small file. The
//     files it lists are copied onto themselves without the bits in one layer on top of the image
//     (llb.StripSetuid), so the base's own layers stay the original image's;
//   - what the build adds on the base is proven free of the bits from the final stage's definition
//     (llb.AddsNoSetuid: file operations only, every copy clearing the bits);
//   - the config guarantees are checked on the result through the gateway, reading only the directories
//     on the entrypoint's and /etc/passwd's paths (audit.VerifyConfig).
//
// When the proof does not hold (a definition it does not know), or when the build writes the check report
// (an attestation, which covers every check on every file), a step of the frontend's own image walks the
// whole built tree instead (`tool verify`): it clears every bit it finds, checks the guarantees on what is
// left and writes what it found; the image shipped is then the tree it left. Without its own image (no
// "source" option, or it does not resolve) the frontend reads the base and the result through the gateway.

// ToolCommand is the first argument that runs the frontend binary as a tool inside a build step.
const ToolCommand = "tool"

const (
	toolBinary = "/bin/hardened-frontend" // where the frontend image (Dockerfile) keeps the binary
	toolTree   = "/tree"
	toolIn     = "/in"
	toolOut    = "/out"
	toolResult = "result.json"
)

// toolResultData is what a tool step writes; Error is a failure of the tool itself (a tree it could not read).
type toolResultData struct {
	// Stripped lists the paths whose setuid/setgid bits the step cleared (verify --strip).
	Stripped []string `json:"stripped,omitempty"`
	// Special lists the tree's setuid/setgid paths (special).
	Special    []hllb.SpecialFile `json:"special,omitempty"`
	Violations []audit.Violation  `json:"violations,omitempty"`
	Report     json.RawMessage    `json:"report,omitempty"`
	Error      string             `json:"error,omitempty"`
}

// RunTool runs `hardened-frontend tool verify|special ...` (args without "tool"). It writes its result file and
// returns an error only when it cannot write one.
func RunTool(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("tool: name verify or special")
	}
	fl := flag.NewFlagSet(args[0], flag.ContinueOnError)
	config := fl.String("config", "", "the image config (verify)")
	epoch := fl.String("report-epoch", "", "also write the check report, stamped with this RFC 3339 time (verify)")
	strip := fl.Bool("strip", false, "first clear the setuid/setgid bits of every file in the tree (verify)")
	if err := fl.Parse(args[1:]); err != nil {
		return err
	}
	if fl.NArg() != 2 {
		return fmt.Errorf("tool %s: want a tree and a result file, got %q", args[0], fl.Args())
	}
	tree, out := audit.DirFS(fl.Arg(0)), fl.Arg(1)
	ctx := context.Background()
	var res toolResultData
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
		res.Special, err = scanTree(ctx, tree)
	default:
		return fmt.Errorf("tool: no tool %q (verify, special)", args[0])
	}
	if err != nil {
		res = toolResultData{Error: err.Error()}
	}
	dt, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return os.WriteFile(out, dt, 0o644)
}

// scanTree lists a tree's setuid/setgid paths: the special tool's answer, and how the frontend without its
// own image reads the base through the gateway, to strip them in the conversion.
func scanTree(ctx context.Context, tree audit.FS) ([]hllb.SpecialFile, error) {
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

func verifyTree(ctx context.Context, tree audit.FS, configFile, epoch string, res *toolResultData) error {
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

// currentFrontend is what a gateway client says of the image it runs from: grpcclient reads the definition
// BuildKit solved to start the frontend (mounted into its container), nil when there is none.
type currentFrontend interface {
	CurrentFrontend() (*bkllb.State, error)
}

// selfImage is the frontend's own image pinned by digest, for the tool steps; nil when the build does not say
// which image runs it. It is the image BuildKit started the frontend from, as BuildKit solved it (no round trip,
// and the very image that runs, even if its tag has moved since), else the source option's tag resolved on the
// build platform.
func selfImage(ctx context.Context, c gwclient.Client, buildPlatform ocispecs.Platform) *bkllb.State {
	if cf, ok := c.(currentFrontend); ok {
		if st, err := cf.CurrentFrontend(); err == nil && st != nil {
			return st
		}
	}
	source := c.BuildOpts().Opts["source"]
	if source == "" {
		return nil
	}
	named, err := reference.ParseNormalizedNamed(source)
	if err != nil {
		return nil
	}
	ref := reference.TagNameOnly(named).String()
	_, dgst, _, err := c.ResolveImageConfig(ctx, ref, sourceresolver.Opt{
		ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &buildPlatform},
	})
	if err != nil || dgst == "" {
		return nil
	}
	st := bkllb.Image(pin(ref, dgst), bkllb.Platform(buildPlatform), bkllb.WithCustomName("[internal] the frontend image, for its checks"))
	return &st
}

// verifyStep clears the setuid/setgid bits of the built tree, checks the image's guarantees on the result (and
// writes the check report when epoch is set). It returns the state holding the result file and the tree as
// the step left it, which is the image to ship when the step cleared a bit (the result file lists the paths).
func verifyStep(self, final bkllb.State, img *dockerspec.DockerOCIImage, epoch *time.Time, opts ...bkllb.RunOption) (result, stripped bkllb.State, err error) {
	cfg, err := json.Marshal(img)
	if err != nil {
		return bkllb.State{}, bkllb.State{}, err
	}
	in := bkllb.Scratch().File(bkllb.Mkfile("config.json", 0o644, cfg), bkllb.WithCustomName("[internal] the image config, for the self-check"))
	argv := []string{toolBinary, ToolCommand, "verify", "--strip", "--config", filepath.Join(toolIn, "config.json")}
	name := "clear setuid/setgid bits, then verify the image's guarantees (none left, non-root user, exec-form entrypoint)"
	if epoch != nil {
		argv = append(argv, "--report-epoch", epoch.UTC().Format(time.RFC3339Nano))
		name += " and write the check report"
	}
	argv = append(argv, toolTree, filepath.Join(toolOut, toolResult))
	ro := []bkllb.RunOption{
		bkllb.Args(argv),
		// Keyed by the tree's cache key (its definition and inputs), not by hashing every file it holds: a
		// content hash of a whole image costs more than the check itself.
		bkllb.AddMount(toolTree, final, bkllb.ContentCache(bkllb.MountContentCacheOff)),
		bkllb.AddMount(toolIn, in, bkllb.Readonly, bkllb.ContentCache(bkllb.MountContentCacheOff)),
		bkllb.ReadonlyRootFS(),
		bkllb.Network(bkllb.NetModeNone),
		bkllb.User("0:0"), // reads every file of the tree and may change any one's mode, whoever owns it
		bkllb.Dir("/"),
		bkllb.WithCustomName(name),
	}
	run := self.Run(append(ro, opts...)...)
	return run.AddMount(toolOut, bkllb.Scratch()), run.GetMount(toolTree), nil
}

// specialStep lists the setuid/setgid files of base: the frontend's own image with the base mounted
// read-only, no network and a read-only root. It returns the state holding the result file.
func specialStep(self, base bkllb.State, opts ...bkllb.RunOption) bkllb.State {
	ro := []bkllb.RunOption{
		bkllb.Args([]string{toolBinary, ToolCommand, "special", toolTree, filepath.Join(toolOut, toolResult)}),
		bkllb.AddMount(toolTree, base, bkllb.Readonly, bkllb.ContentCache(bkllb.MountContentCacheOff)),
		bkllb.ReadonlyRootFS(),
		bkllb.Network(bkllb.NetModeNone),
		bkllb.User("0:0"), // reads every directory of the base, whoever owns it
		bkllb.Dir("/"),
		bkllb.WithCustomName("list the base's setuid/setgid files (cleared on top of the image)"),
	}
	return self.Run(append(ro, opts...)...).AddMount(toolOut, bkllb.Scratch())
}

// listSpecial starts the base's special step now, on the build platform, and returns the wait for its
// answer; stop cancels the step if it is still running (the build failed before it needed the answer).
func (p *platformBuild) listSpecial(ctx context.Context, base bkllb.State) (wait func() ([]hllb.SpecialFile, error), stop func()) {
	wait, stop = background(ctx, func(ctx context.Context) ([]hllb.SpecialFile, error) {
		res, err := p.runTool(ctx, specialStep(*p.self(), base, p.locate("base")), p.buildPlatform)
		if err != nil {
			return nil, wrapf(err, "listing the base's setuid/setgid files")
		}
		return res.Special, nil
	})
	return wait, stop
}

// runTool solves a tool step on the build platform and reads its result.
func (p *platformBuild) runTool(ctx context.Context, st bkllb.State, buildPlatform ocispecs.Platform) (*toolResultData, error) {
	ref, err := p.solve(ctx, st, buildPlatform)
	if err != nil {
		return nil, err
	}
	dt, err := ref.ReadFile(ctx, gwclient.ReadRequest{Filename: toolResult})
	if err != nil {
		return nil, err
	}
	var res toolResultData
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

package frontend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/distribution/reference"
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/audit"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
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

// RunTool runs `hardened-frontend tool verify|special|app ...` (args without "tool"). It writes its result file and
// returns an error only when it cannot write one.
func RunTool(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("tool: name verify, special or app")
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
	case "app":
		res.Violations, err = runApp(ctx, fl.Arg(0), secretFiles, secretVars)
	default:
		return fmt.Errorf("tool: no tool %q (verify, special, app)", args[0])
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

// Checks of the app tool (`tool app`): what the final stage copies into /app, and the build's secrets.
const (
	checkAppFiles     = "HX-PRIV-APP-WRITABLE"
	checkBuildSecrets = "HX-SEC-CONTENT"
	// minSecretNeedle is the shortest secret value (or line of one) searched for; shorter ones match by chance.
	minSecretNeedle = 8
	// maxSecretValue bounds how much of a secret file is read.
	maxSecretValue = 1 << 20
	toolSecretDir  = "/run/hardened-secrets"
)

// appViolations walks dir (the image's /app) and names every entry that is not a root-owned
// regular file, directory or symlink without group/other write and setuid, setgid or sticky bits.
// The copies into /app normalise modes and owners (llb.AppMode); devices, FIFOs and sockets only
// this walk can refuse.
func appViolations(ctx context.Context, tree audit.FS, dir string) ([]audit.Violation, error) {
	if _, err := tree.Stat(ctx, dir); err != nil {
		return nil, nil // no /app: nothing copied there
	}
	var special, modes []string
	err := audit.Walk(ctx, tree, dir, func(e audit.Entry) error {
		switch t := e.Mode.Type(); {
		case t&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket|fs.ModeIrregular) != 0:
			special = append(special, fmt.Sprintf("%s (%s)", e.Path, fileKind(e.Mode)))
		case t == fs.ModeSymlink:
		case e.UID != 0 || e.GID != 0 || e.Mode.Perm()&0o022 != 0 || e.Mode&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0:
			modes = append(modes, fmt.Sprintf("%s (%v, owner %d:%d)", e.Path, e.Mode, e.UID, e.GID))
		}
		return nil
	})
	var out []audit.Violation
	if len(special) > 0 {
		out = append(out, audit.Violation{Check: checkAppFiles, Evidence: special,
			Message: fmt.Sprintf("%s holds %d device, FIFO or socket file(s); remove them in build.steps or the context (/app may hold only files, directories and symlinks)", dir, len(special))})
	}
	if len(modes) > 0 {
		out = append(out, audit.Violation{Check: checkAppFiles, Evidence: modes,
			Message: fmt.Sprintf("%d file(s) in %s are not root-owned 0644/0755", len(modes), dir)})
	}
	return out, err
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeSocket != 0:
		return "socket"
	}
	return "irregular file"
}

// secretNeedles are what a secret's value is searched by: the value, and each line of a
// multi-line one, trimmed, when at least minSecretNeedle long.
func secretNeedles(value []byte) [][]byte {
	var out [][]byte
	add := func(b []byte) {
		if b = bytes.TrimSpace(b); len(b) >= minSecretNeedle && !slices.ContainsFunc(out, func(o []byte) bool { return bytes.Equal(o, b) }) {
			out = append(out, b)
		}
	}
	add(value)
	if bytes.Contains(bytes.TrimSpace(value), []byte("\n")) {
		for _, l := range bytes.Split(value, []byte("\n")) {
			add(l)
		}
	}
	return out
}

// secretViolations searches every regular file under root for the secrets' values (id to value) and
// names, for each secret found, its id and the paths, never the value.
func secretViolations(ctx context.Context, root string, secrets map[string][]byte) ([]audit.Violation, error) {
	needles := map[string][][]byte{}
	longest := 0
	for id, v := range secrets {
		if n := secretNeedles(v); len(n) > 0 {
			needles[id] = n
			for _, x := range n {
				longest = max(longest, len(x))
			}
		}
	}
	if len(needles) == 0 {
		return nil, nil
	}
	found := map[string][]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		hits, err := searchFile(p, needles, longest)
		rel := "/" + filepath.ToSlash(strings.TrimPrefix(strings.TrimPrefix(p, root), "/"))
		for _, id := range hits {
			found[id] = append(found[id], rel)
		}
		return err
	})
	var out []audit.Violation
	for _, id := range slices.Sorted(maps.Keys(found)) {
		out = append(out, audit.Violation{Check: checkBuildSecrets, Evidence: found[id],
			Message: fmt.Sprintf("the value of build secret %q is in %d file(s) of the image: a build step wrote it there; write it nowhere under /out, /src or /hardened", id, len(found[id]))})
	}
	return out, err
}

// searchFile reads a file in bounded chunks, each with the tail of the one before so a value that
// straddles two is seen, and returns the ids of the secrets it holds.
func searchFile(p string, needles map[string][][]byte, longest int) ([]string, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, 0, 256<<10+longest)
	var hits []string
	for {
		n, rerr := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		for id, ns := range needles {
			if !slices.Contains(hits, id) && slices.ContainsFunc(ns, func(x []byte) bool { return bytes.Contains(buf, x) }) {
				hits = append(hits, id)
			}
		}
		if rerr == io.EOF {
			return hits, nil
		}
		if rerr != nil {
			return hits, rerr
		}
		if keep := longest - 1; len(buf) > keep {
			buf = append(buf[:0], buf[len(buf)-keep:]...)
		}
	}
}

// readSecrets reads the secrets the app step has mounted: ID=PATH files and ID=VAR variables; an
// optional secret the build did not pass is simply absent.
func readSecrets(files, vars []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, kv := range files {
		id, p, _ := strings.Cut(kv, "=")
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading build secret %q: %w", id, errors.Unwrap(err))
		}
		v, err := io.ReadAll(io.LimitReader(f, maxSecretValue))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading build secret %q failed", id)
		}
		out[id] = v
	}
	for _, kv := range vars {
		id, name, _ := strings.Cut(kv, "=")
		if v := os.Getenv(name); v != "" {
			out[id] = []byte(v)
		}
	}
	return out, nil
}

// runApp is the app tool: the /app walk and, with secrets, the search of every file for their values.
func runApp(ctx context.Context, dir string, secretFiles, secretVars []string) ([]audit.Violation, error) {
	vs, err := appViolations(ctx, audit.DirFS(dir), hllb.ArtifactDir)
	if err != nil {
		return nil, err
	}
	secrets, err := readSecrets(secretFiles, secretVars)
	if err != nil {
		return nil, err
	}
	sv, err := secretViolations(ctx, dir, secrets)
	return append(vs, sv...), err
}

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// appStep checks what the final stage holds in /app and, with build.secrets, that no secret's value is
// in any file of the image: a step of the frontend's own image with the image mounted read-only, no
// network, and the build's secrets mounted as they are on the builder's steps (the values stay in it).
func appStep(self, final bkllb.State, s *spec.Spec, opts ...bkllb.RunOption) bkllb.State {
	argv := []string{toolBinary, ToolCommand, "app"}
	var ro []bkllb.RunOption
	for i, sec := range s.Build.Secrets {
		var o []bkllb.SecretOption
		if sec.Optional {
			o = append(o, bkllb.SecretOptional)
		}
		if sec.Env != "" {
			name := fmt.Sprintf("HARDENED_SECRET_%d", i)
			argv = append(argv, "--secret-env", sec.ID+"="+name)
			ro = append(ro, bkllb.AddSecretWithDest(sec.ID, nil, append(o, bkllb.SecretAsEnvName(name))...))
			continue
		}
		p := fmt.Sprintf("%s/%d", toolSecretDir, i)
		argv = append(argv, "--secret", sec.ID+"="+p)
		ro = append(ro, bkllb.AddSecret(p, append(o, bkllb.SecretID(sec.ID), bkllb.SecretFileOpt(0, 0, 0o400))...))
	}
	name := "check " + hllb.ArtifactDir + ": only root-owned 0644/0755 files, directories and symlinks"
	if len(s.Build.Secrets) > 0 {
		name += "; no build secret's value in any file"
	}
	ro = append(ro,
		bkllb.Args(append(argv, toolTree, filepath.Join(toolOut, toolResult))),
		bkllb.AddMount(toolTree, final, bkllb.Readonly, bkllb.ContentCache(bkllb.MountContentCacheOff)),
		bkllb.ReadonlyRootFS(),
		bkllb.Network(bkllb.NetModeNone),
		bkllb.User("0:0"), // reads every file, whoever owns it
		bkllb.Dir("/"),
		bkllb.WithCustomName(name),
	)
	return self.Run(append(ro, opts...)...).AddMount(toolOut, bkllb.Scratch())
}

// checkApp starts the app check of final and returns the wait for its verdict. Without the frontend's own
// image /app is read through the gateway, and the secrets' values, which only a step can see, are not searched.
func (p *platformBuild) checkApp(ctx context.Context, final bkllb.State, target ocispecs.Platform) (wait func() error, stop func()) {
	w, stop := background(ctx, func(ctx context.Context) (struct{}, error) {
		var vs []audit.Violation
		if self := p.self(); self != nil {
			res, err := p.runTool(ctx, appStep(*self, final, p.spec, p.locate("artifacts")), p.buildPlatform)
			if err != nil {
				return struct{}{}, wrapf(err, "checking %s", hllb.ArtifactDir)
			}
			vs = res.Violations
		} else {
			ref, err := p.solve(ctx, final, target)
			if err != nil {
				return struct{}{}, err
			}
			if vs, err = appViolations(ctx, gatewayFS{ref}, hllb.ArtifactDir); err != nil {
				return struct{}{}, wrapf(err, "reading %s", hllb.ArtifactDir)
			}
		}
		if len(vs) == 0 {
			return struct{}{}, nil
		}
		at := p.spec.Pos("artifacts")
		if vs[0].Check == checkBuildSecrets {
			at = p.spec.Pos("build.secrets")
		}
		return struct{}{}, withSpecSource(&audit.VerifyError{Violations: vs}, p.src, at)
	})
	return func() error { _, err := w(); return err }, stop
}

package tool

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/spec"
)

// Where the test step mounts the frontend's image (the supervisor) and its result, in the app's root.
const (
	TestToolDir   = "/.hardened-test"
	TestResultDir = "/.hardened-test-result"
)

// RunTestStep starts the image as a restricted pod would: its own filesystem as a read-only root, each of
// runtime.writable an empty tmpfs, no network but loopback, the sandbox's security mode. The supervisor, the
// frontend's binary mounted read-only, starts as root only to keep its result out of the app's reach: it clears
// the capability bounding set, sets no_new_privs and runs the entrypoint as the image's uid:gid. It returns the
// state holding the result file; BuildKit caches the step on the image's and the test's definitions.
func RunTestStep(self, final bkllb.State, img *dockerspec.DockerOCIImage, s *spec.Spec, opts ...bkllb.RunOption) (bkllb.State, error) {
	t := s.Test
	cfg := img.Config
	uid, gid, ok := numericUser(cfg.User)
	if !ok {
		return bkllb.State{}, fmt.Errorf("the image's user %q is not a numeric uid:gid", cfg.User)
	}
	app := slices.Clone(cfg.Entrypoint)
	if t.Run != nil {
		app = append(app, t.Run...)
	} else {
		app = append(app, cfg.Cmd...)
	}
	if len(app) == 0 {
		return bkllb.State{}, fmt.Errorf("the image has no entrypoint or cmd to start")
	}
	argv := []string{filepath.Join(TestToolDir, Binary), Command, RunTestCommand,
		"--user", fmt.Sprintf("%d:%d", uid, gid), "--timeout", t.TimeoutOrDefault().String()}
	name := "test the image: start " + strconv.Quote(app[0]) + " as " + fmt.Sprintf("%d:%d", uid, gid) + " on a read-only root, "
	if t.HTTP != nil {
		argv = append(argv, "--port", strconv.Itoa(t.HTTP.Port), "--path", t.HTTP.PathOrDefault())
		name += fmt.Sprintf("GET http://127.0.0.1:%d%s", t.HTTP.Port, t.HTTP.PathOrDefault())
	} else {
		name += "wait for exit 0"
	}
	argv = append(append(argv, filepath.Join(TestResultDir, ResultFile), "--"), app...)
	workdir := cfg.WorkingDir
	if workdir == "" {
		workdir = "/"
	}
	// A fresh state of the image's filesystem: the exec's env is the config's plus the test's, nothing the
	// final stage's definition carried.
	root := bkllb.NewState(final.Output())
	for _, kv := range testEnv(cfg.Env, t.Env) {
		k, v, _ := strings.Cut(kv, "=")
		root = root.AddEnv(k, v)
	}
	ro := []bkllb.RunOption{
		bkllb.Args(argv),
		bkllb.Dir(workdir),
		bkllb.User("0:0"), // the supervisor; the app runs as uid:gid
		bkllb.ReadonlyRootFS(),
		bkllb.Network(pb.NetMode_NONE), // a network namespace of its own: loopback only
		bkllb.Security(pb.SecurityMode_SANDBOX),
		bkllb.AddMount(TestToolDir, self, bkllb.Readonly),
		bkllb.WithCustomName(name),
	}
	for _, w := range s.Runtime.Writable {
		ro = append(ro, bkllb.AddMount(w, bkllb.Scratch(), bkllb.Tmpfs()))
	}
	return root.Run(append(ro, opts...)...).AddMount(TestResultDir, bkllb.Scratch()), nil
}

// testEnv is the image's env with test.env on top: a name in both takes the test's value.
func testEnv(image []string, test map[string]string) []string {
	out := make([]string, 0, len(image)+len(test))
	for _, kv := range image {
		k, _, _ := strings.Cut(kv, "=")
		if _, over := test[k]; !over {
			out = append(out, kv)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(test)) {
		out = append(out, k+"="+test[k])
	}
	return out
}

// numericUser reads uid:gid (a lone uid runs with gid 0, as a runtime would); uid 0 is refused.
func numericUser(u string) (uid, gid int, ok bool) {
	us, gs, hasGid := strings.Cut(u, ":")
	uid, err := strconv.Atoi(us)
	if err != nil || uid <= 0 {
		return 0, 0, false
	}
	if hasGid {
		if gid, err = strconv.Atoi(gs); err != nil || gid < 0 {
			return 0, 0, false
		}
	}
	return uid, gid, true
}

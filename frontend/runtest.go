package frontend

import (
	"context"
	"fmt"
	"strings"

	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/frontend/tool"
	"github.com/hardenedbuild/hardened/spec"
)

// runTest starts the checked image as a restricted pod would (the spec's test:), fails the build at the
// test's line when the app does not pass, and records the result in the check report.
func (b *build) runTest(ctx context.Context, scan *scanTarget, img *dockerspec.DockerOCIImage, target ocispecs.Platform) error {
	if b.spec.Test == nil {
		return nil
	}
	self, err := b.self(ctx)
	if err != nil {
		return err
	}
	// The supervisor is the frontend's binary for the build platform; another platform's image would need an emulator.
	if self == nil || platformString(target) != platformString(b.buildPlatform) {
		b.warnTest(ctx, target, self == nil)
		return nil
	}
	st, err := tool.RunTestStep(*self, scan.final, img, b.spec, b.locate("test"))
	if err != nil {
		return withSpecSource(testError(b.spec, err.Error(), "", nil), b.src, b.spec.Pos("test"))
	}
	res, err := b.runTool(ctx, st)
	if err != nil {
		return wrapf(err, "running the test of the image")
	}
	if res.Test == nil {
		return fmt.Errorf("the test step wrote no result")
	}
	t := res.Test
	if !t.Passed {
		return withSpecSource(testError(b.spec, t.Problem+" (ran "+t.Ran+")", testHint(b.spec, t), t.Output), b.src, b.spec.Pos("test"))
	}
	if scan.report != nil {
		scan.report, err = audit.RecordRunTest(scan.report, audit.RunTest{Ran: t.Ran, Passed: true, Millis: t.Millis})
	}
	return err
}

func (b *build) warnTest(ctx context.Context, target ocispecs.Platform, noSelf bool) {
	why := fmt.Sprintf("the image is for %s and the build runs on %s", platformString(target), platformString(b.buildPlatform))
	if noSelf {
		why = "the frontend runs without an image of its own to take the supervisor from"
	}
	if b.warn != nil {
		b.warn(ctx, fmt.Sprintf("%s: test: not run for %s: %s", b.spec.File(), platformString(target), why),
			gwclient.WarnOpts{Level: 1, Detail: [][]byte{[]byte("build for the build platform to run the test")}})
	}
}

// testError is the build's failure at the test's line, with the app's last output below the hint.
func testError(s *spec.Spec, msg, hint string, output []string) error {
	if len(output) > 0 {
		hint += fmt.Sprintf("\nthe app's last %d line(s) of output:\n  %s", len(output), strings.Join(output, "\n  "))
	} else if hint != "" {
		hint += "\nthe app printed nothing"
	}
	return spec.Errors{{File: s.File(), Pos: s.Pos("test"), Field: "test", Msg: msg, Hint: hint}}
}

// testHint says what to change, from the kind of failure and what the app printed.
func testHint(s *spec.Spec, t *tool.TestResult) string {
	out := strings.ToLower(strings.Join(t.Output, "\n"))
	switch {
	case strings.Contains(out, "read-only file system") || strings.Contains(out, "erofs"):
		return "the root is read-only, as in a restricted pod: list the directory the app writes in runtime.writable, e.g. runtime: {writable: [/tmp]}, or have the app write there"
	case strings.Contains(out, "cannot open shared object file"):
		return "a library the app loads is not in the image: add its Debian package to runtime.libs"
	case t.Kind == tool.TestTimeout && s.Test.HTTP != nil:
		return fmt.Sprintf("make the app listen on port %d (0.0.0.0 or 127.0.0.1) within test.timeout (%v), or raise test.timeout (at most 2m)", s.Test.HTTP.Port, s.Test.TimeoutOrDefault())
	case t.Kind == tool.TestTimeout:
		return "make test.run a command that exits, e.g. run: [\"--version\"], or raise test.timeout (at most 2m)"
	case t.Kind == tool.TestStatus:
		return "make the route answer 2xx once the app is ready, or point test.http.path at one that does"
	case t.Kind == tool.TestStart:
		return "the entrypoint must be an executable in the image that its user can run"
	}
	return "the app must keep running (http) or exit 0 (run) as the image's user with a read-only root; see its output"
}

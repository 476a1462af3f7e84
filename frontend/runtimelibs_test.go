package frontend

import (
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/solver/pb"

	hllb "github.com/hardenedbuild/hardened/llb"
)

// A Java spec with no runtime.libs still gets the packages its linked JRE needs (zlib1g on Debian 12): the
// plan names them (the spec is not changed for it), so the lock pins them and the image's label lists them.
func TestJavaRuntimeLibsFromThePlan(t *testing.T) {
	const javaSpec = "language: java\ndebian: \"12\"\nversion: \"21\"\nartifacts: [src/Main.java]\n"
	javaContext := fakeTree{"src": {fs.ModeDir | 0o755, ""}, "src/Main.java": {0o644, "class Main {}\n"}}
	for _, tc := range []struct {
		name  string
		opts  map[string]string
		check func(t *testing.T, c *fakeClient, label string)
	}{
		{"lock", map[string]string{"target": "lock"}, func(t *testing.T, c *fakeClient, _ string) {
			if lock := c.written["hardened.lock"]; !strings.Contains(lock, `zlib1g: "1:1.3.dfsg-3"`) {
				t.Errorf("hardened.lock pins no zlib1g:\n%s", lock)
			}
		}},
		{"build", nil, func(t *testing.T, _ *fakeClient, label string) {
			if label != "zlib1g=1:1.3.dfsg-3" {
				t.Errorf("the image's %s label = %q, want zlib1g=1:1.3.dfsg-3", hllb.LabelRuntimeLibs, label)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newFakeClient(javaSpec, javaContext, tc.opts)
			// What the runtime-libs stage writes; the fake answers every image's solve with this tree.
			c.image["hardened"] = fakeFile{fs.ModeDir | 0o755, ""}
			c.image["hardened/libs"] = fakeFile{fs.ModeDir | 0o755, ""}
			c.image[strings.TrimPrefix(hllb.LibsPackagesFile, "/")] = fakeFile{0o644, "zlib1g=1:1.3.dfsg-3\n"}
			c.image[strings.TrimPrefix(hllb.LibsProblemsFile, "/")] = fakeFile{0o644, ""}
			// The final image the check walks: the linked JRE's launcher and the jar.
			for _, d := range []string{"opt", "opt/java", "opt/java/openjdk", "opt/java/openjdk/bin"} {
				c.image[d] = fakeFile{fs.ModeDir | 0o755, ""}
			}
			c.image["opt/java/openjdk/bin/java"] = fakeFile{0o755, "\x7fELF"}
			c.image["app/Main.jar"] = fakeFile{0o644, "PK"}
			res, err := Build(t.Context(), c)
			if err != nil {
				t.Fatal(err)
			}
			label := ""
			if tc.opts["target"] != "lock" {
				label = imageConfig(t, res).Config.Labels[hllb.LabelRuntimeLibs]
			}
			tc.check(t, c, label)
		})
	}
}

// The compile does not wait for the runtime-libs stage: the fake holds the stage's solve until it has
// seen a solve of the javac step, which a frontend that compiles after the libs resolve never sends.
func TestCompileWhileRuntimeLibsResolve(t *testing.T) {
	c := libsJavaClient(nil)
	compiling := make(chan struct{})
	var once, held bool
	c.onSolve = func(ops []*pb.Op) {
		c.mu.Lock()
		if has(ops, "javac") && !once {
			once = true
			close(compiling)
		}
		hold := has(ops, "hardened-runtime-libs") && !held
		held = held || hold
		c.mu.Unlock()
		if hold {
			select {
			case <-compiling:
			case <-time.After(5 * time.Second):
				t.Error("the runtime-libs stage was solved for 5s and no solve compiled the jar beside it")
			}
		}
	}
	// The build goes on past the libs (the fake image lacks the JRE the check wants); its order is the test.
	_, _ = Build(t.Context(), c)
	if !held {
		t.Fatal("the build never solved the runtime-libs stage")
	}
}

// Under --no-cache BuildKit shares no step between two solves: a compile started beside the libs would
// run twice at once (two mvn runs on one repository), so the compile waits for the conversion's solve.
func TestNoCompileAheadUnderNoCache(t *testing.T) {
	c := libsJavaClient(map[string]string{"no-cache": ""})
	var libsDone, early, held bool
	c.onSolve = func(ops []*pb.Op) {
		c.mu.Lock()
		early = early || has(ops, "javac") && !libsDone
		hold := has(ops, "hardened-runtime-libs") && !held
		held = held || hold
		c.mu.Unlock()
		if hold { // long enough for a compile started beside it to be asked for
			time.Sleep(300 * time.Millisecond)
			c.mu.Lock()
			libsDone = true
			c.mu.Unlock()
		}
	}
	_, _ = Build(t.Context(), c)
	if !held || early {
		t.Errorf("libs solved %v; a compile asked for while they resolved %v, want true and false", held, early)
	}
}

// libsJavaClient is a fake gateway for a javac build with runtime.libs, whose libs stage resolves zlib1g.
func libsJavaClient(opts map[string]string) *fakeClient {
	const javaSpec = "language: java\nversion: \"21\"\nartifacts: [src/Main.java]\nruntime:\n  libs: [zlib1g]\n"
	c := newFakeClient(javaSpec, fakeTree{"src": {fs.ModeDir | 0o755, ""}, "src/Main.java": {0o644, "class Main {}\n"}}, opts)
	c.image[strings.TrimPrefix(hllb.LibsPackagesFile, "/")] = fakeFile{0o644, "zlib1g=1:1.3.dfsg-3\n"}
	c.image[strings.TrimPrefix(hllb.LibsProblemsFile, "/")] = fakeFile{0o644, ""}
	return c
}

// has says a solve's ops run a command with arg among its arguments.
func has(ops []*pb.Op, arg string) bool {
	return slices.ContainsFunc(ops, func(op *pb.Op) bool { return slices.Contains(op.GetExec().GetMeta().GetArgs(), arg) })
}

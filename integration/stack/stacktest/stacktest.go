// Package stacktest gives integration tests the local build stack: Get starts it (or attaches to the one already
// running) once per test binary and fails the test, never skips it, when the stack cannot start. The stack is
// left running for the next test binary; "make stack-down" stops it.
package stacktest

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/hardenedbuild/hardened/integration/stack"
)

// StateDirEnv overrides the state directory (default <repo>/.stack).
const StateDirEnv = "HARDENED_STACK_DIR"

var (
	once   sync.Once
	shared *stack.Stack
	upErr  error
)

// Get returns the running stack, bringing it up on first use. Progress of a slow first start (building stand-in
// images) goes to standard error.
func Get(t testing.TB) *stack.Stack {
	t.Helper()
	once.Do(func() {
		shared, upErr = stack.Up(context.Background(), stack.Options{StateDir: os.Getenv(StateDirEnv), Log: os.Stderr})
	})
	if upErr != nil {
		t.Fatalf("the build stack did not come up: %v", upErr)
	}
	return shared
}

package stack

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// logWriter prints progress lines ("stack: ...") to the writer given in Options.Log.
type logWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func newLogWriter(w io.Writer) *logWriter {
	if w == nil {
		w = io.Discard
	}
	return &logWriter{w: w}
}

func (l *logWriter) Printf(format string, args ...any) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "stack: "+strings.TrimSuffix(format, "\n")+"\n", args...)
}

// step logs the start of a slow step and returns a function that logs its duration.
func (l *logWriter) step(format string, args ...any) func() {
	what := fmt.Sprintf(format, args...)
	l.Printf("%s ...", what)
	start := time.Now()
	return func() { l.Printf("%s: done in %s", what, time.Since(start).Round(100*time.Millisecond)) }
}

package audit_test

import (
	"archive/tar"
	"context"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/audit/image"
	. "github.com/hardenedbuild/hardened/internal/imagetest"
)

// bigFile is the size of the zero-filled file of TestLargeFileIsNotHeld, and heldBudget what the
// checks may hold above the memory in use before them.
const (
	bigFile    = 256 << 20
	heldBudget = 64 << 20
)

// zeroLayer streams a layer holding one file of size bytes: an ELF header, zeros, and a Node.js
// version string at the very end, so HX-SUPPLY-EOL has to read it all to find the version.
func zeroLayer(t *testing.T, p string, size int64) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		end := []byte("\x00User-Agent: node.js/v24.11.1\x00")
		err := tw.WriteHeader(&tar.Header{Name: strings.TrimPrefix(p, "/"), Mode: 0o755, Size: size, ModTime: Epoch, Typeflag: tar.TypeReg})
		if err == nil {
			_, err = tw.Write([]byte("\x7fELF"))
		}
		if err == nil {
			_, err = io.CopyN(tw, zeros{}, size-4-int64(len(end)))
		}
		if err == nil {
			_, err = tw.Write(end)
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) { clear(b); return len(b), nil }

// TestLargeFileIsNotHeld checks an image whose application holds a 256 MiB node binary beside a
// real Go binary (this test's own): every check runs, the version at the binary's end and the Go
// binary's build info are found, and the heap never grows by more than heldBudget.
func TestLargeFileIsNotHeld(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 256 MiB")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	server, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	steps := CleanSteps()
	steps[1].Files = Replace(steps[1].Files, Reg("/app/server", 0o755, string(server)))
	big, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return zeroLayer(t, "/app/node", bigFile), nil }, tarball.WithMediaType(types.OCILayer), tarball.WithCompressionLevel(1))
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(Image(t, CleanConfig(), steps...), big)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := image.FromImage(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	server = nil
	peak := heapPeak(t, func() {
		r, err := audit.Run(context.Background(), tg, audit.WithTime(Epoch.Add(24*time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
		eol, bins := result(t, r, "HX-SUPPLY-EOL"), result(t, r, "HX-SCAN-BINARIES")
		if !strings.Contains(eol.Message, "Node.js 24") {
			t.Errorf("the version at the end of /app/node was not found: %s %v", eol.Message, eol.Evidence)
		}
		if !strings.Contains(bins.Message, "/app/server: go1.") {
			t.Errorf("no build info read from /app/server: %s %v", bins.Message, bins.Evidence)
		}
	})
	t.Logf("heap peak %d MiB above the start, for a %d MiB file", peak>>20, bigFile>>20)
	if peak > heldBudget {
		t.Errorf("the heap grew by %d MiB checking a %d MiB file; the budget is %d MiB", peak>>20, bigFile>>20, heldBudget>>20)
	}
}

// heapPeak runs fn and returns the most the heap held above what it held before, sampled.
func heapPeak(t *testing.T, fn func()) uint64 {
	t.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	start, peak := ms.HeapAlloc, uint64(0)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var s runtime.MemStats
		for {
			runtime.ReadMemStats(&s)
			if s.HeapAlloc > start {
				peak = max(peak, s.HeapAlloc-start)
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return peak
}

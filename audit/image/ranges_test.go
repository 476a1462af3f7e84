package image_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/audit/image"
	. "github.com/hardenedbuild/hardened/internal/imagetest"
)

// TestReadRange reads parts of a file kept in its layer (not inline), front to back, backwards,
// through a hard link and past its end, and refuses a range over MaxReadFile.
func TestReadRange(t *testing.T) {
	var body strings.Builder
	for i := 0; body.Len() < 5000; i++ {
		body.WriteString(strings.Repeat(string(rune('a'+i%26)), 10))
	}
	data := body.String()
	img := Image(t, CleanConfig(), Step{Files: []File{Dir("/app", 0o755), Reg("/app/big", 0o644, data), Hardlink("/app/link", "/app/big"), Reg("/app/small", 0o644, "tiny")}})
	tg := load(t, img, image.WithLimits(image.Limits{MaxInline: 100, MaxReadFile: 1000}))
	rr, ok := tg.FS.(audit.RangeReader)
	if !ok {
		t.Fatal("the image's view reads no ranges")
	}
	for _, tc := range []struct {
		path string
		off  int64
		n    int
		want string
	}{
		{"/app/big", 0, 700, data[:700]},
		{"/app/big", 700, 1000, data[700:1700]},
		{"/app/big", 4000, 1000, data[4000:]},
		{"/app/big", 100, 50, data[100:150]}, // backwards: the layer is read again
		{"/app/link", 2500, 10, data[2500:2510]},
		{"/app/big", int64(len(data)), 10, ""},
		{"/app/small", 1, 10, "iny"},
	} {
		got, err := rr.ReadRange(ctx, tc.path, tc.off, tc.n)
		if err != nil || !bytes.Equal(got, []byte(tc.want)) {
			t.Errorf("ReadRange(%s, %d, %d) = %q, %v; want %q", tc.path, tc.off, tc.n, got, err, tc.want)
		}
	}
	var le *image.LimitError
	if _, err := rr.ReadRange(ctx, "/app/big", 0, 1001); !errors.As(err, &le) {
		t.Errorf("a range over MaxReadFile: %v", err)
	}
	if _, err := tg.FS.ReadFile(ctx, "/app/big"); !errors.As(err, &le) {
		t.Errorf("ReadFile of a file over MaxReadFile: %v", err)
	}
}

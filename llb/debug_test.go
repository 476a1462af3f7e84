package llb_test

import (
	"testing"

	hllb "github.com/hardenedbuild/hardened/llb"
)

func TestDebugBase(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"gcr.io/distroless/static-debian13:nonroot", "gcr.io/distroless/static-debian13:debug-nonroot"},
		{"gcr.io/distroless/cc-debian13:nonroot", "gcr.io/distroless/cc-debian13:debug-nonroot"},
		{"gcr.io/distroless/nodejs24-debian13:nonroot", "gcr.io/distroless/nodejs24-debian13:debug-nonroot"},
		{"gcr.io/distroless/static-debian13:latest", ""},
		{"docker.io/library/debian:trixie", ""},
	} {
		got, err := hllb.DebugBase(hllb.ImageRequest{Ref: tc.in, Role: "base", Field: "base"})
		if tc.want == "" {
			if err == nil {
				t.Errorf("%s: debug base %s, want an error", tc.in, got.Ref)
			}
			continue
		}
		if err != nil || got.Ref != tc.want || got.Role != "debug-base" || got.Field != "base" {
			t.Errorf("%s: %+v, %v; want %s as role debug-base", tc.in, got, err, tc.want)
		}
	}
}

// The debug image says what it is; the release image has no such label.
func TestDebugLabel(t *testing.T) {
	s, files := loadExample(t)
	in := resolved(t, s, files, amd64)
	res, _ := convert(t, s, in)
	if _, ok := res.Image.Config.Labels[hllb.LabelVariant]; ok {
		t.Errorf("the release image has %s", hllb.LabelVariant)
	}
	in.Debug = true
	res, _ = convert(t, s, in)
	if got := res.Image.Config.Labels[hllb.LabelVariant]; got != "debug" {
		t.Errorf("%s = %q, want debug", hllb.LabelVariant, got)
	}
}

package audit

import (
	"context"
	"fmt"
	"strings"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// maxListed bounds how many offending paths one message names.
const maxListed = 20

// SpecialFiles lists every setuid or setgid entry of an image's filesystem.
func SpecialFiles(ctx context.Context, fsys FS) ([]Entry, error) {
	var out []Entry
	err := Walk(ctx, fsys, "/", func(e Entry) error {
		if special(e.Mode) {
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// Violation is a broken guarantee, with the evidence.
type Violation struct {
	Check    string // stable id, e.g. HX-USER-ROOT
	Message  string
	Evidence []string
}

// VerifyError lists every broken guarantee of a build.
type VerifyError struct{ Violations []Violation }

func (e *VerifyError) Error() string {
	var b strings.Builder
	b.WriteString("hardened: the image does not hold its guarantees:")
	for _, v := range e.Violations {
		fmt.Fprintf(&b, "\n  [%s] %s", v.Check, v.Message)
		for i, ev := range v.Evidence {
			if i == maxListed {
				fmt.Fprintf(&b, "\n      ... and %d more", len(v.Evidence)-maxListed)
				break
			}
			b.WriteString("\n      " + ev)
		}
	}
	return b.String()
}

// Guarantees are the checks every hardened build holds to; Verify fails a build on any of them.
var Guarantees = []string{"HX-PRIV-SETUID", "HX-USER-ROOT", "HX-CONFIG-ENTRYPOINT"}

// Verify checks the guarantees every hardened build makes: no setuid/setgid file,
// a non-root user, and an exec-form entrypoint that exists in the image.
func Verify(ctx context.Context, fsys FS, img *dockerspec.DockerOCIImage) error {
	return VerifyChecks(ctx, &Target{FS: fsys, Config: img}, Guarantees...)
}

// ConfigGuarantees are the guarantees about the image's config and the few files it names (the user's
// account, the entrypoint); VerifyConfig checks them without walking the image.
var ConfigGuarantees = []string{"HX-USER-ROOT", "HX-CONFIG-ENTRYPOINT"}

// VerifyConfig checks ConfigGuarantees, reading only the directories on the paths they look up (the
// entrypoint and its links, /etc/passwd): a few reads where Verify walks every directory of the image.
func VerifyConfig(ctx context.Context, fsys FS, img *dockerspec.DockerOCIImage) error {
	return verifyChecks(ctx, &Target{FS: fsys, Config: img}, []Option{func(o *options) { o.lazy = true }}, ConfigGuarantees...)
}

// VerifyChecks runs the named checks and returns a VerifyError naming every one that fails.
func VerifyChecks(ctx context.Context, t *Target, ids ...string) error {
	return verifyChecks(ctx, t, nil, ids...)
}

func verifyChecks(ctx context.Context, t *Target, opts []Option, ids ...string) error {
	r, err := Run(ctx, t, append(opts, WithChecks(ids...), NoGate())...)
	if err != nil {
		return fmt.Errorf("hardened: %w", err)
	}
	var vs []Violation
	for _, res := range r.Results {
		if res.Status != StatusFail {
			continue
		}
		v := Violation{Check: res.ID, Message: res.Message}
		for _, ev := range res.Evidence {
			v.Evidence = append(v.Evidence, ev.String())
		}
		if res.Omitted > 0 {
			v.Evidence = append(v.Evidence, fmt.Sprintf("... and %d more", res.Omitted))
		}
		vs = append(vs, v)
	}
	if len(vs) > 0 {
		return &VerifyError{Violations: vs}
	}
	return nil
}

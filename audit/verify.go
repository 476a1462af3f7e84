package audit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// maxListed bounds how many offending paths one message names.
const maxListed = 20

// SpecialFiles lists every setuid or setgid entry of an image's filesystem.
func SpecialFiles(ctx context.Context, fsys FS) ([]Entry, error) {
	var out []Entry
	err := Walk(ctx, fsys, "/", func(e Entry) error {
		if e.Mode&(fs.ModeSetuid|fs.ModeSetgid) != 0 {
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

// Verify checks the guarantees every hardened build makes: no setuid/setgid file,
// a non-root numeric user, and an exec-form entrypoint that exists in the image.
func Verify(ctx context.Context, fsys FS, img *dockerspec.DockerOCIImage) error {
	var vs []Violation
	special, err := SpecialFiles(ctx, fsys)
	if err != nil {
		return fmt.Errorf("hardened: reading the image filesystem: %w", err)
	}
	if len(special) > 0 {
		v := Violation{Check: "HX-PRIV-SETUID", Message: "files with setuid or setgid bits"}
		for _, e := range special {
			v.Evidence = append(v.Evidence, fmt.Sprintf("%s (mode %s)", e.Path, e.Mode))
		}
		vs = append(vs, v)
	}
	if v, ok := checkUser(ctx, fsys, img.Config.User); !ok {
		vs = append(vs, v)
	}
	if v, ok := checkEntrypoint(ctx, fsys, img.Config.Entrypoint); !ok {
		vs = append(vs, v)
	}
	if len(vs) > 0 {
		return &VerifyError{Violations: vs}
	}
	return nil
}

// checkUser refuses an empty user, uid 0, and any name that /etc/passwd maps to 0.
func checkUser(ctx context.Context, fsys FS, user string) (Violation, bool) {
	bad := func(msg string) (Violation, bool) {
		return Violation{Check: "HX-USER-ROOT", Message: msg, Evidence: []string{"config.User=" + strconv.Quote(user)}}, false
	}
	name, _, _ := strings.Cut(user, ":")
	if name == "" {
		return bad("the image runs as root: no user is set")
	}
	if uid, err := strconv.ParseUint(name, 10, 32); err == nil {
		if uid == 0 {
			return bad("the image runs as uid 0 (root)")
		}
		return Violation{}, true
	}
	uid, err := lookupUID(ctx, fsys, name)
	if err != nil {
		return bad(fmt.Sprintf("user %q cannot be resolved to a uid: %v", name, err))
	}
	if uid == 0 {
		return bad(fmt.Sprintf("user %q is uid 0 (root) in /etc/passwd", name))
	}
	return Violation{}, true
}

func lookupUID(ctx context.Context, fsys FS, name string) (uint64, error) {
	dt, err := fsys.ReadFile(ctx, "/etc/passwd")
	if err != nil {
		return 0, errors.New("the image has no /etc/passwd")
	}
	for _, line := range strings.Split(string(dt), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 3 && f[0] == name {
			return strconv.ParseUint(f[2], 10, 32)
		}
	}
	return 0, errors.New("no such user in /etc/passwd")
}

// checkEntrypoint wants an absolute executable first element, so the image starts
// without a shell or a PATH lookup.
func checkEntrypoint(ctx context.Context, fsys FS, ep []string) (Violation, bool) {
	v := Violation{Check: "HX-CONFIG-ENTRYPOINT", Evidence: []string{"config.Entrypoint=" + fmt.Sprintf("%q", ep)}}
	if len(ep) == 0 {
		v.Message = "the image has no entrypoint"
		return v, false
	}
	if !strings.HasPrefix(ep[0], "/") {
		// A relative name is looked up on PATH at run time; accept it if it resolves.
		return Violation{}, true
	}
	e, err := fsys.Stat(ctx, ep[0])
	if err != nil {
		v.Message = fmt.Sprintf("the entrypoint %s is not in the image", ep[0])
		return v, false
	}
	if e.Mode.IsDir() || (e.Mode&fs.ModeSymlink == 0 && e.Mode.Perm()&0o111 == 0) {
		v.Message = fmt.Sprintf("the entrypoint %s is not an executable file (mode %s)", ep[0], e.Mode)
		return v, false
	}
	return Violation{}, true
}

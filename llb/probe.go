package llb

import (
	"fmt"
	"path"
	"strconv"
	"time"

	bkllb "github.com/moby/buildkit/client/llb"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/spec"
)

// ProbeMode is the probe's mode in the image: root's, readable and executable by all, writable by none.
const ProbeMode = 0o555

// ProbeSource is where the health probe (healthcheck.http) is taken from: the frontend's own image for
// the target platform, which ships it beside the frontend binary.
type ProbeSource struct {
	State bkllb.State
	// Path is the probe's path in State.
	Path string
}

// ProbeCommand is the exec-form HEALTHCHECK command that runs the probe: a port and a path, no host.
func ProbeCommand(h *spec.HTTPTest) []string {
	return []string{audit.ProbePath, strconv.Itoa(h.Port), h.PathOrDefault()}
}

// probeCopy puts the probe at audit.ProbePath, the file and its directory root's ProbeMode, both at the
// epoch: the probe is staged in a directory of its own, copied whole, because a file copied into a directory
// made first would leave that directory at the build's clock (as artifactCopies says of /app). An explicit
// mode without setuid/setgid keeps AddsNoSetuid's proof.
//
// Without src nothing is copied: a conversion for reading only (hardened dockerfile, the tests) has no
// frontend image; the frontend refuses to build an image with healthcheck.http and no probe (probeSource).
func probeCopy(final bkllb.State, s *spec.Spec, src *ProbeSource, epoch *time.Time, opts ...bkllb.ConstraintsOpt) bkllb.State {
	if s.Healthcheck == nil || s.Healthcheck.HTTP == nil || src == nil {
		return final
	}
	info := func() *bkllb.CopyInfo {
		return &bkllb.CopyInfo{
			Mode:        &bkllb.ChmodOpt{Mode: ProbeMode},
			ChownOpt:    &bkllb.ChownOpt{User: &bkllb.UserOpt{UID: 0}, Group: &bkllb.UserOpt{UID: 0}},
			CreatedTime: epoch,
		}
	}
	staged := info()
	staged.CreateDestPath = true
	dir := path.Dir(audit.ProbePath)
	stage := bkllb.Scratch().File(bkllb.Copy(src.State, src.Path, audit.ProbePath, staged), bkllb.WithCustomName("stage the health probe"))
	opts = append(opts, bkllb.WithCustomName(fmt.Sprintf("copy the health probe to %s (root-owned, mode %04o)", audit.ProbePath, ProbeMode)))
	return final.File(bkllb.Copy(stage, dir, dir, info()), opts...)
}

package frontend

import (
	"context"
	"fmt"
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/result"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/audit"
)

// reportPath is where the check report sits in its attestation's filesystem.
const reportPath = "/hardened-check.json"

// wantsAttestations reports whether the build asked for any attestation (buildx asks
// for min provenance by default): the check report then travels with the image.
func wantsAttestations(bc *dockerui.Client) bool {
	for k := range bc.BuildOpts().Opts {
		if strings.HasPrefix(k, "attest:") {
			return true
		}
	}
	return false
}

// checkReport runs every hardening check on the solved image, as `hardened check`
// would, stamped with the build's epoch so the report is reproducible too.
func checkReport(ctx context.Context, fsys audit.FS, img *dockerspec.DockerOCIImage, t *scanTarget) error {
	dt, err := audit.ReportJSON(ctx, fsys, img, nil, audit.WithTime(t.epoch), audit.NoGate())
	if err != nil {
		return fmt.Errorf("the hardened check report: %w", err)
	}
	t.report = dt
	return nil
}

// addReports attaches each platform's check report as an in-toto attestation.
func addReports(ctx context.Context, c gwclient.Client, rb *dockerui.ResultBuilder, targets *scanTargets) error {
	return rb.EachPlatform(ctx, func(ctx context.Context, id string, p ocispecs.Platform) error {
		t, ok := targets.get(p)
		if !ok || t.report == nil {
			return nil
		}
		st := bkllb.Scratch().File(bkllb.Mkfile(reportPath, 0o644, t.report), bkllb.WithCustomName("write the hardened check report"))
		ref, err := solveRef(ctx, c, st)
		if err != nil {
			return err
		}
		rb.AddAttestation(id, result.Attestation[gwclient.Reference]{
			Kind: gwpb.AttestationKind_InToto, Ref: ref, Path: reportPath,
			InToto: result.InTotoAttestation{PredicateType: audit.PredicateType},
		})
		return nil
	})
}

package rebase

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/audit/image"
	hllb "github.com/hardenedbuild/hardened/llb"
)

// eligibility is what the image's evidence says, once it may be rebased.
type eligibility struct {
	lay     layout
	oldBase *dockerspec.DockerOCIImage
	newBase *audit.Target
	glibc   string
}

// eligible decides from the image's own evidence whether its app depends on the base's libraries:
// the frontend's layers in its history, its base labels, the ELF interpreter of its entrypoint,
// runtime.libs; a dynamically linked app moves only onto an equal or newer glibc (the bases' dpkg
// status). Every refusal names the image (or base) and digest, the reason and what to do.
func eligible(ctx context.Context, s, b source, cfg *dockerspec.DockerOCIImage, o Options) (*eligibility, error) {
	img, dgst := s.ref.Context().String(), s.digest
	lay, ok := split(cfg)
	bname, bdigest := labelsOf(cfg)
	switch {
	case !ok || bname == "":
		return nil, refuse(img, dgst, "build it with the hardened frontend (docs/cli.md, rebase); for another image, rebuild it on the new base",
			"not an image the hardened frontend built (its history has no step of the frontend's final stage, or it has no %s label)", hllb.LabelBaseName)
	case bname == "scratch" || lay.baseLayers == 0:
		return nil, refuse(img, dgst, "there is nothing to rebase; to ship it on a base, set base: in hardened.yaml and rebuild", "it is built on scratch")
	case nonEmpty(cfg.History) != len(cfg.RootFS.DiffIDs):
		return nil, refuse(img, dgst, rebuild, "its history names %d layers and it has %d, so its base's layers cannot be told apart", nonEmpty(cfg.History), len(cfg.RootFS.DiffIDs))
	case bdigest == "":
		return nil, refuse(img, dgst, rebuild, "its %s label is missing, so the base it was built on is unknown", hllb.LabelBaseDigest)
	case cfg.Config.Labels[hllb.LabelRuntimeLibs] != "":
		return nil, refuse(img, dgst, rebuild, "it carries runtime.libs (%s), Debian packages unpacked for the old base's release", cfg.Config.Labels[hllb.LabelRuntimeLibs])
	}
	oldBase, err := oldBaseConfig(bname, bdigest, s, o)
	if err != nil {
		return nil, err
	}
	if n := len(oldBase.RootFS.DiffIDs); n != lay.baseLayers || !slices.Equal(oldBase.RootFS.DiffIDs, cfg.RootFS.DiffIDs[:min(n, len(cfg.RootFS.DiffIDs))]) {
		return nil, refuse(img, dgst, rebuild, "its bottom layers are not those of %s@%s, the base its labels name", bname, bdigest)
	}
	t, err := image.FromImage(ctx, s.img)
	if err != nil {
		return nil, fmt.Errorf("%s@%s: %w", img, dgst, err)
	}
	interp, why := appLinking(ctx, t.FS, cfg)
	if why != "" {
		return nil, refuse(img, dgst, rebuild, "the app depends on the base: %s", why)
	}
	nb, err := image.FromImage(ctx, b.img)
	if err != nil {
		return nil, fmt.Errorf("%s@%s: %w", b.ref.Context(), b.digest, err)
	}
	newPkgs, err := packages(ctx, nb.FS)
	if errors.Is(err, errNoStatus) {
		return nil, refuse(b.ref.String(), "", "rebase onto a Debian-based image (distroless), or "+rebuild,
			"the new base (%s image %s) has %v: its packages cannot be listed in the SBOM, nor its glibc compared", s.platform.String(), b.digest, err)
	} else if err != nil {
		return nil, fmt.Errorf("%s@%s: reading its packages: %w", b.ref.Context(), b.digest, err)
	}
	e := &eligibility{lay: lay, oldBase: oldBase, newBase: nb}
	if interp == "" {
		return e, nil
	}
	oldPkgs, err := packages(ctx, t.FS)
	if err != nil {
		return nil, refuse(img, dgst, rebuild, "its entrypoint is dynamically linked (%s) and the image's glibc is unknown (%v)", interp, err)
	}
	had, has := glibc(oldPkgs), glibc(newPkgs)
	switch {
	case had == "":
		return nil, refuse(img, dgst, rebuild, "its entrypoint is dynamically linked (%s) and the image lists no libc6 package", interp)
	case has == "":
		return nil, refuse(b.ref.String(), "", rebuild, "the app of %s@%s is dynamically linked (%s) and the new base (%s image %s) has no libc6", img, dgst, interp, s.platform.String(), b.digest)
	case compareDebian(has, had) < 0:
		return nil, refuse(img, dgst, "rebase onto a base with glibc "+had+" or newer, or "+rebuild,
			"its entrypoint is dynamically linked (%s) against glibc %s and the new base %s (%s image %s) has the older %s", interp, had, b.ref.String(), s.platform.String(), b.digest, has)
	}
	e.glibc = has
	return e, nil
}

// oldBaseConfig reads the config of the base the image was built on, for the platform, from the
// base.name label's repository (or o.From) at the base.digest label's digest.
func oldBaseConfig(bname, bdigest string, s source, o Options) (*dockerspec.DockerOCIImage, error) {
	repo := o.From
	if repo == "" {
		r, err := name.ParseReference(bname)
		if err != nil {
			return nil, refuse(s.ref.Context().String(), s.digest, "give the repository to read it from with --from REPO", "its %s label %q is not a reference (%v)", hllb.LabelBaseName, bname, err)
		}
		repo = r.Context().String()
	}
	ref, err := name.NewDigest(repo + "@" + bdigest)
	if err != nil {
		return nil, fmt.Errorf("--from %s: %v", repo, err)
	}
	list, err := platformImages(ref, o.Remote)
	if err != nil {
		return nil, refuse(s.ref.Context().String(), s.digest, "give a repository (a mirror) that holds it with --from REPO",
			"its base %s@%s cannot be read (%v), and rebase reads it to tell what the spec set from what the base set", bname, bdigest, err)
	}
	old, ok := pick(list, s.platform)
	if !ok {
		return nil, refuse(s.ref.Context().String(), s.digest, rebuild, "its base %s has no %s image", ref, s.platform.String())
	}
	_, c, err := configOf(old.img)
	return c, err
}

package dockerfile

import (
	"context"
	"fmt"
	"sort"
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"

	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/lockfile"
	"github.com/hardenedbuild/hardened/plan"
	"github.com/hardenedbuild/hardened/spec"
)

// libsStage is the stage that resolves and unpacks runtime.libs.
const libsStage = "runtime-libs"

// finalFrom ends the build stages and starts the final one: the runtime-libs stage first when the
// plan has runtime libs (the spec's and its language's), then FROM the base with their files. It
// returns the labels the libs add.
func finalFrom(w *writer, s *spec.Spec, opts Options, breq hllb.ImageRequest, builderRef string, baseReq hllb.ImageRequest, base string) (map[string]string, error) {
	pl, err := plan.New(s, opts.Files, opts.Platform, buildPlatform)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{}
	w.line("")
	if len(pl.RuntimeLibs) > 0 {
		label, err := runtimeLibs(w, s, opts, pl.RuntimeLibs, breq, builderRef, baseReq, base)
		if err != nil {
			return nil, err
		}
		if label != "" {
			labels[hllb.LabelRuntimeLibs] = label
		}
		w.line("")
	}
	w.line("FROM %s", base)
	if len(pl.RuntimeLibs) > 0 {
		w.line("COPY --from=%s --chmod=u-s,g-s %s/ /", libsStage, hllb.LibsRootfs)
	}
	return labels, nil
}

// runtimeLibs writes the runtime-libs stage: the frontend's own (llb.RuntimeLibs) translated,
// with the final base bind-mounted where the stage reads its package records, then a step that
// fails on apt's problems (the frontend reports them at their spec positions) and, with a lock
// that records the packages, on any version the lock does not pin. It returns the label the
// frontend would write, when the lock says the versions ahead.
func runtimeLibs(w *writer, s *spec.Spec, opts Options, pkgs []string, breq hllb.ImageRequest, builderRef string, baseReq hllb.ImageRequest, base string) (label string, err error) {
	lreq, onBuilder, err := hllb.LibsImage(s, baseReq, breq, opts.Platform)
	if err != nil {
		return "", err
	}
	libsRef := builderRef
	if !onBuilder {
		if libsRef, err = from(lreq, opts); err != nil {
			return "", err
		}
	}
	st, err := hllb.RuntimeLibs(s, hllb.LibsInput{
		Packages: pkgs,
		Image:    hllb.Image{Ref: lreq.Ref, State: bkllb.Image(lreq.Ref)},
		Base:     hllb.Image{Ref: baseReq.Ref, State: bkllb.Image(baseReq.Ref)},
	})
	if err != nil {
		return "", err
	}
	def, err := st.Marshal(context.Background(), bkllb.Platform(opts.Platform))
	if err != nil {
		return "", fmt.Errorf("marshal the runtime-libs stage: %w", err)
	}
	chain, err := builderChain(def)
	if err != nil {
		return "", err
	}
	w.comment("runtime.libs: the packages and what they need, minus what the base has, unpacked the distroless\nway into " + hllb.LibsRootfs + " (package records in status.d, copyright files, no setuid bits).")
	w.line("FROM %s AS %s", libsRef, libsStage)
	t := &translator{w: w, s: s, chain: chain, stage: libsStage, env: map[string]string{},
		images: map[string]string{"docker-image://" + baseReq.Ref: base}}
	for i := range chain {
		t.op(i)
	}
	check := []string{"sh", "-c", hllb.RuntimeLibsFailScript, "hardened-runtime-libs-check"}
	if l := opts.Lock; l != nil {
		pkgs, ok := l.PackagesFor(platformString(opts.Platform))
		if !ok {
			return "", fmt.Errorf("%s has no packages.%s for runtime.libs; run `hardened lock`", lockfile.Filename, platformString(opts.Platform))
		}
		var pinned []string
		for name, v := range pkgs {
			pinned = append(pinned, name+"="+v)
		}
		sort.Strings(pinned)
		label = strings.Join(pinned, " ")
		check[2] += `printf '%s\n' "$@" > /tmp/hardened-locked
if ! sort ` + hllb.LibsPackagesFile + ` | diff -u /tmp/hardened-locked -; then
	echo "runtime.libs: Debian serves other versions than ` + lockfile.Filename + ` pins (above); review them and run hardened lock" >&2; exit 1
fi
`
		check = append(check, pinned...)
	}
	w.line("RUN --network=none %s", w.execForm("runtime.libs check", check))
	return label, nil
}

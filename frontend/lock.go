package frontend

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerui"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/lockfile"
	"github.com/hardenedbuild/hardened/plan"
)

// LockTarget is the build target that outputs hardened.lock instead of an image:
// docker buildx build --target lock -o type=local,dest=. -f hardened.yaml .
const LockTarget = "lock"

// readLock reads hardened.lock from beside the spec; nil when there is none.
func readLock(ctx context.Context, bc *dockerui.Client) (*lockfile.Lock, error) {
	opts := bc.BuildOpts().Opts
	localName := opts["dockerfilekey"]
	if localName == "" {
		localName = dockerui.DefaultLocalNameDockerfile
	}
	name := path.Join(path.Dir(opts["filename"]), lockfile.Filename)
	st := bkllb.Local(localName,
		bkllb.FollowPaths([]string{name}),
		bkllb.SessionID(bc.BuildOpts().SessionID),
		bkllb.SharedKeyHint(localName+"-"+lockfile.Filename), // a snapshot of its own, as localFiles
		dockerui.WithInternalName("read "+lockfile.Filename),
	)
	ref, err := solveRef(ctx, bc.GatewayClient(), st)
	if err != nil || ref == nil {
		return nil, wrapf(err, "reading %s", lockfile.Filename)
	}
	if _, err := ref.StatFile(ctx, gwclient.StatRequest{Path: name}); err != nil {
		return nil, nil // no lock: images resolve by tag
	}
	dt, err := ref.ReadFile(ctx, gwclient.ReadRequest{Filename: name})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", lockfile.Filename, err)
	}
	return lockfile.Parse(lockfile.Filename, dt)
}

// buildLock resolves every image the spec uses on every target platform by tag and
// returns hardened.lock as the build's only file.
func buildLock(ctx context.Context, b *build, files hllb.Files) (*gwclient.Result, error) {
	targets := b.bc.TargetPlatforms
	if len(targets) == 0 {
		targets = []ocispecs.Platform{b.buildPlatform}
	}
	l := lockfile.New()
	b.locked = l // the runtime libs resolve on the images just locked
	for _, target := range targets {
		pl, err := plan.New(b.spec, files, target, b.buildPlatform)
		if err != nil {
			return nil, withSpecSource(err, b.src)
		}
		for _, req := range pl.Images() {
			_, dgst, _, err := b.c.ResolveImageConfig(ctx, req.Ref, sourceresolver.Opt{
				LogName:  fmt.Sprintf("lock %s for %s", req.Ref, platformString(req.Platform)),
				ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &req.Platform},
			})
			if err != nil {
				return nil, fmt.Errorf("locking %s for %s: %w", req.Ref, platformString(req.Platform), err)
			}
			// The builder runs on the build platform; it is recorded under the target
			// it builds for, so each platform's entries are complete on their own.
			l.Set(platformString(target), req.Role, req.Ref, dgst.String())
		}
		if pl.Base != nil && pl.Libs != nil {
			// The packages runtime.libs installs, resolved on the images just locked.
			versions, err := lockLibs(ctx, b, pl, target)
			if err != nil {
				return nil, err
			}
			l.SetPackages(platformString(target), versions)
		}
	}
	st := bkllb.Scratch().File(bkllb.Mkfile(lockfile.Filename, 0o644, l.Marshal()), bkllb.WithCustomName("write "+lockfile.Filename))
	ref, err := solveRef(ctx, b.c, st)
	if err != nil {
		return nil, err
	}
	res := gwclient.NewResult()
	res.SetRef(ref)
	return res, nil
}

// lockLibs runs the plan's runtime-libs stage on the locked base and libs image and returns the
// packages it installs, by name.
func lockLibs(ctx context.Context, b *build, pl hllb.Plan, target ocispecs.Platform) (map[string]string, error) {
	base, err := b.resolve(ctx, *pl.Base)
	if err != nil {
		return nil, err
	}
	img, err := b.resolve(ctx, *pl.Libs)
	if err != nil {
		return nil, err
	}
	libs, err := b.runtimeLibs(ctx, *img, &hllb.Inputs{Plan: pl, Base: base, CacheNS: b.bc.CacheIDNamespace, Proxy: proxyEnv(b.bc.BuildArgs)}, target)
	if err != nil {
		return nil, err
	}
	versions := map[string]string{}
	for _, pkg := range libs.Packages {
		versions[pkg.Name] = pkg.Version
	}
	return versions, nil
}

// checkLockedLibs holds the packages runtime.libs resolved to the lock's: the same names at the
// same versions, or an error naming every entry that differs. Debian's archive serves only the
// current version of a package, so a point release shows here as a changed version, for the
// lock's owner to take with `hardened lock`, never as a silent change of the image.
func checkLockedLibs(l *lockfile.Lock, platform string, pkgs []hllb.DebPackage) error {
	locked, ok := l.PackagesFor(platform)
	if !ok {
		return fmt.Errorf("%s has no packages.%s for runtime.libs (the spec gained runtime.libs, or the lock predates package pinning): run `hardened lock`", lockfile.Filename, platform)
	}
	var diffs []string
	seen := map[string]bool{}
	for _, pkg := range pkgs {
		seen[pkg.Name] = true
		switch v, ok := locked[pkg.Name]; {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("no entry packages.%s.%s, which runtime.libs now installs (%s)", platform, pkg.Name, pkg.Version))
		case v != pkg.Version:
			diffs = append(diffs, fmt.Sprintf("packages.%s.%s pins %s, but Debian now serves %s", platform, pkg.Name, v, pkg.Version))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(locked)) {
		if !seen[name] {
			diffs = append(diffs, fmt.Sprintf("packages.%s.%s pins %s, which runtime.libs no longer installs", platform, name, locked[name]))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%s does not match the packages runtime.libs resolves: %s; review the change and run `hardened lock`", lockfile.Filename, strings.Join(diffs, "; "))
	}
	return nil
}

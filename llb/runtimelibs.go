package llb

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	bkllb "github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/spec"
)

// LabelRuntimeLibs lists the Debian packages runtime.libs added to the image, as name=version
// separated by spaces, sorted: the versions the build resolved, which a rebuild may not.
const LabelRuntimeLibs = "io.github.hardenedbuild.runtime.libs"

// The runtime-libs stage leaves its results under libsDir: the files to add to the final image,
// one name=version line per package, and the problems apt found, one index<TAB>message line each.
const (
	libsDir          = "/hardened/libs"
	LibsRootfs       = libsDir + "/rootfs"
	LibsPackagesFile = libsDir + "/packages"
	LibsProblemsFile = libsDir + "/problems"
	// libsBaseMount is where the final base is mounted, read-only, to read its package records.
	libsBaseMount = "/hardened/base"
)

// aptArchives is where every apt step keeps downloaded packages, inside the apt cache mount: the
// official Debian images' docker-clean hook empties /var/cache/apt/archives after each update.
const aptArchives = "/var/cache/apt/hardened-archives/"

// Libs is the resolved runtime-libs stage: its state and the packages it adds, sorted by name.
type Libs struct {
	State    bkllb.State
	Packages []DebPackage
}

// DebPackage is a Debian package at the version a build resolved.
type DebPackage struct {
	Name    string
	Version string
}

func (d DebPackage) String() string { return d.Name + "=" + d.Version }

// debianReleases maps distroless's debianN suffix to the release its packages come from.
var debianReleases = map[string]string{"11": "bullseye", "12": "bookworm", "13": "trixie"}

var distrolessDebian = regexp.MustCompile(`-debian(\d+)(?:[:@]|$)`)

// DebianRelease is the Debian release of a distroless base reference: trixie for
// gcr.io/distroless/base-debian13:nonroot. runtime.libs must come from that release.
func DebianRelease(s *spec.Spec, baseRef string) (string, error) {
	if m := distrolessDebian.FindStringSubmatch(baseRef); m != nil {
		if r, ok := debianReleases[m[1]]; ok {
			return r, nil
		}
	}
	return "", spec.Errors{{
		File: s.File(), Pos: s.Pos("runtime.libs"), Field: "runtime.libs",
		Msg:  fmt.Sprintf("the base %s is not a distroless Debian image, so there is no Debian release to take the packages from", baseRef),
		Hint: "use a distroless Debian base (base: base or base: cc), or remove runtime.libs",
	}}
}

// LibsImage names the Debian image the runtime-libs stage runs on for the target: the builder
// image when it is of the base's release and runs on the target, else docker.io/library/debian
// of that release. The stage checks the release again from /etc/os-release, since a named
// context may put another image in place of either. onBuilder says the builder image serves.
func LibsImage(s *spec.Spec, base, builder ImageRequest, target ocispecs.Platform) (req ImageRequest, onBuilder bool, err error) {
	release, err := DebianRelease(s, base.Ref)
	if err != nil {
		return ImageRequest{}, false, err
	}
	if _, tag, ok := strings.Cut(builder.Ref, ":"); ok && builder.Ref != "" &&
		slices.Contains(strings.Split(tag, "-"), release) && samePlatform(builder.Platform, target) {
		return builder, true, nil
	}
	return ImageRequest{
		Ref:      "docker.io/library/debian:" + release,
		Role:     "debian",
		Platform: target,
		Field:    "runtime.libs",
	}, false, nil
}

func samePlatform(a, b ocispecs.Platform) bool {
	return a.OS == b.OS && a.Architecture == b.Architecture && a.Variant == b.Variant
}

// LibsInput is what the runtime-libs stage is made from, already resolved.
type LibsInput struct {
	// Packages are the Debian packages to install, the plan's RuntimeLibs.
	Packages []string
	// Image is a Debian image of the base's release, on the target platform (LibsImage).
	Image Image
	// Base is the final base, whose package records say what it already has.
	Base      Image
	CacheNS   string
	SourceMap *bkllb.SourceMap
	Proxy     *bkllb.ProxyEnv
}

// RuntimeLibs is the stage that unpacks in.Packages with their dependencies, minus what the base
// has, into LibsRootfs, the way distroless assembles its images. It never fails on apt's account:
// an unknown package is written to LibsProblemsFile for the frontend to report at its position.
func RuntimeLibs(s *spec.Spec, in LibsInput) (bkllb.State, error) {
	if len(in.Packages) == 0 {
		return bkllb.State{}, fmt.Errorf("runtime.libs: the stage was asked for no packages (the plan's RuntimeLibs)")
	}
	release, err := DebianRelease(s, in.Base.Ref)
	if err != nil {
		return bkllb.State{}, err
	}
	args := append([]string{"sh", "-c", runtimeLibsScript, "hardened-runtime-libs", release}, in.Packages...)
	st := in.Image.State.Run(
		bkllb.Args(args),
		bkllb.AddEnv("DEBIAN_FRONTEND", "noninteractive"),
		bkllb.AddMount(libsBaseMount, in.Base.State, bkllb.Readonly),
		aptMounts(in.CacheNS),
		network(in.Proxy),
		bkllb.WithCustomName(fmt.Sprintf("runtime.libs: resolve %s on Debian %s and unpack them the distroless way", strings.Join(in.Packages, " "), release)),
		locator(s, in.SourceMap)("runtime.libs"),
	).Root()
	return st, nil
}

// aptMounts are the apt caches every apt step shares: the package lists and the downloaded
// packages, locked, because apt refuses to share them between processes.
func aptMounts(ns string) bkllb.RunOption {
	return runOptions{
		CacheMount(ns, "apt", "lists", "/var/lib/apt/lists", bkllb.CacheMountLocked),
		CacheMount(ns, "apt", "cache", "/var/cache/apt", bkllb.CacheMountLocked),
	}
}

// runOptions applies several run options as one.
type runOptions []bkllb.RunOption

func (r runOptions) SetRunOption(ei *bkllb.ExecInfo) {
	for _, o := range r {
		o.SetRunOption(ei)
	}
}

// runtimeLibsScript runs in the runtime-libs stage as sh -c SCRIPT NAME RELEASE PACKAGE...: the
// package names arrive as arguments (validated names, never part of the script).
//
// apt resolves against a dpkg status made from the base's /var/lib/dpkg/status.d, so the closure
// is exactly what the base lacks. The base's own dependencies are left out of that status:
// distroless leaves some out on purpose (ca-certificates without openssl), and apt would
// otherwise try to repair the base. Each package is then unpacked with dpkg-deb -x (no maintainer
// script runs) and recorded as distroless does: status.d/<name> holds its control fields and
// status.d/<name>.md5sums its file list. Documentation other than copyright files goes, and so
// does every setuid or setgid bit.
const runtimeLibsScript = `set -eu
release=$1; shift
out=` + libsDir + `; root=` + LibsRootfs + `; base=` + libsBaseMount + `
debs=` + aptArchives + `; status=/tmp/hardened-dpkg-status; plan=/tmp/hardened-plan
rm -rf "$out"; mkdir -p "$root/var/lib/dpkg/status.d" "$debs/partial"
: > "$out/problems"; : > "$out/packages"
problem() { printf '%s\t%s\n' "$1" "$(printf '%s' "$2" | tr '\t\n' '  ')" >> "$out/problems"; }
codename() { [ -e "$1" ] && sed -n 's/^VERSION_CODENAME=//p' "$1" | tr -d '"' | head -n 1 || true; }
here=$(codename /etc/os-release); there=$(codename "$base/etc/os-release")
if [ "$here" != "$release" ]; then
	problem - "the image this stage runs on is Debian ${here:-of no known release}, not $release like the base"; exit 0
fi
if [ -n "$there" ] && [ "$there" != "$release" ]; then
	problem - "the base is Debian $there, but its name says $release"; exit 0
fi
: > "$status"
for f in "$base"/var/lib/dpkg/status.d/* "$base/var/lib/dpkg/status"; do
	[ -f "$f" ] || continue
	case $f in *.md5sums) continue ;; esac
	if [ "$f" = "$base/var/lib/dpkg/status" ]; then sed -E '/^(Pre-)?Depends:/d' "$f"
	else sed -E -e '/^(Status|(Pre-)?Depends):/d' -e '/^Package:/a Status: install ok installed' "$f"; fi >> "$status"
	echo >> "$status"
done
onbase() { cmd=$1; shift; "$cmd" -q -o Dir::State::status="$status" -o Dir::Cache::Archives="$debs" "$@"; }
if ! msg=$(apt-get -q update 2>&1); then problem - "apt-get update failed: $(printf '%s' "$msg" | grep -E '^(E|W):' | head -n 5)"; exit 0; fi
i=0
for p in "$@"; do
	if ! msg=$(onbase apt-get install -s -y --no-install-recommends -- "$p" 2>&1); then problem "$i" "$(printf '%s' "$msg" | grep -E '^(E:| )' | head -n 10)"; fi
	i=$((i + 1))
done
[ -s "$out/problems" ] && exit 0
if ! msg=$(onbase apt-get install -s -y --no-install-recommends -- "$@" 2>&1); then
	problem - "$(printf '%s' "$msg" | grep -E '^(E:| )' | head -n 20)"; exit 0
fi
printf '%s\n' "$msg" | sed -nE 's/^Inst ([^ ]+) (\[[^]]*\] )?\(([^ ]+) .*\[([^]]+)\]\)$/\1 \3 \4/p' > "$plan"
if ! msg=$(onbase apt-get install --download-only -y --no-install-recommends -- "$@" 2>&1); then
	problem - "$(printf '%s' "$msg" | grep -E '^E:' | head -n 5)"; exit 0
fi
while read -r name version arch; do
	name=${name%%:*}
	deb=$debs/${name}_$(printf '%s' "$version" | sed 's/:/%3a/')_$arch.deb
	[ -f "$deb" ] || { problem - "apt did not download $deb"; exit 0; }
	dpkg-deb -x "$deb" "$root"
	dpkg-deb -f "$deb" > "$root/var/lib/dpkg/status.d/$name"
	rm -rf /tmp/hardened-control; dpkg-deb -e "$deb" /tmp/hardened-control
	[ ! -f /tmp/hardened-control/md5sums ] || cp /tmp/hardened-control/md5sums "$root/var/lib/dpkg/status.d/$name.md5sums"
	printf '%s=%s\n' "$name" "$version" >> "$out/packages"
	echo "runtime.libs: $name $version ($arch)"
done < "$plan"
if [ -d "$root/usr/share/doc" ]; then find "$root/usr/share/doc" -mindepth 2 ! -name copyright -prune -exec rm -rf {} +; fi
rm -rf "$root/usr/share/man" "$root/usr/share/info" "$root/usr/share/lintian" "$root/usr/share/doc-base"
find "$root" -perm /6000 -exec chmod u-s,g-s {} +
for f in bin/sh bin/bash bin/dash usr/bin/sh usr/bin/bash usr/bin/dash bin/busybox usr/bin/apt usr/bin/apt-get usr/bin/dpkg; do
	if [ -e "$root/$f" ] || [ -L "$root/$f" ]; then
		problem - "the packages bring /$f ($(grep -l " ${f#/}\$" "$root"/var/lib/dpkg/status.d/*.md5sums 2>/dev/null | sed 's|.*/||; s|\.md5sums$||' | tr '\n' ' ')), and the image must have no shell or package manager"
	fi
done
`

// ReadLibs reads what the runtime-libs stage wrote for names (the stage's Packages): the packages
// it added, or, when apt found problems, those problems at the positions of the spec's runtime.libs
// entries (a package the language added, at the list).
func ReadLibs(s *spec.Spec, names []string, packages, problems []byte) ([]DebPackage, error) {
	var errs spec.Errors
	sc := bufio.NewScanner(bytes.NewReader(problems))
	for sc.Scan() {
		idx, msg, _ := strings.Cut(sc.Text(), "\t")
		msg = strings.Join(strings.Fields(msg), " ")
		field := "runtime.libs"
		hint := "check the names with apt-cache search, or at https://packages.debian.org"
		if i, err := strconv.Atoi(idx); err == nil && i >= 0 && i < len(names) {
			msg = fmt.Sprintf("Debian has no package %q (apt: %s)", names[i], msg)
			hint = "the language's runtime needs it: check that the spec's Debian release has it"
			if i < len(s.Runtime.Libs) {
				field = fmt.Sprintf("runtime.libs[%d]", i)
				hint = "write the name of a Debian binary package, e.g. libsqlite3-0; apt-cache search or https://packages.debian.org finds it"
			}
		}
		if msg == "" {
			msg = "apt failed without a message"
		}
		errs = append(errs, spec.Error{File: s.File(), Pos: s.Pos(field), Field: field, Msg: msg, Hint: hint})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	var pkgs []DebPackage
	for _, line := range strings.Fields(string(packages)) {
		name, version, ok := strings.Cut(line, "=")
		if !ok || name == "" || version == "" {
			return nil, fmt.Errorf("runtime.libs: the stage wrote %q, which is not name=version", line)
		}
		pkgs = append(pkgs, DebPackage{Name: name, Version: version})
	}
	slices.SortFunc(pkgs, func(a, b DebPackage) int { return strings.Compare(a.Name, b.Name) })
	return pkgs, nil
}

// libsCopy adds the runtime-libs rootfs to the final stage, stamped with the epoch (the package
// records are written at build time) and without setuid or setgid bits.
func libsCopy(final bkllb.State, libs *Libs, epoch *time.Time, opts ...bkllb.ConstraintsOpt) bkllb.State {
	names := make([]string, len(libs.Packages))
	for i, p := range libs.Packages {
		names[i] = p.String()
	}
	name := "add runtime.libs: " + strings.Join(names, " ")
	if len(names) == 0 {
		name = "add runtime.libs: nothing the base lacks"
	}
	return final.File(bkllb.Copy(libs.State, LibsRootfs, "/", &bkllb.CopyInfo{
		CopyDirContentsOnly: true,
		Mode:                &bkllb.ChmodOpt{ModeStr: stripSetuidMode},
		CreatedTime:         epoch,
	}), append(opts, bkllb.WithCustomName(name))...)
}

// libsLabel is LabelRuntimeLibs's value.
func libsLabel(libs *Libs) string {
	names := make([]string, len(libs.Packages))
	for i, p := range libs.Packages {
		names[i] = p.String()
	}
	return strings.Join(names, " ")
}

// RuntimeLibsFailScript ends a runtime-libs stage that runs without the frontend to read its
// problems (a Dockerfile's): the step fails with apt's problems, else prints what it added.
const RuntimeLibsFailScript = `if [ -s ` + LibsProblemsFile + ` ]; then
	echo "runtime.libs: apt could not install the packages (package index, or - for all, TAB, apt's message):" >&2
	cat ` + LibsProblemsFile + ` >&2; exit 1
fi
echo "runtime.libs adds:"; cat ` + LibsPackagesFile + `
`

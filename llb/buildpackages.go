package llb

import (
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"

	"github.com/hardenedbuild/hardened/spec"
)

// buildPackagesScript runs as sh -c SCRIPT NAME PACKAGE...: the package names arrive as
// arguments (validated names, never part of the script). Update and install are one step, so an
// install never runs on lists that a pruned cache mount has lost.
const buildPackagesScript = `set -eu
mkdir -p ` + aptArchives + `partial
apt-get -q update
exec apt-get -q install -y --no-install-recommends -o Dir::Cache::Archives=` + aptArchives + ` -- "$@"
`

// installBuildPackages apt-installs build.packages in the builder image, before the language
// builds, with the apt caches mounted.
func installBuildPackages(s *spec.Spec, builder bkllb.State, ns string, locate func(string) bkllb.ConstraintsOpt, net bkllb.RunOption) bkllb.State {
	if len(s.Build.Packages) == 0 {
		return builder
	}
	args := append([]string{"sh", "-c", buildPackagesScript, "hardened-build-packages"}, s.Build.Packages...)
	return builder.Run(
		bkllb.Args(args),
		bkllb.AddEnv("DEBIAN_FRONTEND", "noninteractive"),
		aptMounts(ns),
		net,
		bkllb.WithCustomName("build.packages: apt-get install "+strings.Join(s.Build.Packages, " ")),
		locate("build.packages"),
	).Root()
}

// BuildPackagesCommand is the command installBuildPackages runs, for a Dockerfile to run the same;
// nil without build.packages.
func BuildPackagesCommand(s *spec.Spec) []string {
	if len(s.Build.Packages) == 0 {
		return nil
	}
	return append([]string{"env", "DEBIAN_FRONTEND=noninteractive", "sh", "-c", buildPackagesScript, "hardened-build-packages"}, s.Build.Packages...)
}

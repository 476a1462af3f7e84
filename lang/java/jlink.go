package java

import (
	"fmt"
	"path"
	"slices"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// runtime.jre's values: jlink links a JRE of the modules the jars need; full ships distroless java's.
const (
	jreJlink = "jlink"
	jreFull  = "full"
)

// jlinkHome is where the image has the jlink'd JRE: Temurin's JAVA_HOME, whose bin/java and release
// file are where scanners and people look for a JDK they did not install from a package.
const jlinkHome = "/opt/java/openjdk"

// jlinkOut is where the builder leaves the JRE, under /hardened so the final copy's content hash scans
// that directory alone (see llb.OutDir).
const jlinkOut = "/hardened/jre"

// jreModules is the file where the build leaves the modules the jars need (HardenedBuild.java's
// app-modules), in a directory of its own: the JRE's step mounts only that directory, so BuildKit keys it
// by the list's content, and a change of the jars that needs the same modules links nothing.
const jreModules = "/hardened/jre-modules/modules"

// jlinkLibs are the Debian packages the JRE's own libraries need beyond glibc, libstdc++ and libgcc: zlib,
// which bin/java, libjli and libzip link when the JDK was built without its bundled copy (Debian's are;
// Temurin's bundle it, where the package is one small library too many).
var jlinkLibs = []string{"zlib1g"}

// jreLibs are the Debian packages the spec's JRE needs beyond its runtime.libs: those of jlinkLibs its
// distroless cc lacks (Debian 13's has zlib1g, Debian 12's not), added as runtime.libs are, recorded in
// the image's dpkg status for scanners; distroless java's full JRE has them already.
func jreLibs(s *spec.Spec) []string {
	if !jlinked(s) {
		return nil
	}
	var out []string
	for _, p := range jlinkLibs {
		if !slices.Contains(llb.DebianOf(s).BaseLibs, p) {
			out = append(out, p)
		}
	}
	return out
}

// jlinked says the spec asks for a JRE linked for the app, the default.
func jlinked(s *spec.Spec) bool { return s.Runtime.JRE != jreFull }

// javaPath is the image's java launcher for the spec.
func javaPath(s *spec.Spec) string {
	if jlinked(s) {
		return jlinkHome + "/bin/java"
	}
	return javaEntry
}

// validateJRE checks runtime.jre and the launcher paths the spec writes itself.
func validateJRE(s *spec.Spec) spec.Errors {
	var errs spec.Errors
	switch s.Runtime.JRE {
	case "", jreJlink, jreFull:
	default:
		return spec.Errors{{Field: "runtime.jre", Msg: fmt.Sprintf("%q is not a JRE this build makes", s.Runtime.JRE),
			Hint: "write runtime.jre: jlink (a JRE of the modules the jars need, the default) or runtime.jre: full (distroless java's whole JRE)"}}
	}
	other := map[bool]string{true: javaEntry, false: jlinkHome + "/bin/java"}[jlinked(s)]
	cmds := map[string][]string{"entrypoint[0]": s.Entrypoint}
	if s.Healthcheck != nil {
		cmds["healthcheck.test[0]"] = s.Healthcheck.Test
	}
	for field, cmd := range cmds {
		if len(cmd) > 0 && cmd[0] == other {
			errs = append(errs, spec.Error{Field: field, Msg: fmt.Sprintf("%s is not in the image: with runtime.jre: %s, java is %s", other, jreName(s), javaPath(s)),
				Hint: fmt.Sprintf("write %s, or leave entrypoint out to get java -jar of the first artifact", javaPath(s))})
		}
	}
	return errs
}

// jreName is runtime.jre's value, the default named.
func jreName(s *spec.Spec) string {
	if jlinked(s) {
		return jreJlink
	}
	return jreFull
}

// JREStep names the step that links the JRE.
const JREStep = "jlink: a Java runtime of the modules the jars need (" + jreModules + "), at " + jlinkOut

// appModules is the tool's command that lists the modules the jars at llb.OutDir need into jreModules,
// run in the JVM of the build's last step when it is the tool's.
func appModules(release string) []string {
	return []string{"app-modules", release, llb.OutDir, jreModules}
}

// appRuntime links the app's JRE of the modules in app's jreModules: a step on the builder image as it
// is before the build, which mounts only that list, so it runs again only when the list changes (and a
// registry cache carries it to another builder). Its files are stamped with the jars' date, without the
// network, so the same modules give the same layer.
func appRuntime(in *llb.BuildInput, app bkllb.State) *llb.Deps {
	st := writeTool(in.Builder.State)
	args := append(append([]string{"java"}, javaToolOptions...), javaToolPath, "app-jre", jreModules, jlinkOut, jarDate(in.Epoch))
	jre := runJava(in, st, args, "runtime.jre", bkllb.Network(pb.NetMode_NONE),
		bkllb.AddMount(path.Dir(jreModules), app, bkllb.SourcePath(path.Dir(jreModules)), bkllb.Readonly), bkllb.Dir("/"),
		bkllb.WithCustomName(JREStep))
	return &llb.Deps{State: jre, Src: jlinkOut, Root: jlinkHome}
}

package java

import (
	_ "embed"
	"path"
	"strings"
	"time"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/llb"
)

// jarDate is SOURCE_DATE_EPOCH as jar --date and Maven's outputTimestamp take it, within the
// range a zip entry can hold (from 1980-01-01T00:00:02Z), so epoch 0 still gives fixed times.
func jarDate(epoch *time.Time) string {
	earliest := time.Date(1980, 1, 1, 0, 0, 2, 0, time.UTC)
	if epoch == nil || epoch.Before(earliest) {
		return earliest.Format(time.RFC3339)
	}
	return epoch.UTC().Format(time.RFC3339)
}

func (Language) Build(in *llb.BuildInput) (bkllb.State, *llb.Deps, error) {
	tool, err := detectJavaTool(in.Spec, in.Files)
	if err != nil {
		return bkllb.State{}, nil, err
	}
	v, _, err := javaVersion(in.Spec, in.Files, tool)
	if err != nil {
		return bkllb.State{}, nil, err
	}
	var st bkllb.State
	switch tool {
	case maven:
		st = buildMaven(in)
	case gradle:
		st = buildGradle(in)
	default:
		st = buildJavac(in, v, jlinked(in.Spec))
	}
	if !jlinked(in.Spec) {
		return st, nil, nil
	}
	if tool != javac { // javac's JVM lists the modules after the jars
		st = listModules(in, st, v)
	}
	return st, appRuntime(in, st), nil
}

// listModules writes the tool into a Maven or Gradle builder and lists the modules the jars need.
func listModules(in *llb.BuildInput, st bkllb.State, release string) bkllb.State {
	st = writeTool(st)
	args := append(append([]string{"java"}, javaToolOptions...), javaToolPath)
	return runJava(in, st, append(args, appModules(release)...), "runtime.jre", bkllb.Network(pb.NetMode_NONE),
		bkllb.WithCustomName("jdeps: the modules the jars need, into "+jreModules))
}

// hardenedBuildJava is HardenedBuild (javatool/HardenedBuild.java), which runs javac and jar one after the
// other in one JVM: the build is one exec-form step without a shell, and one JVM start. The JVM
// runs it as a source file (java's source-file mode, Java 11 and later), so the builder gets text
// that reads as it runs, not a class file.
//
//go:embed javatool/HardenedBuild.java
var hardenedBuildJava []byte

// javaToolPath is where the builder gets HardenedBuild.java, outside the source tree.
const javaToolPath = "/hardened/java/HardenedBuild.java"

// writeTool is st with HardenedBuild.java written, for a step that is not javac's (which gets it with the source).
func writeTool(st bkllb.State) bkllb.State {
	return st.File(bkllb.Mkdir(path.Dir(javaToolPath), 0o755, bkllb.WithParents(true)).
		Mkfile(javaToolPath, 0o644, hardenedBuildJava), bkllb.WithCustomName("write "+javaToolPath))
}

// javaToolOptions are the JVM's for the one step: C1 alone, which starts and finishes a short
// compile sooner (a javac build without Maven or Gradle is a small one); the bytecode is the same.
var javaToolOptions = []string{"-XX:TieredStopAtLevel=1"}

// buildJavac compiles each main class with everything it uses from its source root
// (javac's implicit compilation, no shell to list files) and makes its jar with fixed times:
// javac and jar for every artifact in turn, in one JVM, one step.
func buildJavac(in *llb.BuildInput, release string, modules bool) bkllb.State {
	s := in.Spec
	// The source, /hardened/out, the resource directories jar reads and the tool, in one file op: a
	// source change makes one layer before the compile, not three.
	fa := bkllb.Copy(in.Context, "/", llb.SrcDir, &bkllb.CopyInfo{
		CopyDirContentsOnly: true,
		CreateDestPath:      true,
		ExcludePatterns:     in.SourceExcludes(),
	}).Mkdir(llb.OutDir, 0o755, bkllb.WithParents(true)).
		Mkdir(path.Dir(javaToolPath), 0o755, bkllb.WithParents(true)).
		Mkfile(javaToolPath, 0o644, hardenedBuildJava)
	resources := make([]string, len(s.Artifacts))
	for i, a := range s.Artifacts {
		if root, _ := javaMainClass(a); root == javaSourceRoot || strings.HasSuffix(root, "/"+javaSourceRoot) {
			resources[i] = llb.SrcDir + "/" + strings.TrimSuffix(root, "java") + "resources"
			fa = fa.Mkdir(resources[i], 0o755, bkllb.WithParents(true))
		}
	}
	st := in.Builder.State.File(fa, bkllb.WithCustomName("copy source"), in.Locate("language"))
	args := append(append([]string{"java"}, javaToolOptions...), javaToolPath)
	var jars []string
	for i, a := range s.Artifacts {
		root, class := javaMainClass(a)
		classes := "/tmp/hardened/classes/" + class
		if i > 0 {
			args = append(args, "--")
		}
		args = append(args, "javac", "--release", release, "-encoding", "UTF-8", "-implicit:class",
			"-d", classes, "--source-path", llb.SrcDir+"/"+root, llb.SrcDir+"/"+path.Clean(a))
		jar := llb.OutDir + "/" + javaArtifactName(a)
		jars = append(jars, jar)
		args = append(args, "--", "jar", "--create", "--file", jar, "--main-class", class,
			"--date", jarDate(in.Epoch), "-C", classes, ".")
		if resources[i] != "" {
			args = append(args, "-C", resources[i], ".")
		}
	}
	name := "javac --release " + release + " and jar in one JVM: " + strings.Join(jars, " ")
	if modules {
		args = append(append(args, "--"), appModules(release)...)
		name += "; jdeps: the modules they need, into " + jreModules
	}
	// runJava names a step by its command line; this one is named by what it makes.
	return runJava(in, st, args, "artifacts", bkllb.Network(pb.NetMode_NONE), bkllb.WithCustomName(name))
}

// buildMaven resolves the pom's dependencies and plugins with the network while only pom.xml
// is copied (a source change keeps that step cached), then packages offline, with no network.
// Both steps get the spec's build secrets: a settings.xml naming a mirror is needed offline too,
// since Maven takes an artifact from its local repository only for the repository it came from.
// -U: the resolve step runs again only when pom.xml changed, and then an artifact the mirror lacked
// before (a "not found" Maven keeps in the cached repository for a day) is asked for again.
func buildMaven(in *llb.BuildInput) bkllb.State {
	repo := llb.CacheMount(in.CacheNS, "java", "m2-repository", mavenRepoDir, bkllb.CacheMountLocked)
	st := in.Builder.State.File(bkllb.Copy(in.Context, "/", llb.SrcDir, &bkllb.CopyInfo{
		IncludePatterns:     []string{"pom.xml", ".mvn"},
		CopyDirContentsOnly: true,
		CreateDestPath:      true,
	}), bkllb.WithCustomName("copy pom.xml"), in.Locate("language"))
	st = runJava(in, st, []string{"mvn", "-B", "-ntp", "-U", "dependency:go-offline"}, "language", repo, in.Network)
	st = copyJavaSource(in, st, "target")
	st = runJava(in, st, []string{"mvn", "-B", "-ntp", "-o", "package", "-DskipTests",
		"-Dproject.build.outputTimestamp=" + jarDate(in.Epoch)}, "language", repo, bkllb.Network(pb.NetMode_NONE), llb.Secrets(in.Spec))
	return layOutJars(in, st)
}

// buildGradle runs the assemble task, through the project's wrapper when it has one, with an
// init script that makes its archives reproducible. Gradle resolves plugins and dependencies
// while it configures and runs, so this one step has the network.
func buildGradle(in *llb.BuildInput) bkllb.State {
	home := llb.CacheMount(in.CacheNS, "java", "gradle", gradleHomeDir, bkllb.CacheMountShared)
	st := in.Builder.State.File(bkllb.Mkdir(path.Dir(gradleInitPath), 0o755, bkllb.WithParents(true)).
		Mkfile(gradleInitPath, 0o644, []byte(gradleInitScript)), bkllb.WithCustomName("write the reproducible-archives init script"))
	st = copyJavaSource(in, st, "build", ".gradle")
	gradleCmd := "gradle"
	if _, ok := in.Files["gradlew"]; ok {
		gradleCmd = "./gradlew"
	}
	st = runJava(in, st, []string{gradleCmd, "--no-daemon", "--init-script", gradleInitPath, "assemble"}, "language",
		home, in.Network, bkllb.AddEnv("GRADLE_USER_HOME", gradleHomeDir))
	return layOutJars(in, st)
}

// copyJavaSource copies the context into /src without the build's own output directories,
// so a stale local build never reaches the image.
func copyJavaSource(in *llb.BuildInput, st bkllb.State, outputs ...string) bkllb.State {
	return st.File(bkllb.Copy(in.Context, "/", llb.SrcDir, &bkllb.CopyInfo{
		CopyDirContentsOnly: true,
		CreateDestPath:      true,
		ExcludePatterns:     in.SourceExcludes(outputs...),
	}), bkllb.WithCustomName("copy source"), in.Locate("language"))
}

// layOutJars puts each artifact the build made at /out/<name>.
func layOutJars(in *llb.BuildInput, st bkllb.State) bkllb.State {
	fa := bkllb.Mkdir(llb.OutDir, 0o755, bkllb.WithParents(true))
	for _, a := range in.Spec.Artifacts {
		fa = fa.Copy(st, llb.SrcDir+"/"+path.Clean(a), llb.OutDir+"/"+javaArtifactName(a), &bkllb.CopyInfo{CreateDestPath: true})
	}
	return st.File(fa, bkllb.WithCustomName("copy the jars to "+llb.OutDir), in.Locate("artifacts"))
}

// runJava runs one exec-form build command in /src with the spec's builder environment.
func runJava(in *llb.BuildInput, st bkllb.State, args []string, field string, opts ...bkllb.RunOption) bkllb.State {
	opts = append(append([]bkllb.RunOption{
		bkllb.Args(args), bkllb.Dir(llb.SrcDir),
		bkllb.WithCustomName(strings.Join(args, " ")), in.Locate(field),
	}, opts...), llb.BuilderEnv(in.Spec)...)
	return st.Run(opts...).Root()
}

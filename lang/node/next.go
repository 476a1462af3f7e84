package node

import (
	"os"
	"path"
	"path/filepath"
	"regexp"

	bkllb "github.com/moby/buildkit/client/llb"

	"github.com/hardenedbuild/hardened/lang"
	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// Next.js's standalone output (next.config's output: "standalone") is a directory that runs on
// its own: server.js, the traced node_modules and package.json. Next's docs deploy it as the app's
// root, with .next/static and public copied beside server.js, which serves them.

// nextStandaloneDir is the directory next build writes the standalone server to, below the app.
const nextStandaloneDir = ".next/standalone"

// nextPort is where Next's standalone server.js listens when PORT is unset.
const nextPort = "3000"

// nextApp is the directory of the Next.js app whose standalone output is the spec's first
// artifact ("." at the context root, "packages/web" in a monorepo), or "" when it is not one.
func nextApp(s *spec.Spec) (string, bool) {
	if len(s.Artifacts) == 0 {
		return "", false
	}
	a := path.Clean(s.Artifacts[0])
	if a != nextStandaloneDir && path.Base(a) == "standalone" && path.Base(path.Dir(a)) == ".next" {
		return path.Dir(path.Dir(a)), true
	}
	return ".", a == nextStandaloneDir
}

// nextServer is server.js's path under /app: next build writes it at the app's path relative to
// the tracing root, which is the context's root when the context is the monorepo's.
func nextServer(app string) string {
	return path.Join(llb.ArtifactDir, app, "server.js")
}

// nextEnv adds what Next's standalone server reads: HOSTNAME=0.0.0.0, since container runtimes
// set HOSTNAME to the container's name and server.js would listen on that address alone, and
// PORT, its default, so the image says where it listens. The spec's env wins.
func nextEnv(s *spec.Spec, env map[string]string) map[string]string {
	if _, ok := nextApp(s); ok {
		env["HOSTNAME"] = "0.0.0.0"
		env["PORT"] = nextPort
	}
	return env
}

// nextLayout lays the standalone output out as the app's root in llb.OutDir and every other
// artifact (.next/static, public) at its own path, which is where server.js looks for them.
// The standalone output has its own node_modules and package.json: the install's ship nowhere.
func nextLayout(st bkllb.State, s *spec.Spec) *bkllb.FileAction {
	fa := bkllb.Mkdir(llb.OutDir, 0o755, bkllb.WithParents(true)).
		Copy(st, llb.SrcDir+"/"+path.Clean(s.Artifacts[0])+"/", llb.OutDir+"/", &bkllb.CopyInfo{CopyDirContentsOnly: true})
	for _, a := range s.Artifacts[1:] {
		clean := path.Clean(a)
		if insideAnother(clean, s.Artifacts[1:]) {
			continue
		}
		fa = fa.Copy(st, llb.SrcDir+"/"+clean, llb.OutDir+"/"+clean, &bkllb.CopyInfo{CreateDestPath: true, AlwaysReplaceExistingDestPaths: true})
	}
	return fa
}

// nextConfigs are the files next build reads its configuration from, in its order.
var nextConfigs = []string{"next.config.js", "next.config.mjs", "next.config.ts", "next.config.mts", "next.config.cjs"}

// standaloneOutput is output: "standalone" in a next.config, as written in JavaScript or TypeScript.
var standaloneOutput = regexp.MustCompile(`\boutput\s*:\s*["'` + "`" + `]standalone["'` + "`" + `]`)

// detectNext is the spec of a Next.js app (next in dependencies, or a next.config): its standalone
// output, .next/static and public, built by the build script. Without output: "standalone" it says
// what to add rather than shipping the whole node_modules to run next start. nil: not a Next.js app.
func detectNext(dir string, pkg *packageJSON) (*lang.Detection, error) {
	config := ""
	for _, c := range nextConfigs {
		if lang.IsFile(filepath.Join(dir, c)) {
			config = c
			break
		}
	}
	if _, dep := pkg.Dependencies["next"]; !dep && config == "" {
		return nil, nil
	}
	det := &lang.Detection{Marker: "package.json", Comments: map[string]string{}, Script: "build",
		Artifacts: []string{nextStandaloneDir, ".next/static"}}
	if fi, err := os.Stat(filepath.Join(dir, "public")); err == nil && fi.IsDir() {
		det.Artifacts = append(det.Artifacts, "public")
	}
	det.Comments["artifacts"] = "A Next.js app: its standalone output becomes /app (node runs /app/server.js, on\n" +
		"HOSTNAME=0.0.0.0 and PORT=" + nextPort + "), with .next/static and public beside server.js, which serves them."
	det.Comments["build"] = "next build, in the builder with devDependencies; the standalone output carries the\nnode_modules it traced, and the install's node_modules ships nowhere."
	if pkg.Scripts["build"] == "" {
		det.Warnings = append(det.Warnings, `package.json has no build script: add "build": "next build", which build.script runs`)
	}
	standalone := false
	if config != "" {
		data, err := os.ReadFile(filepath.Join(dir, config))
		if err != nil {
			return nil, err
		}
		standalone = standaloneOutput.Match(data)
	}
	if !standalone {
		where := config
		if where == "" {
			where, config = "a next.config.js", "next.config.js"
		}
		det.Comments["artifacts"] = "A Next.js app without standalone output: add output: \"standalone\" to " + where + ",\n" +
			"without which next build writes no .next/standalone and the build fails; shipping every\n" +
			"dependency to run next start is what standalone output avoids.\n" + det.Comments["artifacts"]
		det.Warnings = append(det.Warnings, "the build will fail until "+config+` has output: "standalone" (docs/languages.md, Next.js)`)
	}
	return det, nil
}

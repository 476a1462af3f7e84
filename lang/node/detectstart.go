package node

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// maxScriptHops bounds how many scripts init follows from start (start -> serve -> node FILE).
const maxScriptHops = 8

// startScripts are the scripts that start the app, in the order init tries them: start, else the
// production start a team keeps beside a development one ("start": "ts-node src/server.ts | pino-pretty").
var startScripts = []string{"start", "start:prod", "start:production", "prod", "serve"}

// startEntry follows the first start script that leads to a file through npm run, yarn and pnpm
// indirection to the file node runs; via names the scripts it went through, for the spec's comment.
func startEntry(scripts map[string]string) (file string, via []string) {
	for _, name := range startScripts {
		if file, via = scriptEntry(scripts, name); file != "" {
			return file, via
		}
	}
	return "", nil
}

// scriptEntry follows one script to the file node runs.
func scriptEntry(scripts map[string]string, name string) (file string, via []string) {
	for range maxScriptHops {
		script, ok := scripts[name]
		if !ok || slices.Contains(via, name) {
			return "", nil
		}
		via = append(via, name)
		if f := startFile(script); f != "" {
			return f, via
		}
		if name = runsScript(script); name == "" {
			return "", nil
		}
	}
	return "", nil
}

// runsScript is the script a script line runs through its package manager alone: "npm run serve",
// "yarn serve", "pnpm run serve"; empty for anything else (a pipeline, several commands).
func runsScript(line string) string {
	f := strings.Fields(line)
	if len(f) < 2 || strings.ContainsAny(line, "&|;<>$`") {
		return ""
	}
	switch {
	case f[0] == "npm" && (f[1] == "run" || f[1] == "run-script") && len(f) == 3:
		return f[2]
	case f[0] == "npm" && f[1] == "start" && len(f) == 2:
		return "start"
	case (f[0] == "yarn" || f[0] == "pnpm") && f[1] == "run" && len(f) == 3:
		return f[2]
	case (f[0] == "yarn" || f[0] == "pnpm") && len(f) == 2 && !strings.HasPrefix(f[1], "-"):
		return f[1]
	}
	return ""
}

// outputDirs are the names build tools write their output to by convention.
var outputDirs = []string{"dist", "build", "out"}

// runtimeDirs are the directories an app commonly reads at run time (templates, static files) that
// the project has at its root.
var runtimeDirs = []string{"views", "public", "static"}

// appArtifacts are the artifacts beside the entry: with a build script, the entry's output
// directory (the rest of what the script compiled); without, the other scripts; and the runtime
// directories there are. built says the entry is build output.
func appArtifacts(dir, entry string, buildScript bool, bins map[string]bool) (arts []string, built bool, err error) {
	arts = []string{entry}
	_, statErr := os.Stat(filepath.Join(dir, filepath.FromSlash(entry)))
	top, _, nested := strings.Cut(entry, "/")
	// An output directory a local build already filled is still the build's.
	built = buildScript && (statErr != nil || nested && slices.Contains(outputDirs, top))
	// The entry's directory holds what it requires (src/index.js and src/app.js), or is the build's output.
	if nested {
		arts = append(arts, top)
	}
	if !buildScript {
		more, err := nodeAppFiles(dir, entry, bins)
		if err != nil {
			return nil, false, err
		}
		arts = append(arts, more...)
	}
	for _, d := range runtimeDirs {
		fi, err := os.Stat(filepath.Join(dir, d))
		if err == nil && fi.IsDir() && !slices.Contains(arts, d) && path.Clean(entry) != "." {
			arts = append(arts, d)
		}
	}
	return arts, built, nil
}

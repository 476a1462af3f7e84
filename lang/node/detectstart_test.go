package node

import (
	"slices"
	"strings"
	"testing"
)

func TestStartEntry(t *testing.T) {
	for _, c := range []struct {
		name    string
		scripts map[string]string
		file    string
		via     []string
	}{
		{"direct", map[string]string{"start": "node --enable-source-maps server.js"}, "server.js", []string{"start"}},
		{"npm run", map[string]string{"start": "npm run serve", "serve": "node dist/server.js"}, "dist/server.js", []string{"start", "serve"}},
		{"yarn and pnpm", map[string]string{"start": "yarn serve", "serve": "pnpm run prod", "prod": "node out/main.js"}, "out/main.js", []string{"start", "serve", "prod"}},
		{"cycle", map[string]string{"start": "npm run a", "a": "npm start"}, "", nil},
		{"missing script", map[string]string{"start": "npm run serve"}, "", nil},
		{"pipeline", map[string]string{"start": "npm run build && node dist/a.js"}, "", nil},
		{"not node", map[string]string{"start": "next start"}, "", nil},
		{"a production start beside a development one", map[string]string{"start": "ts-node ./src/server.ts | pino-pretty", "start:prod": "node ./lib/server.js"},
			"./lib/server.js", []string{"start:prod"}},
		{"serve alone", map[string]string{"serve": "node app.js", "dev": "nodemon app.js"}, "app.js", []string{"serve"}},
	} {
		file, via := startEntry(c.scripts)
		if file != c.file || !slices.Equal(via, c.via) {
			t.Errorf("%s: got %q via %q, want %q via %q", c.name, file, via, c.file, c.via)
		}
	}
}

// The TypeScript project under testdata: the entry is build output behind two scripts, its output
// directory ships, and views, which it reads at run time, too.
func TestDetectTypeScript(t *testing.T) {
	det, err := Language{}.Detect("testdata/typescript")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"dist/server.js", "dist", "views"}; !slices.Equal(det.Artifacts, want) {
		t.Errorf("artifacts %q, want %q", det.Artifacts, want)
	}
	if det.Script != "build" || det.Comments["build"] == "" {
		t.Errorf("script %q, comment %q", det.Script, det.Comments["build"])
	}
	if c := det.Comments["artifacts"]; !strings.Contains(c, "through start -> serve") {
		t.Errorf("artifacts comment %q does not say how the entry was found", c)
	}
}

// A TypeScript project whose start script runs a watcher and whose main is the source: the Procfile's
// web process names the compiled entry, which the build script makes.
func TestDetectProcfileEntry(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"package.json":      `{"main": "src/app.ts", "scripts": {"start": "nodemon", "build": "tsc"}}`,
		"package-lock.json": "{}", "Procfile": "release: node build/migrate.js\nweb: node --enable-source-maps build/app.js\n",
		"src/app.ts": "",
	})
	det, err := Language{}.Detect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"build/app.js", "build"}; !slices.Equal(det.Artifacts, want) || det.Script != "build" {
		t.Errorf("artifacts %q script %q, want %q and the build script", det.Artifacts, det.Script, want)
	}
	if c := det.Comments["artifacts"]; !strings.Contains(c, "the Procfile's web process") {
		t.Errorf("artifacts comment %q does not name the Procfile", c)
	}
}

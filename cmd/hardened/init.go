package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/build"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/dockerfile"
	"github.com/hardenedbuild/hardened/lang/registry"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// schemaURL is where editors fetch the schema of a spec outside this repository.
const schemaURL = "https://raw.githubusercontent.com/hardenedbuild/hardened/main/docs/hardened.schema.json"

// defaultNodeMajor is written when package.json does not say which Node.js runs the app.
const defaultNodeMajor = "24"

// detection is what init found in a directory for one language.
type detection struct {
	language string
	marker   string // the file it was found by
	// artifacts and the rest are filled only for languages init can write a spec for.
	artifacts  []string
	version    string
	entrypoint []string
	script     string
	comments   map[string]string // field -> a comment written above it
	warnings   []string
	// fallbackVersion is written when the build cannot find a version in the project's files,
	// with fallbackComment above it; when it can, versionFrom names where, for a comment.
	fallbackVersion string
	fallbackComment string
	versionFrom     string
}

// detectors run in this order; the first language the frontend builds wins.
var detectors = []func(dir string) (*detection, error){
	detectGo, detectNode, detectPython, detectJava, detectRust,
}

// runInit writes DIR/hardened.yaml for the language and entry points it detects in DIR.
func runInit(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hardened init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	force := fs.Bool("force", false, "overwrite an existing hardened.yaml")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hardened init [--force] [DIR]")
		fs.PrintDefaults()
	}
	pos, code, ok := parseInterspersed(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 1 {
		fs.Usage()
		return 2
	}
	dir := "."
	if len(pos) == 1 {
		dir = pos[0]
	}
	out := filepath.Join(dir, "hardened.yaml")
	if _, err := os.Stat(out); err == nil && !*force {
		fmt.Fprintf(stderr, "hardened init: %s exists; pass --force to overwrite it\n", out)
		return 1
	}

	var found []*detection
	var problems []error
	for _, d := range detectors {
		det, err := d(dir)
		if err != nil {
			problems = append(problems, err)
		}
		if det != nil {
			found = append(found, det)
		}
	}
	det := pick(found, len(problems) > 0, stderr)
	for _, err := range problems {
		if det != nil {
			fmt.Fprintf(stderr, "hardened init: also: %v\n", err)
		} else {
			fmt.Fprintf(stderr, "hardened init: %v\n", err)
		}
	}
	if det == nil {
		return 1
	}
	chooseVersion(det, out, dir)

	data := []byte(det.yaml())
	s, err := spec.Load(out, data, registry.SpecOptions()...)
	if err != nil {
		fmt.Fprintf(stderr, "hardened init: the spec it would write does not validate (please report this):\n%v\n%s", err, data)
		return 1
	}
	if err := writeSpec(out, data, *force); err != nil {
		fmt.Fprintf(stderr, "hardened init: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s: language %s (from %s), artifacts %s\n", out, det.language, det.marker, strings.Join(det.artifacts, ", "))
	for _, w := range append(det.warnings, builderProblem(s, dir)...) {
		fmt.Fprintf(stderr, "hardened init: %s\n", w)
	}
	fmt.Fprintf(stdout, "build it: docker buildx build -f %s -o type=oci,dest=app.tar %s\n", out, dir)
	return 0
}

// pick is the first detection of a language this release builds, telling the user about the
// others; nil when there is none, after saying why.
func pick(found []*detection, problems bool, stderr io.Writer) *detection {
	supported := registry.Names()
	var chosen *detection
	for _, d := range found {
		switch {
		case !slices.Contains(supported, d.language):
			fmt.Fprintf(stderr, "hardened init: detected %s (%s), which hardened does not build yet; supported: %s\n", d.language, d.marker, strings.Join(supported, ", "))
		case d.artifacts == nil:
			fmt.Fprintf(stderr, "hardened init: detected %s (%s) but cannot write its spec yet; see docs/languages.md to write it by hand\n", d.language, d.marker)
		case chosen == nil:
			chosen = d
		default:
			fmt.Fprintf(stderr, "hardened init: also detected %s (%s); using %s\n", d.language, d.marker, chosen.language)
		}
	}
	if chosen == nil && len(found) == 0 && !problems {
		fmt.Fprintln(stderr, "hardened init: no go.mod, package.json, pyproject.toml, requirements.txt, pom.xml, build.gradle, src/main/java or Cargo.toml here; "+
			"for prebuilt binaries write language: static (docs/languages.md)")
	}
	return chosen
}

// chooseVersion writes the fallback version when the build would find none in the project's
// files, asking the language itself (as the frontend will) rather than guessing; when it finds
// one, a comment above language says which.
func chooseVersion(det *detection, out, dir string) {
	if det.version != "" || det.fallbackVersion == "" {
		return
	}
	req, err := builderImage(det, out, dir)
	if err == nil {
		if req.Field == "language" && det.versionFrom != "" {
			if det.comments == nil {
				det.comments = map[string]string{}
			}
			det.comments["language"] = fmt.Sprintf("No version line: the build takes %s from %s.", imageTag(req.Ref), det.versionFrom)
		}
		return
	}
	det.version = det.fallbackVersion
	if _, again := builderImage(det, out, dir); again != nil && again.Error() == err.Error() {
		det.version = "" // the version is not what fails: leave it to the project
		return
	}
	if det.comments == nil {
		det.comments = map[string]string{}
	}
	det.comments["version"] = det.fallbackComment
}

// builderImage is the builder the frontend would pick for the spec init would write.
func builderImage(det *detection, out, dir string) (hllb.ImageRequest, error) {
	s, err := spec.Load(out, []byte(det.yaml()), registry.SpecOptions()...)
	if err != nil {
		return hllb.ImageRequest{}, err
	}
	lang, ok := registry.Lookup(s.Language)
	if !ok {
		return hllb.ImageRequest{}, fmt.Errorf("language %s is not built", s.Language)
	}
	files, err := dockerfile.ReadContextFiles(s, dir)
	if err != nil {
		return hllb.ImageRequest{}, err
	}
	p := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	return lang.Builder(s, files, p, p)
}

// imageTag is a reference's name and tag without the registry: rust:1-trixie.
func imageTag(ref string) string {
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		ref = ref[i+1:]
	}
	return ref
}

// builderProblem is what keeps the written spec from building, as the frontend will see it:
// a go.mod without a go line, a node app without a lock file.
func builderProblem(s *spec.Spec, dir string) []string {
	lang, ok := registry.Lookup(s.Language)
	if !ok {
		return nil
	}
	files, err := dockerfile.ReadContextFiles(s, dir)
	if err != nil {
		return []string{err.Error()}
	}
	p := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	if _, err := lang.Builder(s, files, p, p); err != nil {
		return []string{"the build will fail until this is fixed: " + err.Error()}
	}
	return nil
}

// writeSpec creates the file, refusing to replace one that appeared meanwhile unless forced.
func writeSpec(name string, data []byte, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(name, flags, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists; pass --force to overwrite it", name)
		}
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// yaml is the minimal spec: what the build cannot find out by itself, nothing else.
func (d *detection) yaml() string {
	var b strings.Builder
	b.WriteString("# syntax=ghcr.io/hardenedbuild/hardened:1\n")
	b.WriteString("# yaml-language-server: $schema=" + schemaURL + "\n")
	field := func(name, value string) {
		sep := ": "
		if strings.HasPrefix(value, "\n") {
			sep = ":"
		}
		if c := d.comments[name]; c != "" {
			for _, l := range strings.Split(c, "\n") {
				b.WriteString("# " + l + "\n")
			}
		}
		b.WriteString(name + sep + value + "\n")
	}
	field("language", d.language)
	if d.version != "" {
		field("version", strconv.Quote(d.version))
	}
	field("artifacts", yamlList(d.artifacts))
	if len(d.entrypoint) > 0 {
		field("entrypoint", yamlList(d.entrypoint))
	}
	if d.script != "" {
		field("build", "\n  script: "+yamlScalar(d.script))
	}
	return b.String()
}

// yamlList is a flow sequence of scalars.
func yamlList(items []string) string {
	q := make([]string, len(items))
	for i, it := range items {
		q[i] = yamlScalar(it)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

var plainScalar = regexp.MustCompile(`^[A-Za-z0-9_./][A-Za-z0-9_./-]*$`)

// yamlScalar writes s plain when YAML reads it back as the same string, else double-quoted.
func yamlScalar(s string) string {
	if plainScalar.MatchString(s) && !slices.Contains([]string{"true", "false", "null", "yes", "no", "on", "off", "~"}, strings.ToLower(s)) {
		return s
	}
	return strconv.Quote(s)
}

// detectGo finds the module's main packages, preferring those under ./cmd when there are any.
func detectGo(dir string) (*detection, error) {
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return nil, nil
	}
	mains, err := goMains(dir)
	if err != nil {
		return nil, err
	}
	det := &detection{language: "go", marker: "go.mod"}
	var cmd []string
	for _, m := range mains {
		if strings.HasPrefix(m, "./cmd/") {
			cmd = append(cmd, m)
		}
	}
	if len(cmd) > 0 {
		mains = cmd
	}
	// Each binary is /app/<last element>: keep the first of any two that share a name.
	seen := map[string]string{}
	for _, m := range mains {
		name := spec.ArtifactName(m)
		if other, dup := seen[name]; dup {
			det.warnings = append(det.warnings, fmt.Sprintf("left out %s: it would be /app/%s, as %s is", m, name, other))
			continue
		}
		seen[name] = m
		det.artifacts = append(det.artifacts, m)
	}
	if len(det.artifacts) == 0 {
		return nil, fmt.Errorf("go.mod found, but no main package (package main with a func main) in the module; " +
			"write the spec by hand with artifacts: [./path/to/main]")
	}
	if len(det.artifacts) > 1 {
		det.comments = map[string]string{"artifacts": "The first artifact is the entrypoint; write entrypoint: [/app/NAME] to run another."}
	}
	return det, nil
}

// goMains lists, sorted, the directories of the module at dir whose package is main for
// linux, as ./path (or . for the root), skipping what the go command skips and nested modules.
func goMains(dir string) ([]string, error) {
	ctxt := build.Default
	ctxt.GOOS, ctxt.GOARCH = "linux", "amd64"
	var mains []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() {
			return nil
		}
		if p != dir {
			n := e.Name()
			if strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") || n == "testdata" || n == "vendor" || n == "node_modules" {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
		}
		pkg, err := ctxt.ImportDir(p, 0)
		if err != nil || pkg.Name != "main" {
			return nil // no Go files, or not one buildable package: not an artifact
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel == "." {
			mains = append(mains, ".")
		} else {
			mains = append(mains, "./"+filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(mains)
	return mains, err
}

// packageJSON is what init reads of package.json.
type packageJSON struct {
	Main    string            `json:"main"`
	Scripts map[string]string `json:"scripts"`
	Engines struct {
		Node string `json:"node"`
	} `json:"engines"`
}

// detectNode takes the entry point from the start script ("node server.js"), else main,
// else index.js.
func detectNode(dir string) (*detection, error) {
	data, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var pkg packageJSON
	if err := json.Unmarshal(data, &pkg); err != nil {
		return nil, fmt.Errorf("package.json is not valid JSON: %v", err)
	}
	det := &detection{language: "node", marker: "package.json", comments: map[string]string{}}
	entry, entryFrom := "", ""
	for i, candidate := range []string{startFile(pkg.Scripts["start"]), pkg.Main, "index.js"} {
		if candidate == "" {
			continue
		}
		entryFrom = [...]string{"the start script", "package.json's main", "index.js"}[i]
		c := path.Clean(strings.ReplaceAll(candidate, `\`, "/"))
		if strings.HasPrefix(c, "../") || path.IsAbs(c) {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(c))); err == nil || (pkg.Scripts["build"] != "" && c != "index.js") {
			entry = c // a build script may make it
			break
		}
	}
	if entry == "" {
		return nil, fmt.Errorf(`package.json found, but no entry point: no "start": "node FILE" script, no "main" and no index.js`)
	}
	det.artifacts = []string{entry}
	if pkg.Scripts["build"] == "" {
		more, err := nodeAppFiles(dir, entry)
		if err != nil {
			return nil, err
		}
		det.artifacts = append(det.artifacts, more...)
	}
	det.comments["artifacts"] = "The first artifact is what node runs; add every other file and directory it needs at run time."
	if len(det.artifacts) > 1 {
		det.comments["artifacts"] = "The first artifact is what node runs (" + entryFrom + "); the others are the top-level\nscripts and directories of scripts beside it. Add every other file it needs at run time."
	}
	if pkg.Engines.Node == "" {
		det.version = defaultNodeMajor
		det.comments["version"] = `package.json has no engines.node: the Node.js major the app builds and runs with.`
	}
	if pkg.Scripts["build"] != "" {
		det.script = "build"
	}
	return det, nil
}

// nodeNotApp are top-level names that hold no code the app runs: tests, tooling, output.
var nodeNotApp = []string{"node_modules", "test", "tests", "__tests__", "spec", "coverage", "docs", "doc", "examples", "scripts", "bench", "benchmarks", "tmp"}

// nodeScript is a file node loads; config files of tools beside it are not.
func nodeScript(name string) bool {
	ext := path.Ext(name)
	if ext != ".js" && ext != ".mjs" && ext != ".cjs" {
		return false
	}
	base := strings.TrimSuffix(name, ext)
	return !strings.HasSuffix(base, ".config") && !strings.HasSuffix(base, ".test") && !strings.HasSuffix(base, ".spec") &&
		!slices.Contains([]string{"gulpfile", "Gruntfile", "Jakefile"}, base)
}

// nodeAppFiles are, sorted, the app's other top-level directories holding scripts, then its
// other top-level scripts, leaving out tests, tooling and what npm ci makes.
func nodeAppFiles(dir, entry string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	if entry == "." {
		return nil, nil // the whole directory is the app
	}
	top, _, _ := strings.Cut(entry, "/")
	var dirs, files []string
	for _, e := range entries {
		n := e.Name()
		if n == top || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") || slices.Contains(nodeNotApp, n) {
			continue
		}
		switch {
		case e.Type().IsRegular() && nodeScript(n):
			files = append(files, n)
		case e.IsDir() && hasNodeScript(filepath.Join(dir, n)):
			dirs = append(dirs, n)
		}
	}
	return append(dirs, files...), nil
}

// hasNodeScript says whether a directory holds a script, at any depth outside node_modules.
func hasNodeScript(dir string) bool {
	found := false
	_ = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		switch {
		case err != nil || found:
			return filepath.SkipAll
		case e.IsDir() && e.Name() == "node_modules":
			return filepath.SkipDir
		case !e.IsDir() && nodeScript(e.Name()):
			found = true
		}
		return nil
	})
	return found
}

// startFile is the script node runs in a start script of the form "node [FLAGS] FILE ...".
func startFile(script string) string {
	f := strings.Fields(script)
	if len(f) < 2 || (f[0] != "node" && f[0] != "nodejs") {
		return ""
	}
	for _, a := range f[1:] {
		if strings.ContainsAny(a, "&|;<>$`") {
			return ""
		}
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return ""
}

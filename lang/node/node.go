package node

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	bkllb "github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/lang"
	"github.com/hardenedbuild/hardened/lifecycle"
	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// node installs production dependencies from the project's lock file in the official node
// image, with npm, pnpm or yarn as the lock file says, and ships node_modules with the app's
// files on distroless nodejs, which has no package manager and no shell.
//
// Artifacts are the files and directories the app needs at run time, relative to the
// context; each keeps its path under /app (so relative requires still resolve), next to
// package.json and node_modules. The first artifact is what node runs: a file, or a
// directory with an index.js or a package.json main.
type Language struct{}

// nodeEntry is where distroless nodejs has its interpreter.
const nodeEntry = "/nodejs/bin/node"

// Describe is the language's part of the spec fields' descriptions.
func (Language) Describe() map[string]string {
	return map[string]string{
		"version":      "a major distroless ships, 22, 24 or 26, or an exact 24.11.1, default the newest one package.json engines.node allows",
		"artifacts":    "the app's files and directories, kept at /app/<path>, the first one run by node",
		"build.script": "a package.json script run in the builder before the app is copied (npm run <script>), with devDependencies installed",
	}
}

func (Language) Name() string { return "node" }

func (Language) Inputs() lang.Inputs {
	// .npmrc only for checkIncludes: npm reads it from the copied source itself.
	return lang.Inputs{Manifests: []string{"package.json", ".yarnrc.yml", ".npmrc", "pnpm-workspace.yaml"}, Needed: []string{"package.json"}, LockFiles: nodeLocks,
		Fields: []string{"version", "build.env", "build.script", "build.steps", "build.packages"}, Markers: []string{"package.json"},
		BuilderImages: []string{"node"}, VersionTags: true}
}

func (Language) Layout() lang.Layout { return lang.Layout{AppDir: true, InContext: true, AsIs: true} }

var nodeVersionForm = regexp.MustCompile(`^[1-9][0-9]*(\.[0-9]+){0,2}$`)

func (Language) Validate(s *spec.Spec) spec.Errors {
	var errs spec.Errors
	if v := s.Version; v != "" && !nodeVersionForm.MatchString(v) {
		errs = append(errs, spec.Error{Field: "version", Msg: fmt.Sprintf("%q is not a Node.js version", v),
			Hint: `write the major version, e.g. version: "24", or an exact one such as "24.11.1" (no v prefix)`})
	} else if e := nodeVersionError(s); e != nil {
		errs = append(errs, *e)
	}
	if sc := s.Build.Script; sc != "" && (strings.HasPrefix(sc, "-") || strings.IndexFunc(sc, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}) >= 0) {
		errs = append(errs, spec.Error{Field: "build.script", Msg: fmt.Sprintf("%q is not a package.json script name", sc),
			Hint: "write the name of one script from package.json, e.g. script: build"})
	}
	return errs
}

func (Language) Builder(s *spec.Spec, files llb.Files, target, _ ocispecs.Platform) (llb.ImageRequest, error) {
	v, field, err := nodeVersion(s, files)
	if err != nil {
		return llb.ImageRequest{}, err
	}
	if _, err := detectNodeManager(s, files); err != nil {
		return llb.ImageRequest{}, err
	}
	// The install runs dependencies' install scripts, which may build native addons for the target.
	return llb.ImageRequest{
		Ref:      "docker.io/library/node:" + v + "-" + llb.DebianOf(s).Codename + "-slim",
		Role:     "builder",
		Platform: target,
		Field:    field,
	}, nil
}

func (Language) Base(s *spec.Spec, files llb.Files, target ocispecs.Platform) (llb.ImageRequest, error) {
	v, field, err := nodeVersion(s, files)
	if err != nil {
		return llb.ImageRequest{}, err
	}
	major, _, _ := strings.Cut(v, ".")
	return llb.Distroless(s, "nodejs"+major, target, field), nil
}

// BaseReadsNoFiles: a version in the spec names the Node.js major before package.json's engines
// (BaseFromSpec).
func (Language) BaseNeedsFiles(s *spec.Spec) bool { return s.Version == "" }

func (Language) Entrypoint(s *spec.Spec, _ llb.Files) []string {
	if len(s.Artifacts) == 0 {
		return nil
	}
	if app, ok := nextApp(s); ok {
		return []string{nodeEntry, nextServer(app)}
	}
	return []string{nodeEntry, path.Join(llb.ArtifactDir, path.Clean(s.Artifacts[0]))}
}

func (Language) ArtifactName(artifact string, _ llb.Files) string { return spec.ArtifactName(artifact) }

// nodeVersion is the spec's version, else the newest supported major package.json's engines.node
// allows (">=18" gives the newest). There is no silent default: which Node.js runs the app is the
// team's choice, as go.mod's go line is for Go.
func nodeVersion(s *spec.Spec, files llb.Files) (version, field string, err error) {
	g := llb.DebianOf(s)
	if s.Version != "" {
		if e := nodeVersionError(s); e != nil {
			e.File, e.Pos = s.File(), s.Pos("version")
			return "", "", spec.Errors{*e}
		}
		return s.Version, "version", nil
	}
	fail := func(field, msg, hint string) (string, string, error) {
		return "", "", spec.Errors{{File: s.File(), Pos: s.Pos("language"), Field: field, Msg: msg, Hint: hint}}
	}
	pkg, ok := files["package.json"]
	if !ok {
		return fail("language", "no package.json at the root of the build context", "run `npm init` in the context, or build from the package's directory")
	}
	var p struct {
		Engines struct {
			Node string `json:"node"`
		} `json:"engines"`
	}
	if err := json.Unmarshal(pkg, &p); err != nil {
		return fail("language", "package.json is not valid JSON: "+err.Error(), "fix package.json")
	}
	oldest, newest := ends(g.NodeMajors())
	if strings.TrimSpace(p.Engines.Node) == "" {
		return fail("language", "no Node.js version: the spec has no version and package.json no engines.node",
			fmt.Sprintf(`write version: %q in the spec, or "engines": {"node": ">=%s"} in package.json`, newest, oldest))
	}
	r, err := parseNodeRange(p.Engines.Node)
	if err != nil {
		return fail("version", fmt.Sprintf("package.json engines.node %q is not a range: %v", p.Engines.Node, err),
			fmt.Sprintf(`write a range such as ">=%s" or "^%s", or version: %q in the spec`, oldest, newest, newest))
	}
	if m := newestAllowed(r, g.NodeMajors()); m != "" {
		return m, "language", nil
	}
	e := spec.Error{File: s.File(), Pos: s.Pos("language"), Field: "version",
		Msg: fmt.Sprintf("package.json engines.node %q allows none of the Node.js majors supported on %s: %s",
			p.Engines.Node, g.Name(), strings.Join(g.NodeMajors(), ", ")),
		Hint: fmt.Sprintf(`widen engines.node to allow one, e.g. ">=%s", or write version: %q in the spec`, oldest, newest)}
	for _, other := range llb.DebianGens {
		if other.Current && other.Version != g.Version && newestAllowed(r, other.NodeMajors()) != "" {
			e.Hint = fmt.Sprintf("remove debian: %q to build on %s, whose Node.js majors it allows, or %s", s.Debian, other.Name(), e.Hint)
		}
	}
	return "", "", spec.Errors{e}
}

// ends are the first and last of a non-empty list, else two empty strings.
func ends(l []string) (first, last string) {
	if len(l) == 0 {
		return "", ""
	}
	return l[0], l[len(l)-1]
}

// newestAllowed is the newest of majors (oldest first) that the range allows, or "".
func newestAllowed(r nodeRange, majors []string) string {
	for i := len(majors) - 1; i >= 0; i-- {
		if n, err := strconv.Atoi(majors[i]); err == nil && r.allowsMajor(n) {
			return majors[i]
		}
	}
	return ""
}

// nodeVersionError refuses a spec version whose major distroless does not ship for the spec's Debian.
func nodeVersionError(s *spec.Spec) *spec.Error {
	v := s.Version
	if v == "" || !nodeVersionForm.MatchString(v) {
		return nil
	}
	major, _, _ := strings.Cut(v, ".")
	if slices.Contains(llb.DebianOf(s).NodeMajors(), major) {
		return nil
	}
	e := llb.UnsupportedVersion(s, "version", spec.Pos{}, "Node.js", lifecycle.NodeJS, fmt.Sprintf("%q: ", v), major, llb.DebianGen.NodeMajors)
	return &e
}

// Build's tree is node_modules as the install left it (after the build script's prune, with one).
func (Language) Build(in *llb.BuildInput) (bkllb.State, *llb.Deps, error) {
	s := in.Spec
	pm, err := detectNodeManager(s, in.Files)
	if err != nil {
		return bkllb.State{}, nil, err
	}
	b := newBuildSteps(in, pm)
	_, next := nextApp(s)

	// The manifests and lock file first, so a source change reuses the install.
	manifests := &bkllb.CopyInfo{IncludePatterns: pm.manifest(), CopyDirContentsOnly: true, CreateDestPath: true}
	if ws := workspaceManifests(pm, in.Files); len(ws) > 0 {
		// A pattern such as **/package.json would otherwise take every package in a local node_modules.
		manifests.IncludePatterns, manifests.ExcludePatterns = append(manifests.IncludePatterns, ws...), []string{"node_modules", "**/node_modules"}
	}
	st := in.Builder.State.File(bkllb.Copy(in.Context, "/", llb.SrcDir, manifests),
		bkllb.WithCustomName("copy package.json and "+pm.lock), in.Locate("language"))

	if b.tool.fetch != nil {
		// The manager goes into its own prefix of the builder, so it shadows no tool the image
		// has (the official images' yarn v1) and the offline steps after it find it.
		st = st.Run(append([]bkllb.RunOption{
			bkllb.Args(b.tool.fetch), bkllb.Dir(llb.SrcDir), llb.CacheMount(in.CacheNS, "node", "npm", "/root/.npm", bkllb.CacheMountShared),
			in.Network, bkllb.WithCustomName(strings.Join(b.tool.fetch, " ")), in.Locate("language"),
		}, b.env...)...).Root()
	}

	// A build script needs the devDependencies; they are pruned after it. The app's package of a
	// workspace has only its own installed (focus.go).
	sc := s.Build.Script
	app := focusedApp(s, pm, in.Files)
	st = b.step(st, "language", false, sc != "", append(pm.install(sc == ""), focusArgs(pm, app)...)...)
	switch {
	case pm.berry && app != "":
		st = b.stepIn(path.Join(llb.SrcDir, app), st, "language", true, false, "workspaces", "focus", "--production")
	case pm.berry && sc == "":
		st = b.step(st, "language", true, false, pm.prune()...)
	}
	if sc == "" {
		st = ensureNodeModules(st)
	}
	deps := &llb.Deps{State: st, Src: llb.SrcDir + "/node_modules", Dest: "node_modules"}

	// node_modules stays the one the install made, whatever the context holds.
	st = st.File(bkllb.Copy(in.Context, "/", llb.SrcDir, &bkllb.CopyInfo{
		CopyDirContentsOnly: true,
		CreateDestPath:      true,
		ExcludePatterns:     in.SourceExcludes("node_modules", "**/node_modules"),
	}), bkllb.WithCustomName("copy source"), in.Locate("language"))

	if sc != "" {
		st = b.step(st, "build.script", true, false, "run", sc)
		if next {
			// The standalone output carries the node_modules it traced: the install's ships nowhere.
			deps = nil
		} else {
			st = ensureNodeModules(b.step(st, "build.script", true, false, pm.prune()...))
			deps.State = st
		}
		st = checkBuilt(st, in)
	}

	fa, what := appLayout(st, s), "package.json and the artifacts"
	if next {
		fa, what = nextLayout(st, s), "the Next.js standalone output and the other artifacts"
	}
	return st.File(fa, bkllb.WithCustomName("lay out the app in "+llb.OutDir+": "+what), in.Locate("artifacts")), deps, nil
}

// ensureNodeModules makes node_modules, which a package without dependencies gets no install of.
func ensureNodeModules(st bkllb.State) bkllb.State {
	return st.File(bkllb.Mkdir(llb.SrcDir+"/node_modules", 0o755, bkllb.WithParents(true)),
		bkllb.WithCustomName("ensure node_modules"))
}

// insideAnother says a is below another of the artifacts, whose copy brings it: copied first, it
// would make that directory, into which BuildKit then copies the other as a subdirectory
// (src/index.js, then src, gave /app/src/src).
func insideAnother(a string, artifacts []string) bool {
	for _, b := range artifacts {
		if b = path.Clean(b); b != a && (b == "." || strings.HasPrefix(a, b+"/")) {
			return true
		}
	}
	return false
}

// appLayout is the app without node_modules, which the final stage takes from the install's step:
// package.json and each artifact at its own path.
func appLayout(st bkllb.State, s *spec.Spec) *bkllb.FileAction {
	fa := bkllb.Mkdir(llb.OutDir, 0o755, bkllb.WithParents(true)).
		Copy(st, llb.SrcDir+"/package.json", llb.OutDir+"/package.json", &bkllb.CopyInfo{CreateDestPath: true})
	for _, a := range s.Artifacts {
		clean := path.Clean(a)
		if insideAnother(clean, s.Artifacts) {
			continue
		}
		if clean == "." {
			fa = fa.Copy(st, llb.SrcDir+"/", llb.OutDir+"/", &bkllb.CopyInfo{CopyDirContentsOnly: true, AlwaysReplaceExistingDestPaths: true,
				ExcludePatterns: []string{"node_modules"}})
			continue
		}
		fa = fa.Copy(st, llb.SrcDir+"/"+clean, llb.OutDir+"/"+clean, &bkllb.CopyInfo{CreateDestPath: true, AlwaysReplaceExistingDestPaths: true})
	}
	return fa
}

package node

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
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
	return lang.Inputs{Manifests: []string{"package.json", ".yarnrc.yml", ".npmrc"}, LockFiles: nodeLocks,
		Fields: []string{"version", "build.env", "build.script", "build.steps", "build.packages"}, Markers: []string{"package.json"}}
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
	t := pm.tool(in.Builder.Config)
	cache := pm.cache(in.CacheNS)
	// The install a build script needs keeps devDependencies, which NODE_ENV=production would drop.
	devEnv := append(pm.env(), llb.BuilderEnv(s)...)
	env := append(append(productionEnv(s.Build.Env), pm.env()...), llb.BuilderEnv(s)...)
	step := func(st bkllb.State, field string, offline bool, args ...string) bkllb.State {
		opts := append([]bkllb.RunOption{
			bkllb.Args(append(slices.Clone(t.run), args...)), bkllb.Dir(llb.SrcDir), cache,
			bkllb.WithCustomName(strings.Join(append([]string{pm.name}, args...), " ")), in.Locate(field),
		}, env...)
		if offline {
			opts = append(opts, bkllb.Network(pb.NetMode_NONE))
			if pm.berry {
				opts = append(opts, bkllb.AddEnv("YARN_ENABLE_NETWORK", "0"))
			}
		} else {
			opts = append(opts, in.Network)
		}
		return st.Run(opts...).Root()
	}
	// A package without dependencies gets no node_modules from the install.
	ensure := func(st bkllb.State) bkllb.State {
		return st.File(bkllb.Mkdir(llb.SrcDir+"/node_modules", 0o755, bkllb.WithParents(true)),
			bkllb.WithCustomName("ensure node_modules"))
	}

	// The manifest and lock file first, so a source change reuses the install.
	st := in.Builder.State.File(bkllb.Copy(in.Context, "/", llb.SrcDir, &bkllb.CopyInfo{
		IncludePatterns:     pm.manifest(),
		CopyDirContentsOnly: true,
		CreateDestPath:      true,
	}), bkllb.WithCustomName("copy package.json and "+pm.lock), in.Locate("language"))

	if t.fetch != nil {
		// The manager goes into its own prefix of the builder, so it shadows no tool the image
		// has (the official images' yarn v1) and the offline steps after it find it.
		st = st.Run(append([]bkllb.RunOption{
			bkllb.Args(t.fetch), bkllb.Dir(llb.SrcDir), llb.CacheMount(in.CacheNS, "node", "npm", "/root/.npm", bkllb.CacheMountShared),
			in.Network, bkllb.WithCustomName(strings.Join(t.fetch, " ")), in.Locate("language"),
		}, env...)...).Root()
	}

	// A build script needs the devDependencies; they are pruned after it.
	sc := s.Build.Script
	prodEnv := env
	if sc != "" {
		env = devEnv
	}
	st = step(st, "language", false, pm.install(sc == "")...)
	env = prodEnv
	if pm.berry && sc == "" {
		st = step(st, "language", true, pm.prune()...)
	}
	if sc == "" {
		st = ensure(st)
	}
	deps := llb.Deps{State: st, Src: llb.SrcDir + "/node_modules", Dest: "node_modules"}

	// node_modules stays the one the install made, whatever the context holds.
	st = st.File(bkllb.Copy(in.Context, "/", llb.SrcDir, &bkllb.CopyInfo{
		CopyDirContentsOnly: true,
		CreateDestPath:      true,
		ExcludePatterns:     in.SourceExcludes("node_modules", "**/node_modules"),
	}), bkllb.WithCustomName("copy source"), in.Locate("language"))

	if sc != "" {
		st = step(st, "build.script", true, "run", sc)
		st = ensure(step(st, "build.script", true, pm.prune()...))
		deps.State = st
		st = checkBuilt(st, in)
	}

	// The app without node_modules, which the final stage takes from deps.State.
	fa := bkllb.Mkdir(llb.OutDir, 0o755, bkllb.WithParents(true)).
		Copy(st, llb.SrcDir+"/package.json", llb.OutDir+"/package.json", &bkllb.CopyInfo{CreateDestPath: true})
	for _, a := range s.Artifacts {
		clean := path.Clean(a)
		if clean == "." {
			fa = fa.Copy(st, llb.SrcDir+"/", llb.OutDir+"/", &bkllb.CopyInfo{CopyDirContentsOnly: true, AlwaysReplaceExistingDestPaths: true,
				ExcludePatterns: []string{"node_modules"}})
			continue
		}
		fa = fa.Copy(st, llb.SrcDir+"/"+clean, llb.OutDir+"/"+clean, &bkllb.CopyInfo{CreateDestPath: true, AlwaysReplaceExistingDestPaths: true})
	}
	return st.File(fa, bkllb.WithCustomName("lay out the app in "+llb.OutDir+": package.json and the artifacts"),
		in.Locate("artifacts")), &deps, nil
}

// nodeLocks are the lock files a node project may have, one per package manager.
var nodeLocks = []string{"package-lock.json", "pnpm-lock.yaml", "yarn.lock"}

// nodeManager is the package manager a project's lock file belongs to.
type nodeManager struct {
	name  string // npm, pnpm or yarn
	lock  string
	berry bool // yarn 2 or later
	// version is package.json's packageManager version (exact), else the major the lock's
	// format belongs to; fromPackageJSON says which. npm always runs as the image has it.
	version         string
	fromPackageJSON bool
}

// packageManagerForm is package.json's packageManager: name@exact-version, optionally with
// the +sha512.<hex> hash corepack verifies.
var packageManagerForm = regexp.MustCompile(`^(npm|pnpm|yarn)@([0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.]+)?)(\+[a-z0-9]+\.[0-9a-f]+)?$`)

var (
	pnpmLockVersion  = regexp.MustCompile(`(?m)^lockfileVersion: *['"]?([0-9]+)\.([0-9]+)`)
	berryLockVersion = regexp.MustCompile(`(?m)^__metadata:\r?\n +version: *([0-9]+)`)
	yarnPath         = regexp.MustCompile(`(?m)^yarnPath: *\S`)
)

// detectNodeManager chooses the package manager by the one lock file at the context root;
// package.json's packageManager, when it names one, must agree and gives the exact version.
func detectNodeManager(s *spec.Spec, files llb.Files) (nodeManager, error) {
	fail := func(msg, hint string) (nodeManager, error) {
		return nodeManager{}, spec.Errors{{File: s.File(), Pos: s.Pos("language"), Field: "language", Msg: msg, Hint: hint}}
	}
	var locks []string
	for _, l := range nodeLocks {
		if _, ok := files[l]; ok {
			locks = append(locks, l)
		}
	}
	var p struct {
		PackageManager string `json:"packageManager"`
	}
	if pkg, ok := files["package.json"]; ok {
		if err := json.Unmarshal(pkg, &p); err != nil {
			return fail("package.json is not valid JSON: "+err.Error(), "fix package.json")
		}
	}
	var named, version string
	if p.PackageManager != "" {
		m := packageManagerForm.FindStringSubmatch(p.PackageManager)
		if m == nil {
			return fail(fmt.Sprintf("package.json packageManager %q is not a package manager at an exact version", p.PackageManager),
				`write e.g. "packageManager": "pnpm@9.15.0" (npm, pnpm or yarn, then @ and the exact version)`)
		}
		named, version = m[1], m[2]
	}
	switch len(locks) {
	case 0:
		hint := "run `npm install`, `pnpm install` or `yarn install` and add the lock file it writes to the context"
		if named != "" {
			hint = "run `" + named + " install` and add the lock file it writes to the context"
		}
		return fail("no lock file at the root of the build context: no package-lock.json, pnpm-lock.yaml or yarn.lock; the install installs exactly what a lock file names", hint)
	case 1:
	default:
		return fail(strings.Join(locks, " and ")+" are at the root of the build context together; the one lock file present chooses the package manager",
			"keep the lock file of the package manager the project uses and delete the others")
	}
	pm := nodeManager{lock: locks[0], version: version, fromPackageJSON: version != ""}
	lock := files[pm.lock]
	switch pm.lock {
	case "package-lock.json":
		pm.name = "npm"
	case "pnpm-lock.yaml":
		pm.name = "pnpm"
		if m := pnpmLockVersion.FindSubmatch(lock); version == "" && m != nil {
			// pnpm 9 and 10 write 9.0, pnpm 8 6.0, pnpm 7 5.4.
			pm.version = map[string]string{"9.0": "9", "6.0": "8", "5.4": "7"}[string(m[1])+"."+string(m[2])]
		}
	case "yarn.lock":
		pm.name = "yarn"
		_, yarnrc := files[".yarnrc.yml"]
		m := berryLockVersion.FindSubmatch(lock)
		// A berry lock says __metadata; an empty or unknown one follows .yarnrc.yml, berry's settings.
		pm.berry = m != nil || (yarnrc && !bytes.Contains(lock, []byte("# yarn lockfile v1")))
		if version != "" {
			pm.berry = !strings.HasPrefix(version, "1.")
			if pm.berry != (m != nil) {
				format := map[bool]string{true: "yarn 2 or later", false: "yarn v1"}
				return fail(fmt.Sprintf("package.json packageManager names yarn %s, but yarn.lock is in the format of %s", version, format[m != nil]),
					"run `yarn install` with the yarn that packageManager names, or change packageManager to the yarn that wrote yarn.lock")
			}
		} else if m != nil && yarnPath.Match(files[".yarnrc.yml"]) {
			// The committed yarnPath release runs whichever yarn starts it; a berry of the lock's major
			// is enough. yarn 4 writes version 8 and up, yarn 3 versions 5 to 7, yarn 2 version 4.
			switch n, _ := strconv.Atoi(string(m[1])); {
			case n >= 8:
				pm.version = "4"
			case n >= 5:
				pm.version = "3"
			case n == 4:
				pm.version = "2"
			}
		} else if !pm.berry {
			pm.version = "1"
		}
	}
	if named != "" && named != pm.name {
		return fail(fmt.Sprintf("package.json packageManager names %s, but the lock file is %s", named, pm.lock),
			fmt.Sprintf("install with %s and keep its lock file only, or change packageManager to the manager of %s", named, pm.lock))
	}
	if pm.version == "" && pm.berry {
		// A newer yarn of the same major rewrites the lock's metadata, which --immutable refuses.
		return fail("yarn.lock is yarn 2 or later's, and package.json does not name the exact yarn that keeps it as it is",
			`run yarn set version in the project, which writes e.g. "packageManager": "yarn@4.5.3" to package.json (or commit a yarnPath release)`)
	}
	if pm.version == "" && pm.name != "npm" {
		return fail(fmt.Sprintf("%s does not say which %s wrote it", pm.lock, pm.name),
			fmt.Sprintf(`name it in package.json, e.g. "packageManager": "%s@%s"`, pm.name, map[string]string{"pnpm": "9.15.0", "yarn": "4.5.3"}[pm.name]))
	}
	return pm, nil
}

// nodeTool is how the builder runs the manager: run is the command's first words, fetch the
// step that gets the manager first (none when the image has it).
type nodeTool struct {
	run   []string
	fetch []string
}

// nodeManagerPrefix is where the builder installs a manager the image lacks.
const nodeManagerPrefix = "/opt/hardened/"

// tool gets the manager the way official-image users do: corepack, when the image has it and
// package.json names the manager; the official images' own yarn v1 for a v1 lock; else that
// exact version (or the lock's major) from the npm registry, installed with npm.
func (pm nodeManager) tool(cfg *dockerspec.DockerOCIImage) nodeTool {
	if pm.name == "npm" {
		return nodeTool{run: []string{"npm"}}
	}
	if pm.fromPackageJSON && imageHasCorepack(cfg) {
		return nodeTool{run: []string{"corepack", pm.name}}
	}
	if pm.name == "yarn" && !pm.berry && !pm.fromPackageJSON && strings.HasPrefix(llb.ImageEnv(cfg, "YARN_VERSION", ""), "1.") {
		return nodeTool{run: []string{"yarn"}}
	}
	pkg := pm.name
	if pm.berry {
		pkg = "@yarnpkg/cli-dist"
	}
	prefix := nodeManagerPrefix + pm.name
	return nodeTool{
		run:   []string{prefix + "/bin/" + pm.name},
		fetch: []string{"npm", "install", "--global", "--prefix", prefix, pkg + "@" + pm.version},
	}
}

// imageHasCorepack: the official node images say their Node.js in NODE_VERSION, and ship
// corepack from Node.js 16 up to 24 (Node.js 25 no longer bundles it).
func imageHasCorepack(cfg *dockerspec.DockerOCIImage) bool {
	major, _, _ := strings.Cut(llb.ImageEnv(cfg, "NODE_VERSION", ""), ".")
	n, err := strconv.Atoi(major)
	return err == nil && n >= 16 && n <= 24
}

// cache is the manager's own cache. npm's and pnpm's stores are made for concurrent use;
// yarn's caches are not (yarn v1 corrupts a cache two installs write), so builds take turns.
func (pm nodeManager) cache(ns string) bkllb.RunOption {
	switch {
	case pm.name == "pnpm":
		return llb.CacheMount(ns, "node", "pnpm-store", "/root/.local/share/pnpm/store", bkllb.CacheMountShared)
	case pm.berry:
		return llb.CacheMount(ns, "node", "yarn-berry", "/root/.yarn/berry", bkllb.CacheMountLocked)
	case pm.name == "yarn":
		return llb.CacheMount(ns, "node", "yarn", "/root/.cache/yarn", bkllb.CacheMountLocked)
	}
	return llb.CacheMount(ns, "node", "npm", "/root/.npm", bkllb.CacheMountShared)
}

func (pm nodeManager) env() []bkllb.RunOption {
	env := []bkllb.RunOption{
		bkllb.AddEnv("npm_config_cache", "/root/.npm"),
		bkllb.AddEnv("npm_config_update_notifier", "false"),
		bkllb.AddEnv("npm_config_fund", "false"),
		bkllb.AddEnv("npm_config_audit", "false"),
	}
	switch {
	case pm.name == "pnpm":
		env = append(env, bkllb.AddEnv("npm_config_store_dir", "/root/.local/share/pnpm/store"))
	case pm.berry:
		// node_modules, not Plug'n'Play: the image runs plain node on the app.
		env = append(env, bkllb.AddEnv("YARN_NODE_LINKER", "node-modules"),
			bkllb.AddEnv("YARN_ENABLE_GLOBAL_CACHE", "true"), bkllb.AddEnv("YARN_GLOBAL_FOLDER", "/root/.yarn/berry"),
			bkllb.AddEnv("YARN_ENABLE_TELEMETRY", "0"))
	case pm.name == "yarn":
		env = append(env, bkllb.AddEnv("YARN_CACHE_FOLDER", "/root/.cache/yarn"))
	}
	if pm.name != "npm" {
		env = append(env, bkllb.AddEnv("COREPACK_ENABLE_DOWNLOAD_PROMPT", "0"))
	}
	return env
}

// manifest is what the install step sees: package.json, the lock and the manager's settings.
func (pm nodeManager) manifest() []string {
	files := []string{"package.json", pm.lock}
	switch {
	case pm.name == "pnpm":
		files = append(files, "pnpm-workspace.yaml", ".npmrc", "patches")
	case pm.berry:
		files = append(files, ".yarnrc.yml", ".yarn/releases", ".yarn/plugins", ".yarn/patches")
	case pm.name == "yarn":
		files = append(files, ".yarnrc", ".npmrc")
	}
	return files
}

// install installs from the lock without changing it; prod leaves devDependencies out.
// yarn 2+ installs everything (--immutable checks the lock) and prune focuses it.
func (pm nodeManager) install(prod bool) []string {
	var args []string
	switch {
	case pm.name == "npm":
		args = []string{"ci"}
		if prod {
			args = append(args, "--omit=dev")
		}
	case pm.name == "pnpm":
		args = []string{"install", "--frozen-lockfile"}
		if prod {
			args = append(args, "--prod")
		}
	case pm.berry:
		args = []string{"install", "--immutable"}
	default:
		args = []string{"install", "--frozen-lockfile"}
		if prod {
			args = append(args, "--production")
		}
	}
	return args
}

// prune removes the devDependencies, offline, from what the lock installed.
func (pm nodeManager) prune() []string {
	switch {
	case pm.name == "npm":
		return []string{"prune", "--omit=dev"}
	case pm.name == "pnpm":
		return []string{"prune", "--prod"}
	case pm.berry:
		return []string{"workspaces", "focus", "--all", "--production"}
	}
	return []string{"install", "--frozen-lockfile", "--production", "--offline"}
}

package node

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

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
	pm, p := chooseNodeManager(files)
	if p != nil {
		return nodeManager{}, spec.Errors{{File: s.File(), Pos: s.Pos("language"), Field: "language", Msg: p.msg, Hint: p.hint}}
	}
	return pm, nil
}

// managerProblem is why no package manager could be chosen, and what to do.
type managerProblem struct{ msg, hint string }

func chooseNodeManager(files llb.Files) (nodeManager, *managerProblem) {
	named, version, p := packageManagerField(files)
	if p != nil {
		return nodeManager{}, p
	}
	lock, p := rootLock(files, named)
	if p != nil {
		return nodeManager{}, p
	}
	pm := nodeManager{lock: lock, version: version, fromPackageJSON: version != ""}
	switch pm.lock {
	case "package-lock.json":
		pm.name = "npm"
	case "pnpm-lock.yaml":
		pm.name = "pnpm"
		if m := pnpmLockVersion.FindSubmatch(files[pm.lock]); version == "" && m != nil {
			// pnpm 9 and 10 write 9.0, pnpm 8 6.0, pnpm 7 5.4.
			pm.version = map[string]string{"9.0": "9", "6.0": "8", "5.4": "7"}[string(m[1])+"."+string(m[2])]
		}
	case "yarn.lock":
		pm.name = "yarn"
		if p := pm.yarn(files); p != nil {
			return nodeManager{}, p
		}
	}
	return pm, pm.agrees(named)
}

// packageManagerField is package.json's packageManager: the manager it names and its version.
func packageManagerField(files llb.Files) (named, version string, p *managerProblem) {
	var pkg struct {
		PackageManager string `json:"packageManager"`
	}
	if data, ok := files["package.json"]; ok {
		if err := json.Unmarshal(data, &pkg); err != nil {
			return "", "", &managerProblem{"package.json is not valid JSON: " + err.Error(), "fix package.json"}
		}
	}
	if pkg.PackageManager == "" {
		return "", "", nil
	}
	m := packageManagerForm.FindStringSubmatch(pkg.PackageManager)
	if m == nil {
		return "", "", &managerProblem{fmt.Sprintf("package.json packageManager %q is not a package manager at an exact version", pkg.PackageManager),
			`write e.g. "packageManager": "pnpm@9.15.0" (npm, pnpm or yarn, then @ and the exact version)`}
	}
	return m[1], m[2], nil
}

// rootLock is the one lock file at the context root; named is the manager package.json names.
func rootLock(files llb.Files, named string) (string, *managerProblem) {
	var locks []string
	for _, l := range nodeLocks {
		if _, ok := files[l]; ok {
			locks = append(locks, l)
		}
	}
	switch len(locks) {
	case 0:
		hint := "run `npm install`, `pnpm install` or `yarn install` and add the lock file it writes to the context"
		if named != "" {
			hint = "run `" + named + " install` and add the lock file it writes to the context"
		}
		return "", &managerProblem{"no lock file at the root of the build context: no package-lock.json, pnpm-lock.yaml or yarn.lock; the install installs exactly what a lock file names", hint}
	case 1:
		return locks[0], nil
	}
	return "", &managerProblem{strings.Join(locks, " and ") + " are at the root of the build context together; the one lock file present chooses the package manager",
		"keep the lock file of the package manager the project uses and delete the others"}
}

// yarn tells yarn v1 from berry and finds the version when package.json names none.
func (pm *nodeManager) yarn(files llb.Files) *managerProblem {
	lock := files[pm.lock]
	_, yarnrc := files[".yarnrc.yml"]
	m := berryLockVersion.FindSubmatch(lock)
	// A berry lock says __metadata; an empty or unknown one follows .yarnrc.yml, berry's settings.
	pm.berry = m != nil || (yarnrc && !bytes.Contains(lock, []byte("# yarn lockfile v1")))
	switch {
	case pm.version != "":
		pm.berry = !strings.HasPrefix(pm.version, "1.")
		if pm.berry != (m != nil) {
			format := map[bool]string{true: "yarn 2 or later", false: "yarn v1"}
			return &managerProblem{fmt.Sprintf("package.json packageManager names yarn %s, but yarn.lock is in the format of %s", pm.version, format[m != nil]),
				"run `yarn install` with the yarn that packageManager names, or change packageManager to the yarn that wrote yarn.lock"}
		}
	case m != nil && yarnPath.Match(files[".yarnrc.yml"]):
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
	case !pm.berry:
		pm.version = "1"
	}
	return nil
}

// agrees checks the chosen manager against package.json's and that its version is known.
func (pm nodeManager) agrees(named string) *managerProblem {
	if named != "" && named != pm.name {
		return &managerProblem{fmt.Sprintf("package.json packageManager names %s, but the lock file is %s", named, pm.lock),
			fmt.Sprintf("install with %s and keep its lock file only, or change packageManager to the manager of %s", named, pm.lock)}
	}
	if pm.version == "" && pm.berry {
		// A newer yarn of the same major rewrites the lock's metadata, which --immutable refuses.
		return &managerProblem{"yarn.lock is yarn 2 or later's, and package.json does not name the exact yarn that keeps it as it is",
			`run yarn set version in the project, which writes e.g. "packageManager": "yarn@4.5.3" to package.json (or commit a yarnPath release)`}
	}
	if pm.version == "" && pm.name != "npm" {
		return &managerProblem{fmt.Sprintf("%s does not say which %s wrote it", pm.lock, pm.name),
			fmt.Sprintf(`name it in package.json, e.g. "packageManager": "%s@%s"`, pm.name, map[string]string{"pnpm": "9.15.0", "yarn": "4.5.3"}[pm.name])}
	}
	return nil
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

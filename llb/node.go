package llb

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strings"
	"unicode"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/spec"
)

func init() { register(node{}) }

// node installs production dependencies with npm ci in the official node image and ships
// node_modules with the app's files on distroless nodejs, which has no npm and no shell.
//
// Artifacts are the files and directories the app needs at run time, relative to the
// context; each keeps its path under /app (so relative requires still resolve), next to
// package.json and node_modules. The first artifact is what node runs: a file, or a
// directory with an index.js or a package.json main.
type node struct{}

// nodeEntry is where distroless nodejs has its interpreter.
const nodeEntry = "/nodejs/bin/node"

func (node) Name() string { return "node" }

func (node) ArtifactsInContext() {}

func (node) ContextFiles() []string { return []string{"package.json", "package-lock.json"} }

var nodeVersionForm = regexp.MustCompile(`^[1-9][0-9]*(\.[0-9]+){0,2}$`)

func (node) Validate(s *spec.Spec) spec.Errors {
	var errs spec.Errors
	if v := s.Version; v != "" && !nodeVersionForm.MatchString(v) {
		errs = append(errs, spec.Error{Field: "version", Msg: fmt.Sprintf("%q is not a Node.js version", v),
			Hint: `write the major version, e.g. version: "20", or an exact one such as "20.11.1" (no v prefix)`})
	}
	if sc := s.Build.Script; sc != "" && (strings.HasPrefix(sc, "-") || strings.IndexFunc(sc, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}) >= 0) {
		errs = append(errs, spec.Error{Field: "build.script", Msg: fmt.Sprintf("%q is not a package.json script name", sc),
			Hint: "write the name of one script from package.json, e.g. script: build"})
	}
	return append(errs, unsupported(s, "node", append(goOnlyFields, "base")...)...)
}

func (node) Builder(s *spec.Spec, files Files, target, _ ocispecs.Platform) (ImageRequest, error) {
	v, field, err := nodeVersion(s, files)
	if err != nil {
		return ImageRequest{}, err
	}
	if _, ok := files["package-lock.json"]; !ok {
		return ImageRequest{}, spec.Errors{{
			File: s.File(), Pos: s.Pos("language"), Field: "language",
			Msg:  "no package-lock.json at the root of the build context; npm ci installs exactly what it locks",
			Hint: "run `npm install` and add package-lock.json to the context",
		}}
	}
	// npm ci runs dependencies' install scripts, which may build native addons for the target.
	return ImageRequest{
		Ref:      "docker.io/library/node:" + v + "-bookworm-slim",
		Role:     "builder",
		Platform: target,
		Field:    field,
	}, nil
}

func (node) Base(s *spec.Spec, files Files, target ocispecs.Platform) (ImageRequest, error) {
	v, field, err := nodeVersion(s, files)
	if err != nil {
		return ImageRequest{}, err
	}
	major, _, _ := strings.Cut(v, ".")
	return ImageRequest{
		Ref:      distrolessRepo + "nodejs" + major + "-debian12:nonroot",
		Role:     "base",
		Platform: target,
		Field:    field,
	}, nil
}

func (node) Entrypoint(s *spec.Spec) []string {
	if len(s.Artifacts) == 0 {
		return nil
	}
	return []string{nodeEntry, path.Join(ArtifactDir, path.Clean(s.Artifacts[0]))}
}

var engineMajor = regexp.MustCompile(`[0-9]+`)

// nodeVersion is the spec's version, else the first major that package.json's engines.node
// names (">=18" and "^18.17" give 18). There is no silent default: which Node.js runs the
// app is the team's choice, as go.mod's go line is for Go.
func nodeVersion(s *spec.Spec, files Files) (version, field string, err error) {
	if s.Version != "" {
		return s.Version, "version", nil
	}
	fail := func(msg, hint string) (string, string, error) {
		return "", "", spec.Errors{{File: s.File(), Pos: s.Pos("language"), Field: "language", Msg: msg, Hint: hint}}
	}
	pkg, ok := files["package.json"]
	if !ok {
		return fail("no package.json at the root of the build context", "run `npm init` in the context, or build from the package's directory")
	}
	var p struct {
		Engines struct {
			Node string `json:"node"`
		} `json:"engines"`
	}
	if err := json.Unmarshal(pkg, &p); err != nil {
		return fail("package.json is not valid JSON: "+err.Error(), "fix package.json")
	}
	if m := engineMajor.FindString(p.Engines.Node); m != "" && m != "0" {
		return m, "language", nil
	}
	return fail("no Node.js version: the spec has no version and package.json no engines.node",
		`write version: "20" in the spec, or "engines": {"node": ">=20"} in package.json`)
}

func (node) Build(in *BuildInput) (bkllb.State, error) {
	s := in.Spec
	npmCache := CacheMount(in.CacheNS, "node", "npm", "/root/.npm", bkllb.CacheMountShared)
	env := append([]bkllb.RunOption{
		bkllb.AddEnv("npm_config_cache", "/root/.npm"),
		bkllb.AddEnv("npm_config_update_notifier", "false"),
		bkllb.AddEnv("npm_config_fund", "false"),
		bkllb.AddEnv("npm_config_audit", "false"),
	}, builderEnv(s)...)

	// The manifest and lock file first, so a source change reuses the install.
	st := in.Builder.State.File(bkllb.Copy(in.Context, "/", SrcDir, &bkllb.CopyInfo{
		IncludePatterns:     []string{"package.json", "package-lock.json"},
		CopyDirContentsOnly: true,
		CreateDestPath:      true,
	}), bkllb.WithCustomName("copy package.json and package-lock.json"), in.Locate("language"))

	// A build script needs the devDependencies; they are pruned after it.
	install := []string{"npm", "ci"}
	if s.Build.Script == "" {
		install = append(install, "--omit=dev")
	}
	st = st.Run(append([]bkllb.RunOption{
		bkllb.Args(install), bkllb.Dir(SrcDir), npmCache, in.Network,
		bkllb.WithCustomName(strings.Join(install, " ")), in.Locate("language"),
	}, env...)...).Root()

	// node_modules stays the one npm ci made, whatever the context holds.
	st = st.File(bkllb.Copy(in.Context, "/", SrcDir, &bkllb.CopyInfo{
		CopyDirContentsOnly: true,
		CreateDestPath:      true,
		ExcludePatterns:     []string{"node_modules", "**/node_modules"},
	}), bkllb.WithCustomName("copy source"), in.Locate("language"))

	if sc := s.Build.Script; sc != "" {
		for _, args := range [][]string{{"npm", "run", sc}, {"npm", "prune", "--omit=dev"}} {
			st = st.Run(append([]bkllb.RunOption{
				bkllb.Args(args), bkllb.Dir(SrcDir), npmCache,
				bkllb.Network(pb.NetMode_NONE),
				bkllb.WithCustomName(strings.Join(args, " ")), in.Locate("build.script"),
			}, env...)...).Root()
		}
	}

	// A package without dependencies gets no node_modules from npm ci.
	st = st.File(bkllb.Mkdir(SrcDir+"/node_modules", 0o755, bkllb.WithParents(true)),
		bkllb.WithCustomName("ensure node_modules"))
	fa := bkllb.Mkdir(OutDir, 0o755, bkllb.WithParents(true))
	for _, p := range []string{"package.json", "node_modules"} {
		fa = fa.Copy(st, SrcDir+"/"+p, OutDir+"/"+p, &bkllb.CopyInfo{CreateDestPath: true})
	}
	for _, a := range s.Artifacts {
		clean := path.Clean(a)
		if clean == "." {
			fa = fa.Copy(st, SrcDir+"/", OutDir+"/", &bkllb.CopyInfo{CopyDirContentsOnly: true, AlwaysReplaceExistingDestPaths: true})
			continue
		}
		fa = fa.Copy(st, SrcDir+"/"+clean, OutDir+"/"+clean, &bkllb.CopyInfo{CreateDestPath: true, AlwaysReplaceExistingDestPaths: true})
	}
	return st.File(fa, bkllb.WithCustomName("lay out the app in "+OutDir+": package.json, node_modules and the artifacts"),
		in.Locate("artifacts")), nil
}

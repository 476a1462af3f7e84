package spec

// Spec is a parsed hardened.yaml. Fields hold what the file says; Defaults fills
// what every language shares (the language chooses the rest), and Validate reports every problem at once.
type Spec struct {
	// Language selects the builder: one of the llb package's languages (go, java, node, python, rust, static).
	Language string `yaml:"language" json:"language" desc:"The language the artifacts are built with: go, java, node, python, rust or static." example:"go"`
	// Version is the toolchain version; each language says what it takes and where it finds one.
	Version string `yaml:"version,omitempty" json:"version,omitempty" desc:"Toolchain version." example:"1.26"`
	// Debian is the Debian release the builder and the final base are of: "13" (the default) or
	// "12", whose distroless images no longer get security fixes.
	Debian string `yaml:"debian,omitempty" json:"debian,omitempty" desc:"The Debian release of the builder image and the distroless base: \"13\" (trixie, the default) or \"12\" (bookworm, whose distroless images no longer get security fixes; lint and the build warn). Write it quoted." enum:"12,13" example:"13"`
	// Artifacts are what the builder produces and the final image holds, as each language names them.
	Artifacts []string `yaml:"artifacts" json:"artifacts" desc:"Relative paths in the build context of what to build." example:"./cmd/server"`
	// CGO turns on cgo; the final base then defaults to distroless base.
	CGO bool `yaml:"cgo,omitempty" json:"cgo,omitempty" desc:"Build with cgo (CGO_ENABLED=1). The final base becomes distroless base unless base says otherwise."`
	// Base is the final stage: static, base, cc (distroless variants of the debian release) or scratch.
	Base string `yaml:"base,omitempty" json:"base,omitempty" desc:"Final base: static (default), base, cc (distroless -debian13, or -debian12 with debian: \"12\"; nonroot tag) or scratch." enum:"static,base,cc,scratch"`
	// User is the numeric uid[:gid] the image runs as; 0 is refused.
	User string `yaml:"user,omitempty" json:"user,omitempty" desc:"Numeric uid or uid:gid the image runs as. Default 65532:65532. 0 (root) is refused." example:"65532:65532"`
	// Entrypoint is exec form; it defaults to the first artifact.
	Entrypoint []string `yaml:"entrypoint,omitempty" json:"entrypoint,omitempty" desc:"Exec-form entrypoint. Defaults to the first artifact, /app/<name>."`
	// Cmd is exec-form arguments to the entrypoint.
	Cmd []string `yaml:"cmd,omitempty" json:"cmd,omitempty" desc:"Exec-form arguments passed to the entrypoint."`
	// Workdir is the working directory of the running container.
	Workdir string `yaml:"workdir,omitempty" json:"workdir,omitempty" desc:"Absolute working directory of the container. Default /app." example:"/app"`
	// Env is set in the image config, sorted by name.
	Env map[string]string `yaml:"env,omitempty" json:"env,omitempty" desc:"Environment of the running container. Never put secrets here."`
	// Expose lists ports as 8080 or 8080/tcp or 53/udp.
	Expose []string `yaml:"expose,omitempty" json:"expose,omitempty" desc:"Ports the service listens on: 8080, 8080/tcp or 53/udp." example:"8080"`
	// Labels are added to the image config after the OCI labels the build sets.
	Labels map[string]string `yaml:"labels,omitempty" json:"labels,omitempty" desc:"Image labels, added to the OCI labels the build sets itself."`
	// Healthcheck is the image's HEALTHCHECK, exec form.
	Healthcheck *Healthcheck `yaml:"healthcheck,omitempty" json:"healthcheck,omitempty" desc:"Exec-form health check recorded in the image config: test, a command of the image, or http, the build's own loopback probe."`
	// Build tunes the builder stage.
	Build Build `yaml:"build,omitempty" json:"build,omitempty" desc:"Settings of the builder stage."`
	// Runtime adds to the final image what the artifacts need at run time.
	Runtime Runtime `yaml:"runtime,omitempty" json:"runtime,omitempty" desc:"What the final image carries besides the artifacts."`
	// Test starts the built image as a restricted pod would, and fails the build when it does not run.
	Test *Test `yaml:"test,omitempty" json:"test,omitempty" desc:"A test the build runs on the finished image, under a restricted pod's conditions (read-only root, runtime.writable as empty tmpfs, the image's user, no capabilities, loopback only): http, a server that must answer 2xx, or run, arguments given to the entrypoint that must exit 0."`
	// Waivers accept findings of the build's own checks that hardened check would also report.
	Waivers []Waiver `yaml:"waivers,omitempty" json:"waivers,omitempty" desc:"Findings of the build's own secret check (HX-SEC-ENV) accepted, with a reason and optionally an expiry date, in the format of hardened check's --ignore file; the build then does not fail on them (hardened check still reports them unless its --ignore file waives them too)."`

	// pos maps a field path ("user", "artifacts[0]", "build.steps[1].run") to where it stands.
	pos map[string]Pos
	// file is the name the spec was read from, for messages.
	file string
	// keyPos maps a map entry path ("env.FOO") to where its key stands, since checks on names point at the key.
	keyPos map[string]Pos
	// bad holds paths Parse already reported, so Validate does not report them again as missing.
	bad map[string]bool
}

// Healthcheck mirrors the image-config healthcheck in exec form: Test, or HTTP, which runs the probe the
// build adds (llb.ProbePath).
type Healthcheck struct {
	Test        []string  `yaml:"test,omitempty" json:"test,omitempty" desc:"Exec-form command; exit 0 means healthy. Write test or http." example:"/app/server"`
	HTTP        *HTTPTest `yaml:"http,omitempty" json:"http,omitempty" desc:"The build adds a small static probe (/hardened/probe, root-owned, read-only) that GETs http://127.0.0.1:PORT/PATH (then [::1]) and exits 0 on 2xx; the HEALTHCHECK runs it. hardened k8s writes it as an httpGet probe. Write test or http."`
	Interval    string    `yaml:"interval,omitempty" json:"interval,omitempty" desc:"Time between checks, a Go duration such as 30s." example:"30s"`
	Timeout     string    `yaml:"timeout,omitempty" json:"timeout,omitempty" desc:"How long one check may take, a Go duration." example:"5s"`
	StartPeriod string    `yaml:"start_period,omitempty" json:"start_period,omitempty" desc:"Grace period after start, a Go duration." example:"10s"`
	Retries     int       `yaml:"retries,omitempty" json:"retries,omitempty" desc:"Failures in a row before the container is unhealthy."`
}

// Build holds builder-stage settings.
type Build struct {
	// Env is the builder's environment (never the image's).
	Env map[string]string `yaml:"env,omitempty" json:"env,omitempty" desc:"Environment of the builder stage only, e.g. GOFLAGS."`
	// Ldflags are passed to go build -ldflags.
	Ldflags string `yaml:"ldflags,omitempty" json:"ldflags,omitempty" desc:"Linker flags for go build. Default -s -w." example:"-s -w -X main.version=1.0"`
	// Tags are go build tags.
	Tags []string `yaml:"tags,omitempty" json:"tags,omitempty" desc:"Build tags for go build." example:"netgo"`
	// Script is a script of the project the builder runs before the app is copied (node: npm run).
	Script string `yaml:"script,omitempty" json:"script,omitempty" example:"build"`
	// Packages are Debian packages apt-get installs in the builder before the build.
	Packages []string `yaml:"packages,omitempty" json:"packages,omitempty" desc:"Debian packages apt-get installs in the builder stage before the build (e.g. headers for cgo); none of them reach the final image." example:"libsqlite3-dev"`
	// Steps run in the builder after the compile, in order, exec form.
	Steps []Step `yaml:"steps,omitempty" json:"steps,omitempty" desc:"Extra exec-form commands run in the builder after compiling, with artifacts in /out."`
	// Args are the build args the builder's steps see as variables: the default here, the value of
	// --build-arg NAME=VALUE when the build passes one.
	Args map[string]string `yaml:"args,omitempty" json:"args,omitempty" desc:"Build args (docker buildx build --build-arg NAME=VALUE) the builder stage sees as environment variables, with their defaults. Never the image's env; values are recorded in provenance, so pass secrets as build.secrets." example:"{VERSION: dev}"`
	// Secrets are build secrets (--secret id=...) mounted on the builder's download steps and build steps.
	Secrets []Secret `yaml:"secrets,omitempty" json:"secrets,omitempty" desc:"Build secrets (docker buildx build --secret id=ID,src=FILE) mounted, never copied, on the builder steps that download dependencies and on build.steps. They reach no layer, no image config and no cache key."`
	// SSH lists the SSH agent sockets (--ssh default) forwarded to the same steps.
	SSH []string `yaml:"ssh,omitempty" json:"ssh,omitempty" desc:"SSH agent ids (docker buildx build --ssh default) forwarded to the download steps and build.steps, with SSH_AUTH_SOCK set, for private git dependencies." example:"default"`
}

// Runtime holds what the final image carries for the artifacts to run.
type Runtime struct {
	// Libs are Debian packages unpacked into the final image, with their dependencies the base lacks.
	Libs []string `yaml:"libs,omitempty" json:"libs,omitempty" desc:"Debian packages (of the base's release: trixie for debian13, bookworm for debian12) unpacked into the final image with their dependencies, minus what the base already has, each recorded in /var/lib/dpkg/status.d for scanners. No maintainer scripts run. The base defaults to base (glibc)." example:"libsqlite3-0"`
	// JRE is how a Java app's runtime is made: jlink (the modules its jars need) or full (distroless java).
	JRE string `yaml:"jre,omitempty" json:"jre,omitempty" desc:"Java only: the JRE the image carries. jlink (the default): jdeps finds the modules the jars need and jlink links a JRE of only those at /opt/java/openjdk, on distroless cc. full: distroless java's whole JRE, for apps that load modules by reflection or through services jdeps cannot see." enum:"jlink,full"`
	// Writable are the absolute paths the app may write at run time; the root stays read-only.
	Writable []string `yaml:"writable,omitempty" json:"writable,omitempty" desc:"Absolute paths the app writes at run time, each an empty tmpfs in the build's test and an emptyDir in hardened k8s; the rest of the root is read-only." example:"/tmp"`
	// Files are context paths shipped beside compiled binaries, at the same relative path under /app.
	Files []string `yaml:"files,omitempty" json:"files,omitempty" desc:"Go and Rust only: files or directories of the build context the app reads at run time (configuration, migrations, templates), copied to /app at the same relative path (config -> /app/config), root-owned, modes 0644/0755, at the epoch. At most 100 paths; no globs: list the files or their directory." example:"config"`
}

// Test is what the build runs on the finished image: http or run, not both.
type Test struct {
	HTTP *HTTPTest `yaml:"http,omitempty" json:"http,omitempty" desc:"A server test: GET http://127.0.0.1:PORT/PATH must answer 2xx within the timeout."`
	Run  []string  `yaml:"run,omitempty" json:"run,omitempty" desc:"A command test: arguments given to the entrypoint in place of cmd; it must exit 0 within the timeout." example:"--version"`
	// Env is the test's own environment on top of the image's; it never reaches the image.
	Env     map[string]string `yaml:"env,omitempty" json:"env,omitempty" desc:"Variables for the test only, on top of the image's env; never in the image (but in the test step's cache key and the build's provenance, so no secrets)."`
	Timeout string            `yaml:"timeout,omitempty" json:"timeout,omitempty" desc:"How long the app has to answer or exit, a Go duration; default 10s, at most 2m." example:"10s"`
}

// HTTPTest is the request the test makes on loopback.
type HTTPTest struct {
	Port int    `yaml:"port" json:"port" desc:"The port the app listens on, 1 to 65535." example:"8080"`
	Path string `yaml:"path,omitempty" json:"path,omitempty" desc:"The absolute path requested; default /." example:"/healthz"`
}

// Step is one exec-form command in the builder.
type Step struct {
	Name string   `yaml:"name,omitempty" json:"name,omitempty" desc:"What the step does, shown in the build progress."`
	Run  []string `yaml:"run,omitempty" json:"run,omitempty" desc:"Exec-form command (no shell). Runs in /src; artifacts are in /out. Write run or sh." example:"[\"go\", \"generate\", \"./...\"]"`
	Sh   string   `yaml:"sh,omitempty" json:"sh,omitempty" desc:"A shell script run as /bin/sh -c SCRIPT by the builder's shell, with the builder's env and build args (the script is the whole command line; nothing is added to it). Write run or sh." example:"make generate && go vet ./..."`
}

// Command is the step's exec-form command: run as written, or the builder's shell running sh.
func (st Step) Command() []string {
	if st.Sh != "" {
		return []string{"/bin/sh", "-c", st.Sh}
	}
	return st.Run
}

// Pos is a 1-based line and column in the spec file.
type Pos struct {
	Line int `json:"line"`
	Col  int `json:"column"`
}

// Pos returns where the field path stands in the file, or the zero Pos.
func (s *Spec) Pos(path string) Pos {
	if s == nil || s.pos == nil {
		return Pos{}
	}
	return s.pos[path]
}

// File is the name the spec was read from.
func (s *Spec) File() string {
	if s == nil {
		return ""
	}
	return s.file
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/dockerfile"
	"github.com/hardenedbuild/hardened/lang"
	"github.com/hardenedbuild/hardened/lang/registry"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/plan"
	"github.com/hardenedbuild/hardened/spec"
)

// schemaURL is where editors fetch the schema of a spec outside this repository.
const schemaURL = "https://raw.githubusercontent.com/hardenedbuild/hardened/main/docs/hardened.schema.json"

// detection is what init found in a directory for one language.
type detection struct {
	language string
	*lang.Detection
	// mig is what a Dockerfile carried over (nil: none).
	mig *migration
	// test is the server's port and health route, for test: (inittest.go); nil writes none.
	test *initTest
}

// runInit writes DIR/hardened.yaml for the language and entry points it detects in DIR.
func runInit(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hardened init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	force := fs.Bool("force", false, "overwrite an existing hardened.yaml")
	dockerfileFlag := fs.String("f", "", "the Dockerfile to carry settings over from (default DIR/Dockerfile, when there is one)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hardened init [-f Dockerfile] [--force] [DIR]")
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
	for _, l := range registry.All() {
		det, err := l.Detect(dir)
		if err != nil {
			problems = append(problems, err)
		}
		if det != nil {
			found = append(found, &detection{language: l.Name(), Detection: det})
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
	if df := dockerfilePath(*dockerfileFlag, dir); df != "" {
		if err := migrate(det, df, out, dir); err != nil {
			fmt.Fprintf(stderr, "hardened init: %v\n", err)
			return 1
		}
	}
	ctxDir := filepath.Join(dir, det.Context) // a workspace's root, for a package in one
	chooseVersion(det, out, ctxDir)
	t := findTest(det, dir)
	det.test = &t

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
	fmt.Fprintf(stdout, "wrote %s: language %s (from %s), artifacts %s\n", out, det.language, det.Marker, strings.Join(det.Artifacts, ", "))
	for _, w := range append(det.Warnings, builderProblem(s, ctxDir)...) {
		fmt.Fprintf(stderr, "hardened init: %s\n", w)
	}
	fmt.Fprintf(stdout, "build it: docker buildx build -f %s -o type=oci,dest=app.tar %s\n", out, ctxDir)
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
			fmt.Fprintf(stderr, "hardened init: detected %s (%s), which hardened does not build yet; supported: %s\n", d.language, d.Marker, strings.Join(supported, ", "))
		case d.Artifacts == nil:
			fmt.Fprintf(stderr, "hardened init: detected %s (%s) but cannot write its spec yet; see docs/languages.md to write it by hand\n", d.language, d.Marker)
		case chosen == nil:
			chosen = d
		default:
			fmt.Fprintf(stderr, "hardened init: also detected %s (%s); using %s\n", d.language, d.Marker, chosen.language)
		}
	}
	if chosen == nil && len(found) == 0 && !problems {
		var markers []string
		for _, l := range registry.All() {
			markers = append(markers, l.Inputs().Markers...)
		}
		last := len(markers) - 1
		fmt.Fprintln(stderr, "hardened init: no "+strings.Join(markers[:last], ", ")+" or "+markers[last]+" here; "+
			"for prebuilt binaries write language: static (docs/languages.md)")
	}
	return chosen
}

// chooseVersion writes the fallback version when the build would find none in the project's
// files, asking the language itself (as the frontend will) rather than guessing; when it finds
// one, a comment above language says which.
func chooseVersion(det *detection, out, dir string) {
	if det.Version != "" || det.FallbackVersion == "" {
		return
	}
	req, err := builderImage(det, out, dir)
	if err == nil {
		if req.Field == "language" && det.VersionFrom != "" {
			if det.Comments == nil {
				det.Comments = map[string]string{}
			}
			det.Comments["language"] = fmt.Sprintf("No version line: the build takes %s from %s.", imageTag(req.Ref), det.VersionFrom)
		}
		return
	}
	det.Version = det.FallbackVersion
	if _, again := builderImage(det, out, dir); again != nil && again.Error() == err.Error() {
		det.Version = "" // the version is not what fails: leave it to the project
		return
	}
	if det.Comments == nil {
		det.Comments = map[string]string{}
	}
	det.Comments["version"] = det.FallbackComment
}

// builderImage is the builder the frontend would pick for the spec init would write: its plan's.
func builderImage(det *detection, out, dir string) (hllb.ImageRequest, error) {
	s, err := spec.Load(out, []byte(det.yaml()), registry.SpecOptions()...)
	if err != nil {
		return hllb.ImageRequest{}, err
	}
	files, err := dockerfile.ReadContextFiles(s, dir)
	if err != nil {
		return hllb.ImageRequest{}, err
	}
	p, err := plan.New(s, files, amd64, amd64)
	return p.Builder, err
}

// amd64 is the platform init asks the plan about: the images' tags are the same on every one.
var amd64 = ocispecs.Platform{OS: "linux", Architecture: "amd64"}

// imageTag is a reference's name and tag without the registry: rust:1-trixie.
func imageTag(ref string) string {
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		ref = ref[i+1:]
	}
	return ref
}

// builderProblem is what keeps the written spec from building, as the frontend's plan will see
// it: a manifest without a version, an app without a lock file.
func builderProblem(s *spec.Spec, dir string) []string {
	files, err := dockerfile.ReadContextFiles(s, dir)
	if err != nil {
		return []string{err.Error()}
	}
	if _, err := plan.New(s, files, amd64, amd64); err != nil {
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
		if c := d.Comments[name]; c != "" {
			for _, l := range strings.Split(c, "\n") {
				b.WriteString("# " + l + "\n")
			}
		}
		b.WriteString(name + sep + value + "\n")
	}
	field("language", d.language)
	if d.Version != "" {
		field("version", strconv.Quote(d.Version))
	}
	field("artifacts", yamlList(d.Artifacts))
	if len(d.Entrypoint) > 0 {
		field("entrypoint", yamlList(d.Entrypoint))
	}
	if d.CGO {
		field("cgo", "true")
	}
	if d.Script != "" {
		field("build", "\n  script: "+yamlScalar(d.Script))
	}
	if d.mig != nil {
		d.mig.yaml(&b, field)
		if h := d.mig.healthHTTP; h != nil && d.mig.health == nil {
			d.Comments["healthcheck"] = "From " + d.mig.file + "'s HEALTHCHECK, whose curl or wget the image does not have: the build adds its own loopback probe."
			field("healthcheck", healthHTTPYAML(h))
		}
	}
	if d.test != nil {
		if d.mig == nil || len(d.mig.expose) == 0 {
			if d.Comments == nil {
				d.Comments = map[string]string{}
			}
			d.test.exposeYAML(field, d.Comments)
		}
		d.test.yaml(&b)
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
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return strconv.Quote(s) // YAML would read a number
	}
	if plainScalar.MatchString(s) && !slices.Contains([]string{"true", "false", "null", "yes", "no", "on", "off", "~"}, strings.ToLower(s)) {
		return s
	}
	return strconv.Quote(s)
}

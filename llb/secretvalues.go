package llb

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/spec"
)

// secretEnvCheck is hardened check's check of secrets in an image's env; the build runs the same
// code on the spec's values, so a spec the build accepts is an image that check passes.
const secretEnvCheck = "HX-SEC-ENV"

// CheckSecretValues refuses values that look like secrets by HX-SEC-ENV's rules: env's (the image
// config, waivable with the spec's waivers), and build.env's, build.args' defaults and
// build.ldflags (every step's cache key and the build's provenance, where no waiver helps).
func CheckSecretValues(s *spec.Spec) spec.Errors {
	var errs spec.Errors
	names := slices.Sorted(maps.Keys(s.Env))
	env := make([]string, 0, len(names))
	for _, k := range names {
		env = append(env, k+"="+s.Env[k])
	}
	for _, f := range secretFindings(env, specWaivers(s)) {
		name := strings.TrimPrefix(f.field, "config.Env.")
		errs = append(errs, spec.Error{Field: "env." + name, Sensitive: true,
			Msg: "the value looks like a secret (" + f.detail + "), and env is stored in the image config for anyone who pulls it to read; hardened check fails it as " + secretEnvCheck,
			Hint: "inject it when the container runs (docker run -e, a Kubernetes Secret); if it is no secret, waive it: waivers: [{id: " + secretEnvCheck +
				", path: config.Env." + name + ", reason: ...}]"})
	}
	const toSecrets = "pass it as a build secret: build: {secrets: [{id: token, env: TOKEN}]} and docker buildx build --secret id=token,env=TOKEN"
	build := func(field, value, hint string, named ...string) {
		var details []string
		for _, f := range secretFindings(append([]string{"V=" + value}, named...), nil) {
			if !slices.Contains(details, f.detail) {
				details = append(details, f.detail)
			}
		}
		if len(details) > 0 {
			errs = append(errs, spec.Error{Field: field, Hint: hint, Sensitive: true,
				Msg: "the value looks like a secret (" + strings.Join(details, "; ") + "), and it is in every step's cache key and in the build's provenance"})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.Build.Env)) {
		build("build.env."+k, s.Build.Env[k], toSecrets)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Build.Args)) {
		build("build.args."+k, s.Build.Args[k], toSecrets)
	}
	if s.Test != nil {
		for _, k := range slices.Sorted(maps.Keys(s.Test.Env)) {
			build("test.env."+k, s.Test.Env[k], "write a throwaway value for the test (it never reaches the image, but it is in the test step's cache key and the build's provenance)")
		}
	}
	if s.Build.Ldflags != "" {
		build("build.ldflags", s.Build.Ldflags, "read it at run time (an env variable, a mounted file): a value linked in with -X is also in the binary, for anyone who pulls the image",
			ldflagsAssignments(s.Build.Ldflags)...)
	}
	return errs
}

// ldflagsAssignments are the -X name=value settings of go build's ldflags, as NAME=value, so a
// variable whose name says it holds a secret (main.apiKey) is judged as an env variable would be.
func ldflagsAssignments(ldflags string) []string {
	var out []string
	f := strings.Fields(ldflags)
	for i := 0; i < len(f); i++ {
		a, ok := strings.CutPrefix(f[i], "-X=")
		if !ok && (f[i] == "-X" || f[i] == "--X") && i+1 < len(f) {
			i++
			a, ok = f[i], true
		}
		if ok && strings.Contains(a, "=") {
			out = append(out, strings.Trim(a, `'"`))
		}
	}
	return out
}

type secretFinding struct{ field, detail string }

// secretFindings runs HX-SEC-ENV on an image config holding env, with waivers, and returns the
// findings no waiver covers (each redacted as the audit prints it: never the value).
func secretFindings(env []string, waivers []audit.Waiver) []secretFinding {
	cfg := &dockerspec.DockerOCIImage{}
	cfg.Config.Env = env
	r, err := audit.Run(context.Background(), &audit.Target{Config: cfg}, audit.WithChecks(secretEnvCheck), audit.WithWaivers(waivers...), audit.NoGate())
	if err != nil {
		return []secretFinding{{detail: err.Error()}} // a config alone always reads; say so if not
	}
	var out []secretFinding
	for _, res := range r.Results {
		if !res.Failing() {
			continue
		}
		for _, ev := range res.Evidence {
			out = append(out, secretFinding{field: ev.Field, detail: ev.Detail})
		}
	}
	return out
}

// specWaivers are the spec's waivers as hardened check's ignore file would give them.
func specWaivers(s *spec.Spec) []audit.Waiver {
	var out []audit.Waiver
	for i, w := range s.Waivers {
		out = append(out, audit.Waiver{ID: w.ID, Path: w.Path, Reason: w.Reason, Expires: w.ExpiresAt(),
			Source: fmt.Sprintf("%s:%d", s.File(), s.Pos(fmt.Sprintf("waivers[%d]", i)).Line)})
	}
	return out
}

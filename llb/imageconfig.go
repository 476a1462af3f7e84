package llb

import (
	"fmt"
	"sort"
	"strings"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/spec"
)

// Label keys the build sets itself; a spec label of the same name is overridden,
// because these record what was actually built.
const (
	LabelBaseName   = "org.opencontainers.image.base.name"
	LabelBaseDigest = "org.opencontainers.image.base.digest"
)

// defaultPath is the PATH of an image on scratch, which has no config to inherit.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// ArtifactDir is where artifacts land in the final image.
const ArtifactDir = "/app"

// ImageConfig makes the final image's config from the base's (nil for scratch) and
// the spec. It never runs as uid 0: the spec's user is validated non-zero upstream
// and is always written numerically, so no passwd lookup can resolve it to root.
func ImageConfig(s *spec.Spec, entrypoint []string, base *Image, target ocispecs.Platform, epoch *time.Time) *dockerspec.DockerOCIImage {
	img := &dockerspec.DockerOCIImage{}
	if base != nil && base.Config != nil {
		cp := *base.Config
		cp.Config.Env = append([]string(nil), base.Config.Config.Env...)
		cp.History = append([]ocispecs.History(nil), base.Config.History...)
		cp.RootFS.DiffIDs = append(cp.RootFS.DiffIDs[:0:0], base.Config.RootFS.DiffIDs...)
		img = &cp
	} else {
		img.RootFS.Type = "layers"
		img.Config.Env = []string{defaultPath}
	}
	img.Platform = ocispecs.Platform{OS: target.OS, Architecture: target.Architecture, Variant: target.Variant}
	img.Created = nil
	if epoch != nil {
		t := epoch.UTC()
		img.Created = &t
	}

	c := &img.Config
	c.User = fmt.Sprintf("%d:%d", s.UID(), s.GID())
	c.Entrypoint = entrypoint
	c.Cmd = append([]string(nil), s.Cmd...)
	c.WorkingDir = s.Workdir
	c.Env = mergeEnv(c.Env, s.Env)
	c.ExposedPorts = nil
	for _, p := range s.Expose {
		if !strings.Contains(p, "/") {
			p += "/tcp"
		}
		if c.ExposedPorts == nil {
			c.ExposedPorts = map[string]struct{}{}
		}
		c.ExposedPorts[p] = struct{}{}
	}
	c.Volumes = nil
	c.OnBuild = nil
	c.Shell = nil
	c.Healthcheck = healthcheck(s.Healthcheck)

	labels := map[string]string{}
	for k, v := range c.Labels {
		labels[k] = v
	}
	for k, v := range s.Labels {
		labels[k] = v
	}
	if base != nil {
		labels[LabelBaseName] = base.Ref
		if base.Digest != "" {
			labels[LabelBaseDigest] = base.Digest.String()
		} else {
			delete(labels, LabelBaseDigest)
		}
	} else {
		labels[LabelBaseName] = "scratch"
		delete(labels, LabelBaseDigest)
	}
	c.Labels = labels
	return img
}

// mergeEnv overrides base entries by name and appends the spec's in sorted order,
// so the config is the same bytes on every build.
func mergeEnv(base []string, env map[string]string) []string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(base)+len(keys))
	seen := map[string]bool{}
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if v, ok := env[k]; ok {
			kv = k + "=" + v
			seen[k] = true
		}
		out = append(out, kv)
	}
	for _, k := range keys {
		if !seen[k] {
			out = append(out, k+"="+env[k])
		}
	}
	return out
}

func healthcheck(h *spec.Healthcheck) *dockerspec.HealthcheckConfig {
	if h == nil {
		return nil
	}
	d := func(s string) time.Duration {
		v, _ := time.ParseDuration(s) // validated by the spec package
		return v
	}
	test := h.Test
	if h.HTTP != nil {
		test = ProbeCommand(h.HTTP)
	}
	return &dockerspec.HealthcheckConfig{
		Test:        append([]string{"CMD"}, test...),
		Interval:    d(h.Interval),
		Timeout:     d(h.Timeout),
		StartPeriod: d(h.StartPeriod),
		Retries:     h.Retries,
	}
}

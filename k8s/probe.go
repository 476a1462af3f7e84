package k8s

import (
	"github.com/hardenedbuild/hardened/spec"
)

// HTTPGetAction is a probe the kubelet makes itself: GET PATH on the pod's IP at PORT, healthy on 2xx or
// 3xx. No binary in the image is needed.
type HTTPGetAction struct {
	Path string `yaml:"path"`
	Port int    `yaml:"port"`
}

// healthcheckOf is the healthcheck the probes are made from: the spec's, else, when its test is a server
// test (test.http), that request with Docker's default timing, so a spec that proves the app answers gets
// probes that keep asking. nil when there is neither.
func healthcheckOf(s *spec.Spec) *spec.Healthcheck {
	switch {
	case s.Healthcheck != nil:
		return s.Healthcheck
	case s.Test != nil && s.Test.HTTP != nil:
		return &spec.Healthcheck{HTTP: s.Test.HTTP}
	}
	return nil
}

// execOrHTTP is the exec action of a healthcheck.test; nil for healthcheck.http, which httpGet carries
// (probe sets it).
func execOrHTTP(h *spec.Healthcheck) *ExecAction {
	if h.HTTP != nil {
		return nil
	}
	return &ExecAction{Command: append([]string(nil), h.Test...)}
}

// httpGet is healthcheck.http as the kubelet's own request; nil for a command.
func httpGet(h *spec.Healthcheck) *HTTPGetAction {
	if h.HTTP == nil {
		return nil
	}
	return &HTTPGetAction{Path: h.HTTP.PathOrDefault(), Port: h.HTTP.Port}
}

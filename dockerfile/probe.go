package dockerfile

import (
	"fmt"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/spec"
)

// probeComment stands where the HEALTHCHECK would: healthcheck.http runs the probe the frontend takes from
// its own image, which a Dockerfile has no way to get, so it writes no HEALTHCHECK and says what to do.
func (w *writer) probeComment(h *spec.Healthcheck) {
	text := fmt.Sprintf("healthcheck.http (hardened.yaml): the hardened build adds its loopback probe at %s and writes "+
		"HEALTHCHECK CMD [%q, \"%d\", %q], which GETs http://127.0.0.1:%d%s and passes on 2xx. A Dockerfile cannot get that "+
		"probe, so none is written here: build a check into the app and write HEALTHCHECK CMD [\"/app/server\", \"-check\"], "+
		"or probe from the orchestrator (hardened k8s writes an httpGet probe).",
		audit.ProbePath, audit.ProbePath, h.HTTP.Port, h.HTTP.PathOrDefault(), h.HTTP.Port, h.HTTP.PathOrDefault())
	w.comment(wrap(text, 100))
}

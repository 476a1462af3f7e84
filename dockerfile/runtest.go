package dockerfile

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hardenedbuild/hardened/spec"
)

// testComment writes the spec's test as a comment: a Dockerfile has no step that starts its own image.
// Only validated values reach it (test.run JSON-quoted, test.env by name), so no line break ends the comment.
func (w *writer) testComment(s *spec.Spec) {
	t := s.Test
	if t == nil {
		return
	}
	var what string
	if t.HTTP != nil {
		what = fmt.Sprintf("GET http://127.0.0.1:%d%s answers 2xx", t.HTTP.Port, t.HTTP.PathOrDefault())
	} else {
		what = "the entrypoint with the arguments " + w.execForm("test.run", t.Run) + " exits 0"
	}
	writable, tmpfs := "nothing writable", ""
	if len(s.Runtime.Writable) > 0 {
		writable = strings.Join(s.Runtime.Writable, ", ") + " as empty tmpfs"
		for _, p := range s.Runtime.Writable {
			tmpfs += " --tmpfs " + p
		}
	}
	text := fmt.Sprintf("test (hardened.yaml): the hardened build starts this image with a read-only root, %s, its user, no capabilities "+
		"and loopback only, and fails unless %s within %v.", writable, what, t.TimeoutOrDefault())
	if names := slices.Sorted(maps.Keys(t.Env)); len(names) > 0 {
		text += " The test sets " + strings.Join(names, ", ") + " (never in the image)."
	}
	text += " A Dockerfile cannot express that test: run the image so yourself, e.g. docker run --read-only" + tmpfs +
		" --cap-drop ALL --security-opt no-new-privileges IMAGE."
	w.line("")
	w.comment(wrap(text, 100))
}

package dockerfile

import (
	"fmt"

	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// runtimeFiles writes runtime.files as the frontend copies them (llb.artifactCopies): from the build
// context, never the builder, each at /app/<path>, root-owned with the frontend's own symbolic mode
// (files 0644, directories and executables 0755, no setuid/setgid/sticky).
func runtimeFiles(w *writer, s *spec.Spec) {
	if len(s.Runtime.Files) == 0 {
		return
	}
	w.comment("runtime.files, from the build context: root-owned (COPY's default), files 0644 and directories 0755\n(the frontend's symbolic mode: Dockerfile 1.14 or newer).")
	for i, f := range s.Runtime.Files {
		p := w.path(fmt.Sprintf("runtime.files[%d]", i), spec.RuntimeFile(f))
		w.line("COPY --chmod=%s %s %s/%s", hllb.AppMode, p, hllb.ArtifactDir, p)
	}
}

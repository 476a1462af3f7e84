package frontend

import (
	"context"
	"strings"
	"sync"

	gwclient "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/hardenedbuild/hardened/lang/registry"
	hllb "github.com/hardenedbuild/hardened/llb"
)

// aheadNames are the context files read with the spec, before the build knows its language: every
// language's manifests (lang.Inputs.Manifests), small files a project of another language seldom has.
// Lock files, which can be large, wait for the language that asks for them.
var aheadNames = sync.OnceValue(registry.Manifests)

// aheadWhat names the read of the aheadNames in the build's progress, by each language's first manifest.
var aheadWhat = sync.OnceValue(func() string {
	var first []string
	for _, l := range registry.All() {
		if m := l.Inputs().Manifests; len(m) > 0 {
			first = append(first, m[0])
		}
	}
	return "the context's project files (" + strings.Join(first, ", ") + "...)"
})

// aheadFiles are the aheadNames found in a local context (none when the main context is not the local
// one: aheadRead.local says which).
type aheadFiles struct {
	files hllb.Files
	// errs are the names found but not read: an error only for a language that asks for them.
	errs map[string]error
}

// aheadRead is the read of the aheadNames from the local context, started with the spec's.
type aheadRead struct {
	// local waits for the answer to whether the main context is the local one (nothing is read if not).
	local func() bool
	// wait returns what was read.
	wait func() (aheadFiles, error)
}

// aheadKey is the ahead read's job, stopped for a language that reads no file.
const aheadKey = "read the context's project files"

// startAheadRead reads the aheadNames from the local context in the background, at the same time as the
// spec, so that most languages find their files read when the spec is.
func startAheadRead(jobs *resolver, c gwclient.Client) *aheadRead {
	var (
		isLocal bool
		checked = make(chan struct{})
	)
	j := jobs.start(aheadKey, func(ctx context.Context) (any, error) {
		isLocal = localContext(ctx, c)
		close(checked)
		if !isLocal {
			return aheadFiles{}, nil
		}
		files, errs, err := readEach(ctx, c, localFiles(c, aheadNames()), aheadNames())
		return aheadFiles{files: files, errs: errs}, err
	})
	wait := func() (aheadFiles, error) {
		<-j.done
		read, _ := j.val.(aheadFiles)
		return read, j.err
	}
	return &aheadRead{local: func() bool { <-checked; return isLocal }, wait: wait}
}

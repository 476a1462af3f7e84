package spec

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// MaxRuntimeFiles bounds runtime.files: each path is a copy step of the build, and a longer list
// is a directory's worth of files that its directory says in one entry.
const MaxRuntimeFiles = 100

// RuntimeFile is where a runtime.files entry lands under /app: its clean path in the context.
func RuntimeFile(f string) string {
	return path.Clean(strings.TrimPrefix(f, "./"))
}

// runtimeFiles checks runtime.files: relative paths inside the context, no globs, none twice, none
// inside another, none over an artifact's binary.
func (c *checker) runtimeFiles() {
	files := c.s.Runtime.Files
	if len(files) > MaxRuntimeFiles {
		c.report("runtime.files", fmt.Sprintf("%d paths; at most %d", len(files), MaxRuntimeFiles),
			"list the directory that holds the files instead of each file, e.g. runtime.files: [config]")
		return
	}
	binaries := map[string]int{}
	for j, a := range c.s.Artifacts {
		if _, taken := binaries[ArtifactName(a)]; !taken {
			binaries[ArtifactName(a)] = j
		}
	}
	var seen []string // clean paths of the entries before, by index
	for i, f := range files {
		p := fmt.Sprintf("runtime.files[%d]", i)
		if msg, hint := runtimeFileProblem(f); msg != "" {
			c.report(p, msg, hint)
			seen = append(seen, "")
			continue
		}
		clean := RuntimeFile(f)
		top, _, _ := strings.Cut(clean, "/")
		if j, taken := binaries[top]; taken {
			c.report(p, fmt.Sprintf("%s would be copied over /app/%s, the binary of artifacts[%d]", quote(f), top, j),
				"rename the file or directory in the context, or the artifact's directory")
		} else if j := overlapping(seen, clean); j >= 0 {
			if seen[j] == clean {
				c.report(p, fmt.Sprintf("%s is listed twice (also runtime.files[%d])", quote(f), j), "remove one of them")
			} else {
				c.report(p, fmt.Sprintf("%s and runtime.files[%d] (%s) overlap: one is inside the other", quote(f), j, quote(files[j])),
					"list the directory alone: it is copied whole")
			}
		}
		seen = append(seen, clean)
	}
}

// overlapping is the index of the first entry equal to clean or a directory on either side of it, or -1.
func overlapping(seen []string, clean string) int {
	return slices.IndexFunc(seen, func(s string) bool {
		return s != "" && (s == clean || strings.HasPrefix(clean, s+"/") || strings.HasPrefix(s, clean+"/"))
	})
}

// runtimeFileProblem says what is wrong with one runtime.files path on its own, and what to write.
func runtimeFileProblem(f string) (msg, hint string) {
	const form = "write a path relative to the build context, e.g. config or templates/index.html"
	clean := RuntimeFile(f)
	switch {
	case strings.TrimSpace(f) == "":
		return "empty path", "remove the item or " + form
	case hasControl(f):
		r, _ := unsafeRune(f)
		return unsafeMsg(quote(f), r), "write the path in printable characters; rename the file if its name holds them"
	case strings.TrimSpace(f) != f:
		return quote(f) + " has spaces around it", "write " + quote(strings.TrimSpace(f))
	case path.IsAbs(f):
		return quote(f) + " is an absolute path", "write it relative to the build context: " + strings.TrimPrefix(path.Clean(f), "/")
	case slices.Contains(strings.Split(f, "/"), ".."):
		return quote(f) + " goes through .., out of the build context or back into it", form + ", with no .."
	case strings.ContainsAny(f, "*?[]{}"):
		return quote(f) + " is a glob; globs are not supported", "list the files, or their directory, which is copied whole"
	case clean == ".":
		return quote(f) + " is the whole build context, sources included", "list the directories the app reads, e.g. config"
	}
	return "", ""
}

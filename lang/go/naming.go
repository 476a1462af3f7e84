package golang

import (
	"path"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// ArtifactName is the name go build gives a main package's binary, so an image ships what a team
// gets from `go build`: the module root "." of example.com/tool/v2 is "tool", not "app".
func (Language) ArtifactName(artifact string, files llb.Files) string {
	return BinaryName(artifact, files["go.mod"])
}

// BinaryName names the binary of a main package artifact from go.mod's module path: the last
// element of its import path, or the one before a major-version suffix (/v2). Without a module
// path it is the artifact's last element.
func BinaryName(artifact string, goMod []byte) string {
	mod := modfile.ModulePath(goMod)
	clean := path.Clean(strings.TrimPrefix(artifact, "./"))
	if mod == "" {
		return spec.ArtifactName(artifact)
	}
	importPath := mod
	if clean != "." {
		importPath = mod + "/" + clean
	}
	dir, elem := path.Split(importPath)
	if dir != "" && majorVersion(elem) {
		elem = path.Base(path.Clean(dir))
	}
	return elem
}

// majorVersion says whether elem is a module major-version suffix, v2 or higher.
func majorVersion(elem string) bool {
	digits, ok := strings.CutPrefix(elem, "v")
	if !ok || digits == "" || digits[0] == '0' || digits == "1" {
		return false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

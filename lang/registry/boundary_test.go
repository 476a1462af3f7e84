package registry

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// No language's project file is named outside lang/ (issue 24): the packages that serve every language
// ask the language for its files, so a reader finds what the product knows of one in lang/<name>.
// Comments count; a name inside a path (a tool's /root/.npmrc) is not a project file.
func TestProjectFilesStayInLang(t *testing.T) {
	var names []string
	for _, l := range all {
		in := l.Inputs()
		names = append(append(append(names, in.Files()...), in.Needed...), in.Markers...)
	}
	if len(names) == 0 {
		t.Fatal("no language names a project file")
	}
	var pats []*regexp.Regexp
	for _, n := range names {
		pats = append(pats, regexp.MustCompile(`(^|[^\w/.-])`+regexp.QuoteMeta(n)+`($|[^\w.-])`))
	}
	checked := 0
	for _, dir := range []string{"llb", "frontend", "cmd", "sbom", "spec", "dockerfile"} {
		err := filepath.WalkDir(filepath.Join("..", "..", dir), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			src, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			checked++
			for i, line := range strings.Split(string(src), "\n") {
				for _, re := range pats {
					if m := re.FindString(line); m != "" {
						t.Errorf("%s:%d names %s, a project file of a language: ask the language (lang.Inputs) instead", p, i+1, strings.TrimSpace(m))
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 50 {
		t.Fatalf("only %d Go files read: the walk did not find the packages", checked)
	}
}

package hardened

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// The size limits issue 24 set so the code stays easy to carry on, on the module's non-test Go code outside
// examples/, tools/ and testdata/: a function that grows past them is split before it lands.
const (
	maxFileLines  = 450
	maxFuncLines  = 100
	maxComplexity = 25
	maxBuildLines = 80 // frontend's Build reads top to bottom
)

func TestCodeSizeLimits(t *testing.T) {
	files := 0
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != "." && (strings.HasPrefix(n, ".") || n == "examples" || n == "tools" || n == "testdata" || n == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		files++
		checkFileLimits(t, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("only %d Go files read: the walk did not find the packages", files)
	}
}

func checkFileLimits(t *testing.T, path string) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n := fset.File(f.Pos()).LineCount(); n > maxFileLines {
		t.Errorf("%s: %d lines, over %d: split it by what its parts do", path, n, maxFileLines)
	}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		lines := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
		limit := maxFuncLines
		if fd.Name.Name == "Build" && filepath.Dir(path) == "frontend" {
			limit = maxBuildLines - 1
		}
		if lines > limit {
			t.Errorf("%s: %s is %d lines, over %d", path, fd.Name.Name, lines, limit)
		}
		if c := complexity(fd); c > maxComplexity {
			t.Errorf("%s: %s has cyclomatic complexity %d, over %d", path, fd.Name.Name, c, maxComplexity)
		}
	}
}

// complexity is gocyclo's count: one, plus one for each if, for, range, non-default case and && or ||.
func complexity(fn ast.Node) int {
	c := 1
	ast.Inspect(fn, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.IfStmt, *ast.ForStmt, *ast.RangeStmt:
			c++
		case *ast.CaseClause:
			if x.List != nil {
				c++
			}
		case *ast.CommClause:
			if x.Comm != nil {
				c++
			}
		case *ast.BinaryExpr:
			if x.Op == token.LAND || x.Op == token.LOR {
				c++
			}
		}
		return true
	})
	return c
}

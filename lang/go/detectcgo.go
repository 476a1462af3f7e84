package golang

import (
	"fmt"
	"go/build"
	"slices"
	"strings"
)

// cgoImports are packages that do nothing without cgo: built with CGO_ENABLED=0 they compile to a
// stub that fails at run time (go-sqlite3: "Binary was compiled with 'CGO_ENABLED=0'"). Each bundles
// its C library, so the image needs glibc alone.
var cgoImports = []string{
	"github.com/mattn/go-sqlite3",
	"gorm.io/driver/sqlite",
	"github.com/jinzhu/gorm/dialects/sqlite",
	"github.com/confluentinc/confluent-kafka-go/kafka",
	"github.com/confluentinc/confluent-kafka-go/v2/kafka",
}

// cgoNeed is why a package of the module needs cgo: its own cgo files, or an import of cgoImports
// in its non-test files; "" when neither. rel is the package's directory as ./path.
func cgoNeed(pkg *build.Package, rel string) string {
	if len(pkg.CgoFiles) > 0 {
		return fmt.Sprintf("%s has cgo files (%s).\nAdd the Debian packages of the C libraries it links to runtime.libs", rel, strings.Join(pkg.CgoFiles, ", "))
	}
	for _, imp := range pkg.Imports {
		if slices.Contains(cgoImports, imp) {
			return fmt.Sprintf("%s imports %s, which works only with cgo.\nIt bundles its C code: glibc (distroless base, the default with cgo) is all the image needs", rel, imp)
		}
	}
	return ""
}

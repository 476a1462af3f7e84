package golang

// The module's files, by name, for the callers that write them out (dockerfile/golang.go's COPY).
const (
	// GoMod is the module's manifest.
	GoMod = "go.mod"
	// GoSum holds the checksums of its dependencies; a module without any has none.
	GoSum = "go.sum"
)

package registry

import (
	"bytes"
	"os"
	"testing"
)

func TestSchemaIsCommitted(t *testing.T) {
	got, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../docs/hardened.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("docs/hardened.schema.json is out of date; run `go run ./cmd/hardened schema > docs/hardened.schema.json`")
	}
}

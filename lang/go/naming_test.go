package golang

import "testing"

func TestBinaryName(t *testing.T) {
	for _, c := range []struct{ mod, artifact, want string }{
		{"module example.com/tool\n", ".", "tool"},
		{"module example.com/tool/v2\n", ".", "tool"},
		{"module example.com/tool/v2\n", "./cmd/server", "server"},
		{"module example.com/tool\n", "./cmd/api/v3", "api"},
		{"module example.com/v1\n", ".", "v1"},
		{"module example.com/tool/v0\n", ".", "v0"},
		{"module tool\n", "./", "tool"},
		{"module v2\n", ".", "v2"},
		{"", ".", "app"},
		{"", "./cmd/server", "server"},
	} {
		if got := BinaryName(c.artifact, []byte(c.mod)); got != c.want {
			t.Errorf("BinaryName(%q) with %q = %q, want %q", c.artifact, c.mod, got, c.want)
		}
	}
}

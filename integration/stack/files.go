package stack

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// writeFileChanged writes data to file unless it already holds exactly that, and says whether it wrote.
func writeFileChanged(file string, data []byte) (bool, error) {
	if old, err := os.ReadFile(file); err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return false, err
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return false, err
	}
	return true, os.Rename(tmp, file)
}

// fileHasSHA256 says whether file exists with the given hex SHA-256.
func fileHasSHA256(file, want string) (bool, error) {
	f, err := os.Open(file)
	if err != nil {
		return false, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return false, err
	}
	got := hex.EncodeToString(h.Sum(nil))
	if got != want {
		return false, fmt.Errorf("got %s, want %s", got, want)
	}
	return true, nil
}

// tail returns the last n lines of a log, indented, for error messages.
func tail(data []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "    " + strings.Join(lines, "\n    ")
}

// tailFile is tail of a file, or a note that it cannot be read.
func tailFile(file string, n int) string {
	data, err := os.ReadFile(file)
	if err != nil {
		return "    (" + err.Error() + ")"
	}
	if len(data) > 1<<20 {
		data = data[len(data)-1<<20:]
	}
	return fmt.Sprintf("last lines of %s:\n%s", file, tail(data, n))
}

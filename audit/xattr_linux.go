package audit

import "golang.org/x/sys/unix"

// lgetxattr reads one extended attribute of a path without following a symlink; nil when absent.
func lgetxattr(p, name string) []byte {
	buf := make([]byte, 256)
	n, err := unix.Lgetxattr(p, name, buf)
	if err != nil || n <= 0 {
		return nil
	}
	return buf[:n]
}

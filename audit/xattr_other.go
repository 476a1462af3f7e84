//go:build !linux

package audit

func lgetxattr(string, string) []byte { return nil }

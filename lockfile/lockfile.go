// Package lockfile reads and writes hardened.lock: every image a build uses, per
// platform and role, pinned as name:tag@sha256:... on one line each, so a base image
// update is a one-line diff a bot can propose; and the Debian packages runtime.libs
// installed, per platform, one name: version line each. It imports nothing of BuildKit.
package lockfile

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Filename is the lock's name, beside the spec.
const Filename = "hardened.lock"

// header says what the file is to a reader who finds it in a repository.
const header = "# hardened.lock: the images (and runtime.libs packages) this build uses, pinned. Written by `hardened lock`\n" +
	"# (docker buildx build --target lock -o type=local,dest=. -f hardened.yaml .); commit it.\n"

// Lock maps platform ("linux/amd64") to role ("builder", "base") to a pinned reference,
// and platform to Debian package name to version for runtime.libs.
type Lock struct {
	Version  int                          `yaml:"version"`
	Images   map[string]map[string]string `yaml:"images"`
	Packages map[string]map[string]string `yaml:"packages,omitempty"`
}

// SetPackages records the Debian packages runtime.libs installs on a platform, by name.
func (l *Lock) SetPackages(platform string, versions map[string]string) {
	if l.Packages == nil {
		l.Packages = map[string]map[string]string{}
	}
	l.Packages[platform] = versions
}

// PackagesFor is what the lock says runtime.libs installs on a platform; ok is false when it
// records nothing for the platform.
func (l *Lock) PackagesFor(platform string) (versions map[string]string, ok bool) {
	versions, ok = l.Packages[platform]
	return versions, ok
}

// New returns an empty lock of the current version.
func New() *Lock { return &Lock{Version: 1, Images: map[string]map[string]string{}} }

// Set records the pinned reference of a role on a platform.
func (l *Lock) Set(platform, role, ref, digest string) {
	if l.Images[platform] == nil {
		l.Images[platform] = map[string]string{}
	}
	l.Images[platform][role] = ref + "@" + digest
}

// Entry is what the lock says for a role on a platform, split into reference and digest.
func (l *Lock) Entry(platform, role string) (ref, digest string, ok bool) {
	v, ok := l.Images[platform][role]
	if !ok {
		return "", "", false
	}
	ref, digest, ok = strings.Cut(v, "@")
	return ref, digest, ok
}

// Parse reads a lock, naming the file and line of what is wrong.
func Parse(name string, data []byte) (*Lock, error) {
	l := New()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(l); err != nil {
		return nil, fmt.Errorf("%s: %v; regenerate it with `hardened lock`", name, err)
	}
	if l.Version != 1 {
		return nil, fmt.Errorf("%s: version %d is not supported (this frontend writes version 1); regenerate it with `hardened lock`", name, l.Version)
	}
	for p, pkgs := range l.Packages {
		for pkg, v := range pkgs {
			if pkg == "" || v == "" || strings.ContainsAny(pkg+v, " \t=") {
				return nil, fmt.Errorf("%s: packages.%s.%s = %q is not a Debian package version; regenerate it with `hardened lock`", name, p, pkg, v)
			}
		}
	}
	for p, roles := range l.Images {
		for role, v := range roles {
			ref, dgst, ok := strings.Cut(v, "@")
			if !ok || ref == "" || !strings.HasPrefix(dgst, "sha256:") || len(dgst) != len("sha256:")+64 {
				return nil, fmt.Errorf("%s: images.%s.%s = %q is not name:tag@sha256:<64 hex>; regenerate it with `hardened lock`", name, p, role, v)
			}
		}
	}
	return l, nil
}

// Marshal writes the lock with sorted keys, one image per line.
func (l *Lock) Marshal() []byte {
	var b strings.Builder
	b.WriteString(header)
	fmt.Fprintf(&b, "version: %d\nimages:\n", l.Version)
	for _, p := range sortedKeys(l.Images) {
		fmt.Fprintf(&b, "  %s:\n", p)
		for _, role := range sortedKeys(l.Images[p]) {
			fmt.Fprintf(&b, "    %s: %s\n", role, l.Images[p][role])
		}
	}
	if len(l.Packages) > 0 {
		b.WriteString("packages:\n")
		for _, p := range sortedKeys(l.Packages) {
			fmt.Fprintf(&b, "  %s:\n", p)
			for _, name := range sortedKeys(l.Packages[p]) {
				fmt.Fprintf(&b, "    %s: %q\n", name, l.Packages[p][name])
			}
		}
	}
	return []byte(b.String())
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

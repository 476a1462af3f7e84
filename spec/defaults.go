package spec

import "path"

// DefaultWorkdir is where artifacts land and the container starts.
const DefaultWorkdir = "/app"

// DefaultDebian is the Debian release of the builder and the base when the spec names none.
const DefaultDebian = "13"

// DebianRelease is the spec's Debian release, DefaultDebian when it names none. Defaults leaves the
// field empty, so a spec that never says debian is told apart from one that does.
func (s *Spec) DebianRelease() string {
	if s == nil || s.Debian == "" {
		return DefaultDebian
	}
	return s.Debian
}

// Defaults fills what the file leaves out and every language shares: user 65532:65532 (a lone
// uid N becomes N:N) and workdir /app. It is idempotent. The base and the entrypoint are the
// language's to choose (lang), so an empty base still means the spec names none.
func (s *Spec) Defaults() {
	switch {
	case s.User == "":
		s.User = DefaultUser
	case isDigits(s.User):
		// uid:gid says plainly what runs; a lone uid would otherwise get gid 0 from the runtime.
		s.User = s.User + ":" + s.User
	}
	if s.Workdir == "" {
		s.Workdir = DefaultWorkdir
	}
}

// ArtifactName is the name an artifact's binary gets: the last element of its cleaned path,
// "./cmd/server" gives "server", and "app" for the context root ".".
func ArtifactName(artifact string) string {
	clean := path.Clean(artifact)
	if clean == "." || clean == "/" {
		return "app"
	}
	return path.Base(clean)
}

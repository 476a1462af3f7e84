// Package stack runs the local build stack that integration tests and demos use: an in-process OCI registry, a
// buildkitd with the OCI worker that resolves docker.io, gcr.io and ghcr.io through that registry, a buildx
// builder named "hardened" on top of it, and stand-in base images built from real Debian packages and pushed under
// their real names. On the registry's address it also serves a Maven repository made from Debian's maven-repo
// packages, at /maven2/ behind MavenUser and a password each serve makes (Stack.MavenRepo, Stack.MavenPassword),
// as a company's mirror is reached. Up starts it detached (it outlives the caller), Load attaches to a running one
// and Down stops it.
//
// Everything lives in a state directory (default <repo>/.stack); stand-in images are cached as OCI layouts under
// $HARDENED_CACHE (default ~/.cache/hardened), keyed by a hash of their recipe, so only the first Up is slow.
package stack

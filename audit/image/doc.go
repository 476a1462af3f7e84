// Package image reads a container image for an audit, from wherever it is: a registry
// (go-containerregistry's remote, with the Docker credential config), an OCI layout directory,
// an OCI archive, or a `docker save` tarball. No Docker daemon is involved.
//
// Nothing is ever extracted: the layers are streamed into an in-memory index of the merged
// filesystem (small files' contents inline, larger ones read again from their layer on demand),
// so a hostile tar entry (../, an absolute name, a link out of the root) has nowhere to land.
// Every read is bounded by Limits, and every blob read from a layout is checked against its
// digest.
package image

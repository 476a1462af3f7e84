// Package dockerfile writes the multi-stage Dockerfile that builds what the hardened frontend
// builds from a spec, for review or to leave the tool: the same builder and base images (pinned
// when a lock is given), the same cache mounts, compile flags and environment, no network for
// the compile, and the same image config. It is a pure function of a loaded spec, the context
// files the language reads and an optional lock; the llb package decides every image and name,
// so the two cannot drift apart.
package dockerfile

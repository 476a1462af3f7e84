// Package audit checks an image's filesystem and config against the guarantees a
// hardened image makes. It works on a read-only FS view and an image config, so the
// same checks run inside a build (on the solved result, through the gateway) and from
// the command line (on any image). It imports nothing of BuildKit.
package audit

// Package llb converts a parsed hardened.yaml into BuildKit LLB and an image config.
//
// The conversion is a pure function: the frontend resolves images and reads the few
// context files a language asks for, then Convert builds the graph with no I/O.
// Each language is one file behind the Language interface; the final stage, the
// setuid stripping, the cache-mount ids and the image config are shared by all.
package llb

// Package plan computes a spec's llb.Plan for a target: the language's images, entrypoint and
// /app layout with the shared base, runtime-libs and debug rules, once, for every caller.
package plan

// Package lang is the one interface a language implements: what it reads, which spec fields it
// uses, its validation, its images, entrypoint and /app layout, and its builder stage. Each
// language is a package under lang/ and is listed in lang/registry; llb holds what they share.
package lang

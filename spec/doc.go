// Package spec reads hardened.yaml, the file users write instead of a Dockerfile.
//
// It is plain data and imports nothing of BuildKit: Parse turns YAML into a Spec and
// records where every field and list element stands; Validate reports every problem at
// once, each naming the field, its line and column, and what to write instead; Defaults
// fills what the file leaves out; Load does all three. Schema describes the same types as
// a JSON Schema for editors. Parse, Validate and Defaults stay separate so that tools can
// lint without defaulting and builders can default without re-reading.
package spec

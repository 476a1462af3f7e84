// Package registry lists the languages the product builds and applies what follows from the list:
// the spec options that accept exactly them, and the fields a language does not use, refused.
package registry

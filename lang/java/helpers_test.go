package java_test

import "github.com/hardenedbuild/hardened/lang/langtest"

// The conversion tests' helpers (lang/langtest), by the names the tests had in llb/.
var (
	amd64        = langtest.Amd64
	arm64        = langtest.Arm64
	golangDigest = langtest.BuilderDigest
	staticDigest = langtest.BaseDigest

	load              = langtest.Load
	loadChecked       = langtest.LoadChecked
	loadDir           = langtest.LoadDir
	resolved          = langtest.Resolved
	baseImage         = langtest.BaseImage
	convert           = langtest.Convert
	assertCacheMount  = langtest.AssertCacheMount
	assertLockedCache = langtest.AssertLockedCache
	cacheMountAt      = langtest.CacheMountAt
	findCopy          = langtest.FindCopy
	assertNoCopy      = langtest.AssertNoCopy
	copyInput         = langtest.CopyInput
)

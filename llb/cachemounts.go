package llb

import (
	bkllb "github.com/moby/buildkit/client/llb"
)

// CacheMount is the one place cache-mount ids are made: "hardened/<language>/<name>",
// prefixed by BUILDKIT_CACHE_MOUNT_NS when set, as the Dockerfile frontend does.
func CacheMount(ns, language, name, dest string, sharing bkllb.CacheMountSharingMode) bkllb.RunOption {
	return bkllb.AddMount(dest, bkllb.Scratch(), bkllb.AsPersistentCacheDir(CacheID(ns, language, name), sharing))
}

// CacheID is the id CacheMount uses.
func CacheID(ns, language, name string) string {
	id := "hardened/" + language + "/" + name
	if ns != "" {
		id = ns + "/" + id
	}
	return id
}

// Package rebase moves a hardened image onto a newer digest of its base without rebuilding it, for the
// images whose app does not depend on the base's libraries. Unlike a plain rebase (crane rebase,
// go-containerregistry's mutate.Rebase) it drops the layer that cleared the old base's setuid/setgid bits,
// which holds copies of the old base's files, and makes that layer again from the new base; it rewrites the
// config as the frontend would have made it on the new base, so a rebuild on that base gives the same image,
// and it attests the result again (check report, SBOM, provenance).
package rebase

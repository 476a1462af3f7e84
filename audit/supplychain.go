package audit

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/hardenedbuild/hardened/lifecycle"
)

var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$|^sha512:[0-9a-f]{128}$`)

func checkBaseDigest(f *facts) outcome {
	labels := f.cfg.Config.Labels
	name, dgst := labels[LabelBaseName], labels[LabelBaseDigest]
	nameField := Evidence{Field: "config.Labels." + LabelBaseName, Detail: fmt.Sprintf("%q", name)}
	digestField := Evidence{Field: "config.Labels." + LabelBaseDigest, Detail: fmt.Sprintf("%q", dgst)}
	switch {
	case name == "scratch" && dgst == "":
		return pass("built on scratch")
	case name == "" && dgst == "":
		return failed([]Evidence{nameField, digestField}, "no base labels: the base image cannot be traced")
	case dgst == "":
		return failed([]Evidence{digestField}, "base %s is not pinned: no base.digest label", name)
	case !digestPattern.MatchString(dgst):
		return failed([]Evidence{digestField}, "the base.digest label is not a digest")
	}
	if _, pinned, ok := strings.Cut(name, "@"); ok && pinned != dgst {
		return failed([]Evidence{nameField, digestField}, "the base name is pinned to %s but base.digest says %s", pinned, dgst)
	}
	if b := f.base; b != nil {
		t := b.target
		if (t.Digest != "" || t.IndexDigest != "") && dgst != t.Digest && dgst != t.IndexDigest {
			want := t.Digest
			if t.IndexDigest != "" {
				want += " (index " + t.IndexDigest + ")"
			}
			return failed([]Evidence{digestField}, "base.digest does not match the base given: %s is %s", t.Name, want)
		}
		if !b.prefix {
			return failed([]Evidence{{Field: "rootfs.diff_ids", Detail: fmt.Sprintf("the image's layers do not start with the %d layers of %s", len(b.diffIDs), t.Name)}},
				"the image is not built on the base given")
		}
	}
	if name == "" {
		name = "(unnamed)"
	}
	return pass("built on %s@%s", strings.SplitN(name, "@", 2)[0], dgst)
}

// historyLines lists each history entry's created_by, its instruction prefix trimmed.
func (f *facts) historyLines() []string {
	out := make([]string, len(f.cfg.History))
	for i, h := range f.cfg.History {
		s := strings.TrimSpace(h.CreatedBy)
		s = strings.TrimPrefix(s, "/bin/sh -c #(nop) ")
		out[i] = strings.TrimSpace(strings.TrimSuffix(s, "# buildkit"))
	}
	return out
}

func historyEvidence(i int, line, detail string) Evidence {
	if len(line) > 120 {
		line = line[:117] + "..."
	}
	return Evidence{Field: fmt.Sprintf("history[%d].created_by", i), history: i + 1, Detail: fmt.Sprintf("%s: %s", detail, line)}
}

var (
	addInstruction = regexp.MustCompile(`^ADD\s+(.*)$`)
	remoteSource   = regexp.MustCompile(`(?:^|\s)(?:https?://|git@)\S+`)
)

func checkAdd(f *facts) outcome {
	var ev []Evidence
	first := true
	for i, line := range f.historyLines() {
		m := addInstruction.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if first && strings.HasPrefix(m[1], "file:") {
			first = false // the base's root filesystem
			continue
		}
		first = false
		switch {
		case remoteSource.MatchString(m[1]) && !strings.Contains(m[1], "--checksum"):
			ev = append(ev, historyEvidence(i, line, "remote ADD without --checksum"))
		case !remoteSource.MatchString(m[1]):
			ev = append(ev, historyEvidence(i, line, "ADD where COPY would do"))
		}
	}
	if len(ev) > 0 {
		return failed(ev, "%s", plural(len(ev), "ADD step", "ADD steps"))
	}
	return pass("no ADD step")
}

var (
	updateAlone  = regexp.MustCompile(`\b(?:apt-get|apt|apk)\s+(?:-\S+\s+)*update\b|\bzypper\s+(?:-\S+\s+)*(?:refresh|ref)\b`)
	installAfter = regexp.MustCompile(`\b(?:install|add|upgrade)\b`)
	distUpgrade  = regexp.MustCompile(`\b(?:apt-get|apt)\s+(?:-\S+\s+)*(?:dist-upgrade|full-upgrade)\b`)
)

func checkUpdates(f *facts) outcome {
	var ev []Evidence
	for i, line := range f.historyLines() {
		if loc := updateAlone.FindStringIndex(line); loc != nil && !installAfter.MatchString(line[loc[1]:]) {
			ev = append(ev, historyEvidence(i, line, "update without install in the same step"))
		}
		if distUpgrade.MatchString(line) {
			ev = append(ev, historyEvidence(i, line, "dist-upgrade"))
		}
	}
	if len(ev) > 0 {
		return failed(ev, "%s", plural(len(ev), "unpinned update", "unpinned updates"))
	}
	return pass("no update alone and no dist-upgrade in %s", plural(len(f.cfg.History), "history entry", "history entries"))
}

// unverified are the flags that turn off a download's signature or TLS check.
var unverified = []struct {
	re   *regexp.Regexp
	what string
}{
	{regexp.MustCompile(`--allow-unauthenticated\b`), "apt without signature checks"},
	{regexp.MustCompile(`--allow-insecure-repositories\b`), "apt with insecure repositories"},
	{regexp.MustCompile(`\[\s*(?:[a-z-]+=\S+\s+)*trusted=yes`), "an apt source marked trusted=yes"},
	{regexp.MustCompile(`--nogpgcheck\b|\bgpgcheck\s*=\s*0\b`), "rpm packages without signature checks"},
	{regexp.MustCompile(`--allow-untrusted\b`), "apk without signature checks"},
	{regexp.MustCompile(`--no-check-certificate\b`), "wget without TLS verification"},
	{regexp.MustCompile(`\bcurl\s+(?:\S+\s+)*?(?:-k|--insecure)\b`), "curl without TLS verification"},
	{regexp.MustCompile(`--trusted-host\b`), "pip trusting a host without TLS"},
	{regexp.MustCompile(`strict-ssl\s+false|GIT_SSL_NO_VERIFY|NODE_TLS_REJECT_UNAUTHORIZED=0`), "TLS verification turned off"},
}

func checkVerifiedDownloads(f *facts) outcome {
	var ev []Evidence
	for i, line := range f.historyLines() {
		for _, u := range unverified {
			if u.re.MatchString(line) {
				ev = append(ev, historyEvidence(i, line, u.what))
			}
		}
	}
	if len(ev) > 0 {
		return failed(ev, "%s", plural(len(ev), "unverified download", "unverified downloads"))
	}
	return pass("no step turns off signature or TLS checks")
}

func attestationCheck(f *facts, what string, match func(string) bool) outcome {
	a := f.t.Attestations
	if !a.Known {
		return skipped("the source carries no attestations (read the image from a registry or an OCI layout)")
	}
	for _, p := range a.PredicateTypes {
		if match(p) {
			return pass("%s attached (%s)", what, p)
		}
	}
	return failed([]Evidence{{Field: "attestations", Detail: fmt.Sprintf("%s among %d attestations", "no "+what, len(a.PredicateTypes))}}, "no %s attached", what)
}

func checkSBOM(f *facts) outcome {
	return attestationCheck(f, "SBOM", func(p string) bool {
		return p == PredicateSPDX || strings.HasPrefix(p, PredicateCycloneDX)
	})
}

func checkProvenance(f *facts) outcome {
	return attestationCheck(f, "SLSA provenance", func(p string) bool { return strings.HasPrefix(p, predicateSLSAPrefix) })
}

// checkEndOfLife holds the OS generation, the base and the language runtimes to the lifecycle
// table on the report's day: past end of life is a finding, within lifecycle.Warning a warning.
func checkEndOfLife(f *facts) outcome {
	now := f.opts.now
	var ev []Evidence
	var ended, soon int
	var fine []string
	for _, r := range f.releases() {
		status := r.cycle.StatusAt(now)
		if status == lifecycle.Supported {
			fine = append(fine, r.cycle.Describe(now))
			continue
		}
		e := Evidence{Path: r.path, Field: r.field, Detail: r.what + ": " + r.cycle.Describe(now)}
		if r.path != "" {
			e = f.fileEvidence(r.path, "%s", e.Detail)
		}
		if status == lifecycle.EndingSoon {
			e = e.atMost(Low)
			soon++
		} else {
			ended++
		}
		ev = append(ev, e)
	}
	switch {
	case len(ev) > 0:
		var parts []string
		if ended > 0 {
			parts = append(parts, plural(ended, "release", "releases")+" past end of life")
		}
		if soon > 0 {
			parts = append(parts, plural(soon, "release", "releases")+" ending within 90 days")
		}
		return failed(ev, "%s", strings.Join(parts, ", "))
	case len(fine) == 0:
		return pass("no OS release, base or runtime the lifecycle table lists")
	}
	return pass("%s", strings.Join(fine, "; "))
}

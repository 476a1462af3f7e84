package audit

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
)

// maxTextEvidence bounds the evidence lines the text report prints per check; JSON has them all.
const maxTextEvidence = 20

// Label is the text report's verdict word for a result: FAIL for failing high and medium
// checks, WARN for failing low and info ones.
func (r Result) Label() string {
	switch r.Status {
	case StatusFail:
		if r.Severity >= Medium {
			return "FAIL"
		}
		return "WARN"
	case StatusSkip:
		return "SKIP"
	case StatusWaived:
		return "WAIVED"
	}
	return "PASS"
}

// WriteText writes the report in the form teams paste into tickets.
func (r *Report) WriteText(w io.Writer) error {
	b := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }

	p("Container Image Hardening Report")
	p("================================")
	p("Image: %s", imageLine(r.Image))
	p("Base: %s", baseLine(r.Image))
	p("Date: %s", r.Date.Format(time.DateOnly))
	if r.Image.Platform != "" {
		p("Platform: %s", r.Image.Platform)
	}
	p("Size: %s", statsLine(r.Image))
	if r.OnlyAdded != nil {
		p("Only what the image adds over: %s", imageLine(*r.OnlyAdded))
	}

	r.textComparison(p)
	r.textChecks(p)
	r.textVulnerabilities(p)
	r.textWaivers(p)
	r.textSummary(p)
	return b.Flush()
}

// printer writes one line of the text report.
type printer func(format string, args ...any)

// textComparison is the before and after of size, files and packages, when there is a before.
func (r *Report) textComparison(p printer) {
	if c := r.Comparison; c != nil {
		before, after := c.Before.Stats, r.Image.Stats
		p("")
		p("SIZE COMPARISON:")
		p("  Before: %s (%s)", formatBytes(before.Size()), c.Before.Name)
		p("  After: %s (%s)", formatBytes(after.Size()), r.Image.Name)
		p("  Reduction: %.1f%%", c.SizeReduction)
		p("")
		p("FILE COMPARISON:")
		p("  Before: %s files", groupThousands(int64(before.Files)))
		p("  After: %s files", groupThousands(int64(after.Files)))
		p("  Reduction: %.1f%%", c.FileReduction)
		p("")
		p("PACKAGE COMPARISON:")
		p("  Before: %s", packagesLine(before))
		p("  After: %s", packagesLine(after))
		if c.PackageReduction != nil {
			p("  Reduction: %.1f%%", *c.PackageReduction)
		} else {
			p("  Reduction: n/a")
		}
	}
}

// textChecks lists every check's result with its evidence, cut at maxTextEvidence.
func (r *Report) textChecks(p printer) {
	p("")
	p("SECURITY CHECKS:")
	for _, res := range r.Results {
		tag := res.ID
		if res.Status == StatusFail {
			tag += ", " + res.Severity.String()
		}
		p("  [%s] %s: %s (%s)", res.Label(), res.Title, res.Message, tag)
		for i, ev := range res.Evidence {
			if i == maxTextEvidence {
				p("         ... and %d more", len(res.Evidence)-maxTextEvidence+res.Omitted)
				break
			}
			p("         - %s", ev)
		}
		if res.Omitted > 0 && len(res.Evidence) <= maxTextEvidence {
			p("         ... and %d more", res.Omitted)
		}
		for i, ev := range res.Waived {
			if i == maxTextEvidence {
				p("         ... and %d more waived", len(res.Waived)-maxTextEvidence)
				break
			}
			p("         ~ waived: %s (%s)", ev, waiverLine(ev.Waiver))
		}
	}
}

// textVulnerabilities is the scanner's counts, compared when the before was scanned too.
func (r *Report) textVulnerabilities(p printer) {
	if v := r.Vulnerabilities; v != nil {
		p("")
		if c := r.Comparison; c != nil && c.BeforeVulnerabilities != nil {
			p("VULNERABILITY COMPARISON:")
			p("  Before: %s", vulnLine(c.BeforeVulnerabilities))
			p("  After: %s", vulnLine(v))
			if c.VulnerabilityReduction != nil {
				p("  Reduction: %.1f%%", *c.VulnerabilityReduction)
			}
		} else {
			p("VULNERABILITIES:")
			p("  %s", vulnLine(v))
		}
	}
}

// textWaivers lists the waivers and whether each was used.
func (r *Report) textWaivers(p printer) {
	if len(r.Waivers) > 0 {
		p("")
		p("WAIVERS:")
		for _, w := range r.Waivers {
			scope := w.ID
			if w.Path != "" {
				scope += " " + w.Path
			}
			p("  [%s] %s (%s): %s", strings.ToUpper(w.Status), scope, w.Source, w.Reason)
		}
	}
}

// textSummary counts the results and says how the gate decided.
func (r *Report) textSummary(p printer) {
	s := r.Summary
	fails, warns := 0, 0
	for _, res := range r.Results {
		switch res.Label() {
		case "FAIL":
			fails++
		case "WARN":
			warns++
		}
	}
	p("")
	p("SUMMARY: %d passed, %d failed, %s, %d skipped, %d waived", s.Passed, fails, plural(warns, "warning", "warnings"), s.Skipped, s.Waived)
	switch {
	case r.Gate.FailOn == "none":
		p("RESULT: not gated (--fail-on none)")
	case r.Gate.Passed:
		p("RESULT: PASS (--fail-on %s)", r.Gate.FailOn)
	default:
		p("RESULT: FAIL (--fail-on %s: %s)", r.Gate.FailOn, strings.Join(r.Gate.Reasons, "; "))
	}
}

func imageLine(i ImageInfo) string {
	s := i.Name
	if s == "" {
		s = "(unnamed)"
	}
	if i.Digest != "" {
		s += " (" + i.Digest + ")"
	}
	return s
}

func baseLine(i ImageInfo) string {
	switch {
	case i.BaseName == "" && i.BaseDigest == "":
		return "unknown (no org.opencontainers.image.base.* labels)"
	case i.BaseDigest == "" || strings.Contains(i.BaseName, "@"):
		return i.BaseName
	}
	return i.BaseName + "@" + i.BaseDigest
}

func statsLine(i ImageInfo) string {
	s := i.Stats
	line := fmt.Sprintf("%s in %s, %s files, %s", formatBytes(s.Size()), plural(s.Layers, "layer", "layers"), groupThousands(int64(s.Files)), packagesLine(s))
	if s.CompressedBytes > 0 {
		line += fmt.Sprintf(" (%s compressed)", formatBytes(s.CompressedBytes))
	}
	return line
}

func packagesLine(s Stats) string {
	switch {
	case s.PackageManager == "":
		return "no package database"
	case s.Packages < 0:
		return s.PackageManager + " packages (not counted)"
	}
	return plural(s.Packages, s.PackageManager+" package", s.PackageManager+" packages")
}

func vulnLine(v *Vulnerabilities) string {
	if v.Unavailable != "" {
		return "not scanned: " + v.Unavailable
	}
	return fmt.Sprintf("%d CVEs (%d Critical, %d High, %d Medium, %d Low, %d Unknown; %s)", v.Total(), v.Critical, v.High, v.Medium, v.Low, v.Unknown, v.Scanner)
}

func waiverLine(w *WaiverRef) string {
	if w == nil {
		return ""
	}
	s := w.Reason
	if w.Expires != "" {
		s += ", until " + w.Expires
	}
	if w.Source != "" {
		s += ", " + w.Source
	}
	return s
}

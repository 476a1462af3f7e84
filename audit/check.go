package audit

import (
	"fmt"
	"strings"
)

// Severity ranks what a failing check costs; the zero value is Info.
type Severity int

const (
	Info Severity = iota
	Low
	Medium
	High
)

var severityNames = [...]string{"info", "low", "medium", "high"}

func (s Severity) String() string {
	if s < Info || s > High {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity reads high, medium, low or info, in any case.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q; write high, medium, low or info", s)
}

func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// Check is one hardening check: what it looks for, why, and where other tools look for it.
type Check struct {
	// ID is stable: waivers, SARIF rules and attestations name checks by it.
	ID string `json:"id"`
	// Catalogue is the check's number in the research catalogue (HX-USR-001, ...); waivers may use it too.
	Catalogue string   `json:"catalogue"`
	Title     string   `json:"title"`
	Severity  Severity `json:"severity"`
	// Rationale says in one line why the check matters.
	Rationale string `json:"rationale"`
	// How says what exactly the check looks at; docs/check.md is made from it.
	How      string   `json:"-"`
	Mappings Mappings `json:"mappings"`
	// NeedsLayers says the check reads every layer, not only the merged filesystem; it is
	// skipped when the target has no layer data.
	NeedsLayers bool `json:"needsLayers,omitempty"`

	run func(*facts) outcome
}

// Mappings are the ids other benchmarks and tools give the same concern.
type Mappings struct {
	CIS      []string `json:"cis,omitempty"`      // CIS Docker Benchmark v1.6.0 section 4
	Dockle   []string `json:"dockle,omitempty"`   // goodwithtech/dockle checkpoints
	Hadolint []string `json:"hadolint,omitempty"` // hadolint rules
	Trivy    []string `json:"trivy,omitempty"`    // trivy misconfiguration ids
}

// outcome is what a check's function finds: evidence makes it fail, skip makes it skipped.
type outcome struct {
	message  string
	evidence []Evidence
	skip     string
}

func pass(format string, args ...any) outcome { return outcome{message: fmt.Sprintf(format, args...)} }

func skipped(format string, args ...any) outcome {
	return outcome{skip: fmt.Sprintf(format, args...)}
}

func failed(evidence []Evidence, format string, args ...any) outcome {
	return outcome{message: fmt.Sprintf(format, args...), evidence: evidence}
}

// Checks lists every check in report order.
func Checks() []Check {
	out := make([]Check, len(registry))
	copy(out, registry)
	return out
}

// LookupCheck finds a check by its id or its catalogue number.
func LookupCheck(id string) (Check, bool) {
	for _, c := range registry {
		if strings.EqualFold(c.ID, id) || strings.EqualFold(c.Catalogue, id) {
			return c, true
		}
	}
	return Check{}, false
}

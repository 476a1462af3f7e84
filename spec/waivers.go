package spec

import (
	"fmt"
	"time"
)

// WaivableChecks are the checks of `hardened check` whose findings the build itself also makes (and so
// refuses), and which a spec may waive; every other check is waived in hardened check's ignore file.
var WaivableChecks = []string{"HX-SEC-ENV"}

// Waiver accepts a finding of the build's own checks, as an entry of `hardened check --ignore` does.
type Waiver struct {
	ID      string `yaml:"id" json:"id" desc:"The check waived: HX-SEC-ENV (a secret-looking env value), the one check the build itself refuses on that a spec may waive." enum:"HX-SEC-ENV" example:"HX-SEC-ENV"`
	Path    string `yaml:"path,omitempty" json:"path,omitempty" desc:"The finding waived, as hardened check names it: config.Env.NAME for env's NAME (* matches within a segment). Empty waives every finding of the check." example:"config.Env.DEMO_URL"`
	Reason  string `yaml:"reason" json:"reason" desc:"Why the finding is accepted."`
	Expires string `yaml:"expires,omitempty" json:"expires,omitempty" desc:"Last day (YYYY-MM-DD, UTC) the waiver holds; after it the build fails again." example:"2026-12-31"`
}

// ExpiresAt is the waiver's last day, zero for never (Validate has checked the form).
func (w Waiver) ExpiresAt() time.Time {
	t, _ := time.Parse(time.DateOnly, w.Expires)
	return t
}

// waivers checks the spec's waivers: a check the build makes, a reason, a date.
func (c *checker) waivers() {
	for i, w := range c.s.Waivers {
		p := fmt.Sprintf("waivers[%d]", i)
		known := false
		for _, id := range WaivableChecks {
			known = known || w.ID == id
		}
		switch {
		case w.ID == "":
			c.report(p+".id", presence(false, c.s.written(p+".id")), "write the check's id, e.g. id: HX-SEC-ENV")
		case !known:
			c.report(p+".id", quote(w.ID)+" is not a check the build waives", "write id: HX-SEC-ENV, or waive other checks in hardened check's --ignore file")
		}
		if w.Reason == "" || hasControl(w.Reason) {
			c.report(p+".reason", "a waiver needs a reason, one line of text", "say why the finding is accepted, e.g. reason: a demo password the compose file also holds")
		}
		if hasControl(w.Path) {
			c.report(p+".path", quote(w.Path)+" contains a control character", "write the finding's name, e.g. path: config.Env.DEMO_URL")
		}
		if w.Expires != "" {
			if _, err := time.Parse(time.DateOnly, w.Expires); err != nil {
				c.report(p+".expires", quote(w.Expires)+" is not a date", "write expires: YYYY-MM-DD, e.g. expires: 2026-12-31")
			}
		}
	}
}

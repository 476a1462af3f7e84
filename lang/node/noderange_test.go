package node

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hardenedbuild/hardened/llb"
)

// majorsAllowed lists the majors 0 to 30 a range allows, for comparison with what npm's semver says.
func majorsAllowed(t *testing.T, r string) []int {
	t.Helper()
	parsed, err := parseNodeRange(r)
	if err != nil {
		t.Fatalf("%q: %v", r, err)
	}
	var out []int
	for m := 0; m <= 30; m++ {
		if parsed.allowsMajor(m) {
			out = append(out, m)
		}
	}
	return out
}

func span(from, to int) []int {
	var out []int
	for m := from; m <= to; m++ {
		out = append(out, m)
	}
	return out
}

func TestNodeRangeMajors(t *testing.T) {
	for r, want := range map[string][]int{
		">=18":              span(18, 30),
		">= 18":             span(18, 30),
		"^22.5":             {22},
		"^0.2.3":            {0},
		"20 || 22":          {20, 22},
		"20||22":            {20, 22},
		">=18 <25":          span(18, 24),
		"*":                 span(0, 30),
		"":                  span(0, 30),
		"x":                 span(0, 30),
		"18.x":              {18},
		"18.2.*":            {18},
		"v22.1.0":           {22},
		"=24.0.0":           {24},
		"~24.3":             {24},
		"~>24.3.1":          {24},
		">22":               span(23, 30),
		">22.0":             span(22, 30),
		">22.99.99":         span(22, 30),
		"<22":               span(0, 21),
		"<22.0.1":           span(0, 22),
		"<=22":              span(0, 22),
		"<=22.1":            span(0, 22),
		"<=22.0.0":          span(0, 22),
		"<22.0.0":           span(0, 21),
		"20 - 24":           span(20, 24),
		"20.5 - 24.0.0":     span(20, 24),
		"20.5.1 - 24.1":     span(20, 24),
		">=20 <20":          nil,
		">=22.1.1 <=22.1.1": {22},
		">22.1.1 <22.1.2":   nil,
		"<*":                nil,
		"^18 || >=26":       append([]int{18}, span(26, 30)...),
		">=16.0.0 <17 || ^20.1.0 || 22.x || >=24.0.0 <25.0.0": {16, 20, 22, 24},
	} {
		if got := majorsAllowed(t, r); !slices.Equal(got, want) {
			t.Errorf("%q allows majors %v, want %v", r, got, want)
		}
	}
}

func TestNodeRangeErrors(t *testing.T) {
	for r, want := range map[string]string{
		">=18 foo":     `at character 6, "foo" is not a version`,
		">=":           `at character 1, ">=" has no version after >=`,
		"^22.0.0-rc.1": `at character 8, "22.0.0-rc.1" has a prerelease or build suffix`,
		"1.2.3.4":      `at character 1, "1.2.3.4" has more than three parts`,
		"22 || latest": `at character 7, "latest" is not a version`,
		"1.x.3":        `at character 1, "1.x.3" is not a version`,
		"22 - 24 -":    `at character 9, "-" is not a version`,
		"<22 - 24":     `at character 1, "<22" is not a version`,
	} {
		_, err := parseNodeRange(r)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: error = %v, want prefix %q", r, err, want)
		}
	}
}

// TestNodeMajorsFollowTheTable: Debian 13's majors are what distroless ships that the lifecycle
// table has not ended, and each is an even major.
func TestNodeMajorsFollowTheTable(t *testing.T) {
	got := llb.DebianGens["13"].NodeMajors()
	if len(got) == 0 {
		t.Fatal("no Node.js major for Debian 13")
	}
	for _, m := range got {
		if n, err := strconv.Atoi(m); err != nil || n%2 != 0 || !slices.Contains(llb.DebianGens["13"].NodeShips, m) {
			t.Errorf("Debian 13 supports Node.js %s, which is not an even major distroless ships", m)
		}
	}
}

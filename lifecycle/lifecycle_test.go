package lifecycle

import (
	"strings"
	"testing"
	"time"
)

// TestTableKeepsUpWithToday fails once a row's date has passed while the table still calls it
// supported: the defaults would otherwise keep picking a release that gets no fixes.
func TestTableKeepsUpWithToday(t *testing.T) {
	now := time.Now()
	for _, c := range All() {
		if end, ok := c.End(); ok && now.After(end) && !c.Ended {
			t.Errorf("%s reached end of life on %s but the table does not say Ended: mark it, and move what defaults to it", c.Name(), c.EOL)
		}
	}
}

func TestTableRows(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range All() {
		key := string(c.Product) + " " + c.Version
		if seen[key] {
			t.Errorf("%s is listed twice", key)
		}
		seen[key] = true
		if !strings.HasPrefix(c.Source, "https://") {
			t.Errorf("%s: source %q is not an upstream page", key, c.Source)
		}
		if c.EOL != "" {
			if _, ok := c.End(); !ok {
				t.Errorf("%s: EOL %q is not a date (YYYY-MM-DD)", key, c.EOL)
			}
		}
		if c.Ended && c.EOL == "" {
			t.Errorf("%s is Ended with no date", key)
		}
		if c.Ended && c.Successor == "" {
			t.Errorf("%s is Ended and names nothing to move to", key)
		}
	}
}

func TestStatusAt(t *testing.T) {
	c := Cycle{Product: NodeJS, Version: "22", EOL: "2027-04-30", Successor: "Node.js 24"}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, tc := range []struct {
		day  string
		want Status
	}{
		{"2026-12-07", Supported},
		{"2027-01-30", Supported},
		{"2027-02-01", EndingSoon},
		{"2027-04-30", EndingSoon},
		{"2027-05-01", EndOfLife},
	} {
		if got := c.StatusAt(day(tc.day)); got != tc.want {
			t.Errorf("StatusAt(%s) = %d, want %d", tc.day, got, tc.want)
		}
	}
	if got := c.Describe(day("2027-05-01")); got != "Node.js 22 reached end of life on 2027-04-30; move to Node.js 24" {
		t.Errorf("Describe = %q", got)
	}
	ended := c
	ended.Ended = true
	if ended.StatusAt(day("2020-01-01")) != EndOfLife {
		t.Error("a row the table marks Ended is end of life on any day")
	}
}

func TestCurrent(t *testing.T) {
	if got := Versions(Current(NodeJS)); got != "22, 24, 26" {
		t.Errorf("current Node.js = %s, want 22, 24, 26", got)
	}
	if cs := Current(Python); len(cs) == 0 || cs[0].Version != "3.14" {
		t.Errorf("Current(Python) is not newest first: %v", cs)
	}
}

func TestDistrolessImage(t *testing.T) {
	for ref, want := range map[string]string{
		"gcr.io/distroless/static-debian12:nonroot":             "distroless-base 12 true",
		"gcr.io/distroless/nodejs22-debian12@sha256:abc":        "distroless-nodejs 12 true",
		"gcr.io/distroless/python3-debian13:nonroot@sha256:abc": "distroless-python 13 false",
		"gcr.io/distroless/java21-debian13":                     "distroless-java 13 false",
		"gcr.io/distroless/cc-debian13:debug-nonroot":           "distroless-base 13 false",
	} {
		c, ok := DistrolessImage(ref)
		if !ok {
			t.Errorf("%s: not recognised", ref)
			continue
		}
		if got := string(c.Product) + " " + c.Version + " " + map[bool]string{true: "true", false: "false"}[c.Ended]; got != want {
			t.Errorf("%s: %s, want %s", ref, got, want)
		}
	}
	for _, ref := range []string{"docker.io/library/golang:1.26-trixie", "gcr.io/distroless/static", "gcr.io/distroless/foo-debian13", "gcr.io/distroless/static-debian9"} {
		if c, ok := DistrolessImage(ref); ok {
			t.Errorf("%s: recognised as %s", ref, c.Name())
		}
	}
}

func TestReleaseOf(t *testing.T) {
	for _, tc := range []struct {
		p             Product
		version, want string
	}{
		{NodeJS, "22.23.2", "22"},
		{NodeJS, "v24.1.0", "24"},
		{NodeJS, "20.19.2+dfsg-1~deb12u1", "20"},
		{NodeJS, "1:18.19.0+dfsg-6", "18"},
		{Python, "3.13.5", "3.13"},
		{Python, "3.11", "3.11"},
		{Python, "3", ""},
		{Java, "21.0.12", "21"},
		{Java, "21.0.12+7", "21"},
		{Java, "1.8.0_392", "8"},
		{Java, "17", "17"},
		{Debian, "12", "12"},
		{NodeJS, "", ""},
		{NodeJS, "latest", ""},
	} {
		if got := ReleaseOf(tc.p, tc.version); got != tc.want {
			t.Errorf("ReleaseOf(%s, %q) = %q, want %q", tc.p, tc.version, got, tc.want)
		}
	}
}

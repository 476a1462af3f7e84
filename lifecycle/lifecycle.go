// Package lifecycle is the one table of how long the bases and runtimes the product builds on get
// security fixes: Debian releases, the distroless images of each release, and the Node.js, Python and
// Java releases. Each row names the upstream page its date comes from. The conversion picks its
// default versions from it, and the audit and lint hold images and specs to it. It imports nothing
// of BuildKit.
package lifecycle

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// Product is what a row's dates are for.
type Product string

const (
	// Debian is a Debian release, by its VERSION_ID ("12"), as an ordinary image built on it has it.
	Debian Product = "debian"
	// DistrolessBase is gcr.io/distroless/{static,base,base-nossl,cc}-debian<version>.
	DistrolessBase Product = "distroless-base"
	// DistrolessJava, DistrolessNodeJS and DistrolessPython are the language images of a release
	// (java17-debian13, nodejs24-debian13, python3-debian13): distroless ends them sooner than its
	// base images.
	DistrolessJava   Product = "distroless-java"
	DistrolessNodeJS Product = "distroless-nodejs"
	DistrolessPython Product = "distroless-python"
	NodeJS           Product = "nodejs"
	Python           Product = "python"
	Java             Product = "java"
)

// Cycle is one release of a product and the last day it gets security fixes.
type Cycle struct {
	Product Product
	// Version is the release: "13" for Debian and distroless, "24" for Node.js, "3.13" for Python,
	// "21" for Java.
	Version string
	// EOL is the last day of support, "2026-09-30"; empty while upstream has not set one.
	EOL string
	// Ended says the table knows EOL has passed: nothing defaults to an ended cycle. A test fails
	// when an EOL date has passed and Ended is still false, so the table cannot fall behind.
	Ended bool
	// Successor is what to move to, in the words a user would write ("Debian 13", "Node.js 24").
	Successor string
	// Source is the upstream page the date comes from.
	Source string
}

// Status is where a cycle stands on a day.
type Status int

const (
	Supported Status = iota
	// EndingSoon: support ends within Warning of the day.
	EndingSoon
	// Ended: the day is after EOL.
	EndOfLife
)

// Warning is how long before its end a cycle is reported as ending soon.
const Warning = 90 * 24 * time.Hour

// Name is how messages name the cycle: "distroless Debian 12 (base images)", "Node.js 20".
func (c Cycle) Name() string {
	switch c.Product {
	case Debian:
		return "Debian " + c.Version
	case DistrolessBase:
		return "distroless Debian " + c.Version + " (static, base, base-nossl, cc)"
	case DistrolessJava:
		return "distroless Debian " + c.Version + " (java)"
	case DistrolessNodeJS:
		return "distroless Debian " + c.Version + " (nodejs)"
	case DistrolessPython:
		return "distroless Debian " + c.Version + " (python3)"
	case NodeJS:
		return "Node.js " + c.Version
	case Python:
		return "Python " + c.Version
	case Java:
		return "Java " + c.Version
	}
	return string(c.Product) + " " + c.Version
}

// End is EOL as a time: the end of its last day, UTC. ok is false when no date is set.
func (c Cycle) End() (end time.Time, ok bool) {
	if c.EOL == "" {
		return time.Time{}, false
	}
	d, err := time.Parse(time.DateOnly, c.EOL)
	if err != nil {
		return time.Time{}, false
	}
	return d.Add(24*time.Hour - time.Nanosecond), true
}

// StatusAt is the cycle's status on a day: an ended row is end of life whatever the day.
func (c Cycle) StatusAt(now time.Time) Status {
	end, ok := c.End()
	switch {
	case c.Ended || ok && now.After(end):
		return EndOfLife
	case ok && end.Sub(now) <= Warning:
		return EndingSoon
	}
	return Supported
}

// Describe says where the cycle stands on a day, with its date and what to move to:
// "Node.js 20 reached end of life on 2026-04-30; move to Node.js 24".
func (c Cycle) Describe(now time.Time) string {
	var s string
	switch c.StatusAt(now) {
	case EndOfLife:
		s = c.Name() + " reached end of life on " + c.EOL
	case EndingSoon:
		s = c.Name() + " reaches end of life on " + c.EOL
	default:
		if c.EOL == "" {
			return c.Name() + " is supported (no end of life announced)"
		}
		return c.Name() + " is supported until " + c.EOL
	}
	if c.Successor != "" {
		s += "; move to " + c.Successor
	}
	return s
}

// Lookup is the row for a product's release; ok is false for a release the table does not list.
func Lookup(p Product, version string) (Cycle, bool) {
	for _, c := range table {
		if c.Product == p && c.Version == version {
			return c, true
		}
	}
	return Cycle{}, false
}

// Current lists the releases of a product that have not ended, newest first: what the conversion
// accepts and defaults to.
func Current(p Product) []Cycle {
	var out []Cycle
	for _, c := range table {
		if c.Product == p && !c.Ended {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return versionLess(out[j].Version, out[i].Version) })
	return out
}

// Versions is the Version of each cycle, for messages: "22, 24, 26".
func Versions(cs []Cycle) string {
	vs := make([]string, len(cs))
	for i, c := range cs {
		vs[i] = c.Version
	}
	sort.Slice(vs, func(i, j int) bool { return versionLess(vs[i], vs[j]) })
	return strings.Join(vs, ", ")
}

// All is every row, in table order, for documentation and tests.
func All() []Cycle { return append([]Cycle(nil), table...) }

// versionLess compares dotted numeric versions ("3.9" < "3.13").
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, errx := strconv.Atoi(as[i])
		y, erry := strconv.Atoi(bs[i])
		if errx != nil || erry != nil {
			if as[i] != bs[i] {
				return as[i] < bs[i]
			}
			continue
		}
		if x != y {
			return x < y
		}
	}
	return len(as) < len(bs)
}

// DistrolessImage is the cycle of a distroless image reference ("gcr.io/distroless/nodejs22-debian12:nonroot",
// with or without a digest); ok is false for any other image.
func DistrolessImage(ref string) (Cycle, bool) {
	rest, found := strings.CutPrefix(ref, "gcr.io/distroless/")
	if !found {
		return Cycle{}, false
	}
	name, _, _ := strings.Cut(rest, "@")
	name, _, _ = strings.Cut(name, ":")
	flavor, release, found := strings.Cut(name, "-debian")
	if !found {
		return Cycle{}, false
	}
	var p Product
	switch {
	case flavor == "static" || flavor == "base" || flavor == "base-nossl" || flavor == "cc":
		p = DistrolessBase
	case strings.HasPrefix(flavor, "java"):
		p = DistrolessJava
	case strings.HasPrefix(flavor, "nodejs"):
		p = DistrolessNodeJS
	case strings.HasPrefix(flavor, "python"):
		p = DistrolessPython
	default:
		return Cycle{}, false
	}
	c, ok := Lookup(p, release)
	return c, ok
}

// ReleaseOf is the table's Version for a full version string of a product, as files record it:
// "22.23.2" is Node.js "22", "3.13.5" Python "3.13", "1.8.0_392" and "21.0.12+7" Java "8" and
// "21", "1:20.19.2+dfsg-1" (a Debian package version) Node.js "20". Empty when it reads none.
func ReleaseOf(p Product, version string) string {
	if _, rest, ok := strings.Cut(version, ":"); ok { // a Debian epoch
		version = rest
	}
	version = strings.TrimPrefix(version, "v")
	end := strings.IndexFunc(version, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if end >= 0 {
		version = version[:end]
	}
	parts := strings.Split(version, ".")
	for i, s := range parts {
		if s == "" {
			parts = parts[:i]
			break
		}
	}
	switch {
	case len(parts) == 0:
		return ""
	case p == Python && len(parts) >= 2:
		return parts[0] + "." + parts[1]
	case p == Python:
		return ""
	case p == Java && parts[0] == "1" && len(parts) >= 2:
		return parts[1]
	}
	return parts[0]
}

package spec

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

func (c *checker) tags() {
	for i, t := range c.s.Build.Tags {
		p := fmt.Sprintf("build.tags[%d]", i)
		switch {
		case t == "":
			c.report(p, "empty tag", "remove the item or write the tag")
		case strings.ContainsAny(t, ", \t\n\r") || hasControl(t):
			c.report(p, quote(t)+" is several tags or not a tag", "write one tag per item, e.g. tags: [netgo, osusergo]")
		}
	}
}

func (c *checker) steps() {
	const runHint = `write the command as a list, e.g. run: ["go", "generate", "./..."], or a shell script as sh: "make generate"`
	for i, st := range c.s.Build.Steps {
		p := fmt.Sprintf("build.steps[%d].run", i)
		sh := fmt.Sprintf("build.steps[%d].sh", i)
		switch {
		case st.Sh != "" && st.Run != nil:
			c.report(sh, "a step is either run (exec form) or sh (a shell script), not both", "remove run or sh")
		case st.Sh != "":
			if strings.ContainsRune(st.Sh, 0) {
				c.report(sh, "the script contains a NUL byte", "remove it")
			}
		case c.s.written(sh):
			c.report(sh, "empty script", runHint)
		case len(st.Run) == 0:
			msg := presence(st.Run != nil, c.s.written(p))
			c.report(p, msg, runHint)
		default:
			c.execForm(p, st.Run, true, runHint)
		}
	}
}

// buildArgs checks build.args: names as for env, not set twice with build.env, not the proxy
// args the frontend passes itself, and nothing that looks like a secret.
func (c *checker) buildArgs() {
	for _, k := range slices.Sorted(maps.Keys(c.s.Build.Args)) {
		p := "build.args." + k
		switch {
		case !envName.MatchString(k):
			c.reportKey(p, quote(k)+" is not a valid build arg name", "use letters, digits and _, not starting with a digit, e.g. VERSION")
		case proxyArg(k):
			c.reportKey(p, quote(k)+" is a proxy setting the builder gets from --build-arg "+k+" already, without declaring it", "remove it")
		case k == "SOURCE_DATE_EPOCH" || k == "BUILDKIT_CACHE_MOUNT_NS" || strings.HasPrefix(k, "BUILDKIT_"):
			c.reportKey(p, quote(k)+" is read by the frontend itself", "remove it; --build-arg "+k+" works without declaring it")
		case looksSecret(k):
			c.reportKey(p, quote(k)+" looks like a secret, and build args are in every step's cache key and in the build's provenance",
				"pass it as a build secret: build: {secrets: [{id: "+strings.ToLower(k)+", env: "+k+"}]}")
		case c.s.Build.Env[k] != "" || hasKey(c.s.Build.Env, k):
			c.reportKey(p, quote(k)+" is also in build.env", "keep one: build.env for a fixed value, build.args for one the build may override")
		case strings.ContainsRune(c.s.Build.Args[k], 0):
			c.report(p, "the value contains a NUL byte", "remove it")
		}
	}
}

func proxyArg(k string) bool {
	switch strings.ToUpper(k) {
	case "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY":
		return true
	}
	return false
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

// presence words a required list that has no items: written as [], written with no value, or absent.
func presence(isList, written bool) string {
	switch {
	case isList:
		return "empty list"
	case written:
		return "empty"
	}
	return "missing"
}

// debPackage is a Debian package name as policy 5.6.1 defines it: lower-case letters, digits, +, -
// and ., at least two long, starting with a letter or digit (so never an option to apt).
var debPackage = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)

// packages checks a list of Debian package names; the build passes them to apt as arguments, never
// through a shell, and this keeps them plain names.
func (c *checker) packages(field string, names []string, example string) {
	first := map[string]int{}
	for i, n := range names {
		p := fmt.Sprintf("%s[%d]", field, i)
		switch name, _, pinned := strings.Cut(n, "="); {
		case strings.TrimSpace(n) == "":
			c.report(p, "empty package name", "remove the item or write the package name, e.g. "+example)
		case pinned && debPackage.MatchString(name):
			c.report(p, quote(n)+" pins a version", "write the package name alone: "+name+" (the build records the version it resolves)")
		case strings.ContainsAny(n, ", \t"):
			c.report(p, quote(n)+" is several packages or not a package", fmt.Sprintf("write one package per item, e.g. %s: %s", lastName(field), flowList(strings.FieldsFunc(n, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }))))
		case debPackage.MatchString(strings.ToLower(n)) && !debPackage.MatchString(n):
			c.report(p, quote(n)+" has upper-case letters, and Debian package names are lower case", "write "+strings.ToLower(n))
		case !debPackage.MatchString(n):
			c.report(p, quote(n)+" is not a Debian package name", "write a name of lower-case letters, digits, +, - and ., at least two long, e.g. "+example)
		default:
			if j, dup := first[n]; dup {
				c.report(p, fmt.Sprintf("%s is listed twice (also %s[%d])", quote(n), field, j), "remove one of them")
				continue
			}
			first[n] = i
		}
	}
}

package audit

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// account is one line of /etc/passwd, /etc/group or /etc/shadow.
type account struct {
	name, password string
	id             int64 // uid or gid; -1 in shadow
	gid            int64 // primary group (passwd only)
	home, shell    string
	line           int
}

// parseAccounts parses a colon-separated account file: passwd has uid, gid, home and shell,
// group a gid, shadow neither. Comments, NIS lines and malformed lines are skipped.
func parseAccounts(data []byte, kind string) []account {
	idField, gidField, homeField, shellField := -1, -1, -1, -1
	switch kind {
	case "passwd":
		idField, gidField, homeField, shellField = 2, 3, 5, 6
	case "group":
		idField = 2
	}
	var out []account
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		f := strings.Split(line, ":")
		a := account{name: f[0], id: -1, gid: -1, line: i + 1}
		if len(f) > 1 {
			a.password = f[1]
		}
		num := func(i int) int64 {
			if i < 0 || i >= len(f) {
				return -1
			}
			n, err := strconv.ParseInt(f[i], 10, 64)
			if err != nil || n < 0 {
				return -1
			}
			return n
		}
		a.id, a.gid = num(idField), num(gidField)
		if shellField >= 0 && shellField < len(f) {
			a.home, a.shell = f[homeField], f[shellField]
		}
		if idField >= 0 && a.id < 0 {
			continue
		}
		out = append(out, a)
	}
	return out
}

func (f *facts) passwd() ([]account, bool) {
	d, ok := f.read("/etc/passwd")
	return parseAccounts(d, "passwd"), ok
}

func (f *facts) groups() ([]account, bool) {
	d, ok := f.read("/etc/group")
	return parseAccounts(d, "group"), ok
}

// runtimeUser is the config's USER resolved the way a container runtime resolves it.
type runtimeUser struct {
	spec     string
	uid, gid int64 // -1 when unresolved
	problem  string
	// gidWhy says where the gid came from.
	gidWhy string
	entry  *account
}

func (f *facts) user() *runtimeUser {
	if f.userCached != nil {
		return f.userCached
	}
	u := &runtimeUser{spec: f.cfg.Config.User, uid: -1, gid: -1}
	f.userCached = u
	name, group, hasGroup := strings.Cut(u.spec, ":")
	users, havePasswd := f.passwd()
	byUID := func(id int64) *account {
		for i := range users {
			if users[i].id == id {
				return &users[i]
			}
		}
		return nil
	}
	switch n, err := strconv.ParseInt(name, 10, 64); {
	case name == "":
		u.uid = 0
	case err == nil && n >= 0:
		u.uid = n
	case !havePasswd:
		u.problem = fmt.Sprintf("user %q cannot be resolved to a uid: the image has no /etc/passwd", name)
		return u
	default:
		for i := range users {
			if users[i].name == name {
				u.uid = users[i].id
				break
			}
		}
		if u.uid < 0 {
			u.problem = fmt.Sprintf("user %q cannot be resolved to a uid: no such user in /etc/passwd", name)
			return u
		}
	}
	u.entry = byUID(u.uid)
	switch n, err := strconv.ParseInt(group, 10, 64); {
	case hasGroup && err == nil && n >= 0:
		u.gid, u.gidWhy = n, "config.User"
	case hasGroup:
		gs, _ := f.groups()
		for _, g := range gs {
			if g.name == group {
				u.gid, u.gidWhy = g.id, "/etc/group"
			}
		}
		if u.gid < 0 {
			u.problem = fmt.Sprintf("group %q cannot be resolved to a gid", group)
		}
	case u.entry != nil && u.entry.gid >= 0:
		u.gid, u.gidWhy = u.entry.gid, fmt.Sprintf("the primary group of uid %d in /etc/passwd", u.uid)
	default:
		u.gid, u.gidWhy = 0, fmt.Sprintf("config.User names no group and uid %d has no /etc/passwd entry, so runtimes use gid 0", u.uid)
	}
	return u
}

func userField(spec string) Evidence {
	return Evidence{Field: "config.User", Detail: strconv.Quote(spec)}
}

func checkUserRoot(f *facts) outcome {
	u := f.user()
	ev := []Evidence{userField(u.spec)}
	switch {
	case u.spec == "":
		return failed(ev, "the image runs as root: no user is set")
	case u.uid < 0:
		return failed(ev, "%s", u.problem)
	case u.uid == 0 && strings.HasPrefix(u.spec, "0"):
		return failed(ev, "the image runs as uid 0 (root)")
	case u.uid == 0:
		return failed(ev, "user %q is uid 0 (root) in /etc/passwd", strings.SplitN(u.spec, ":", 2)[0])
	}
	return pass("runs as %s (uid %d)", u.spec, u.uid)
}

func checkUserNumeric(f *facts) outcome {
	spec := f.cfg.Config.User
	name, group, hasGroup := strings.Cut(spec, ":")
	numeric := func(s string) bool { _, err := strconv.ParseUint(s, 10, 32); return err == nil }
	switch {
	case spec == "":
		return failed([]Evidence{userField(spec)}, "no user is set")
	case !numeric(name) || (hasGroup && !numeric(group)):
		return failed([]Evidence{userField(spec)}, "USER %q is not numeric; write UID:GID", spec)
	}
	return pass("USER %s is numeric", spec)
}

func checkUserGroup(f *facts) outcome {
	u := f.user()
	if u.uid < 0 || u.gid < 0 {
		return skipped("%s", u.problem)
	}
	if u.gid == 0 {
		return failed([]Evidence{{Field: "config.User", Detail: fmt.Sprintf("%q: gid 0 from %s", u.spec, u.gidWhy)}},
			"the primary group is 0 (root)")
	}
	return pass("primary group %d (from %s)", u.gid, u.gidWhy)
}

// nologinShells are the shells that refuse a login.
var nologinShells = map[string]bool{"/sbin/nologin": true, "/usr/sbin/nologin": true, "/bin/false": true, "/usr/bin/false": true}

func checkUserAccount(f *facts) outcome {
	u := f.user()
	if u.uid < 0 {
		return skipped("%s", u.problem)
	}
	if _, ok := f.passwd(); !ok {
		return failed([]Evidence{{Path: "/etc/passwd", Detail: "missing"}}, "the image has no /etc/passwd, so uid %d has no account", u.uid)
	}
	if u.entry == nil {
		return failed([]Evidence{f.fileEvidence("/etc/passwd", "no entry for uid %d", u.uid)}, "uid %d has no /etc/passwd entry", u.uid)
	}
	if !nologinShells[u.entry.shell] {
		shell := u.entry.shell
		if shell == "" {
			shell = "(empty: /bin/sh)"
		}
		return failed([]Evidence{f.fileEvidence("/etc/passwd", "line %d: %s has login shell %s", u.entry.line, u.entry.name, shell)},
			"the runtime user %s can log in", u.entry.name)
	}
	return pass("uid %d is %s with shell %s", u.uid, u.entry.name, u.entry.shell)
}

func checkEmptyPasswords(f *facts) outcome {
	var ev []Evidence
	users, _ := f.passwd()
	for _, a := range users {
		if a.password == "" {
			ev = append(ev, f.fileEvidence("/etc/passwd", "line %d: %s has an empty password", a.line, a.name))
		}
	}
	if d, ok := f.read("/etc/shadow"); ok {
		for _, a := range parseAccounts(d, "shadow") {
			if a.password == "" {
				ev = append(ev, f.fileEvidence("/etc/shadow", "line %d: %s has an empty password", a.line, a.name))
			}
		}
	}
	if len(ev) > 0 {
		return failed(ev, "%s with an empty password", plural(len(ev), "account", "accounts"))
	}
	return pass("no account has an empty password")
}

func checkUniqueIDs(f *facts) outcome {
	var ev []Evidence
	dup := func(file, what string, list []account, key func(account) string) {
		first := map[string]account{}
		for _, a := range list {
			k := key(a)
			if prev, ok := first[k]; ok {
				ev = append(ev, f.fileEvidence(file, "line %d: %s %s is also line %d (%s)", a.line, what, k, prev.line, prev.name))
				continue
			}
			first[k] = a
		}
	}
	users, _ := f.passwd()
	groups, _ := f.groups()
	dup("/etc/passwd", "uid", users, func(a account) string { return strconv.FormatInt(a.id, 10) })
	dup("/etc/passwd", "user", users, func(a account) string { return a.name })
	dup("/etc/group", "gid", groups, func(a account) string { return strconv.FormatInt(a.id, 10) })
	dup("/etc/group", "group", groups, func(a account) string { return a.name })
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].Path < ev[j].Path })
	if len(ev) > 0 {
		return failed(ev, "%s", plural(len(ev), "duplicate", "duplicates"))
	}
	return pass("%s and %s, all unique", plural(len(users), "user", "users"), plural(len(groups), "group", "groups"))
}

package spec

import (
	"fmt"
	"strconv"
	"strings"
)

// DefaultUser is distroless's nonroot uid and gid.
const DefaultUser = "65532:65532"

// maxID is the largest uid or gid the kernel and the image config accept.
const maxID = 2147483647

// rootHint says what to write instead of a root user.
const rootHint = "write user: 65532 (distroless nonroot) or another non-zero uid"

// wellKnownIDs are names people write for user, with the ids distroless gives them.
var wellKnownIDs = map[string]int{"nobody": 65534, "nogroup": 65534, "nonroot": 65532}

// userProblem is why a user value is refused, and what to write instead.
type userProblem struct{ msg, hint string }

// parseUser reads uid or uid:gid; gid defaults to uid. Names are refused because the final image
// has no tools to look them up, and uid 0 because the image must not run as root.
func parseUser(u string) (uid, gid int, p *userProblem) {
	if strings.EqualFold(u, "root") {
		return 0, 0, &userProblem{`"root" is uid 0 (root), which is not allowed`, rootHint}
	}
	parts := strings.Split(u, ":")
	if len(parts) > 2 {
		return 0, 0, &userProblem{quote(u) + " is not uid or uid:gid", "write numeric ids, e.g. user: 65532 or user: 65532:65532"}
	}
	uid, p = parseID(parts[0], "uid", u)
	if p != nil {
		return 0, 0, p
	}
	gid = uid
	if len(parts) == 2 {
		if gid, p = parseID(parts[1], "gid", u); p != nil {
			return 0, 0, p
		}
	}
	if uid == 0 {
		return 0, 0, &userProblem{"uid 0 (root) is not allowed", rootHint}
	}
	return uid, gid, nil
}

// parseID reads one numeric id of a user value; kind is "uid" or "gid".
func parseID(s, kind, whole string) (int, *userProblem) {
	example := "write numeric ids, e.g. user: 65532 or user: 65532:65532"
	// gid 0 is allowed (uid 0 is refused after parsing), so the ranges differ.
	rangeHint := fmt.Sprintf("write a %s from 1 to %d, e.g. 65532", kind, maxID)
	if kind == "gid" {
		rangeHint = fmt.Sprintf("write a gid from 0 to %d, e.g. 65532", maxID)
	}
	switch {
	case s == "":
		return 0, &userProblem{fmt.Sprintf("%s has no %s", quote(whole), kind), example}
	case strings.HasPrefix(s, "-") && isDigits(s[1:]) && strings.Trim(s[1:], "0") == "":
		if kind == "uid" {
			return 0, &userProblem{fmt.Sprintf("uid %s is 0 (root) written with a minus sign, which is not allowed", s), rootHint}
		}
		return 0, &userProblem{fmt.Sprintf("gid %s is 0 written with a minus sign", s), "write the gid without a sign: " + strings.TrimSuffix(whole, s) + "0"}
	case strings.HasPrefix(s, "-") && isDigits(s[1:]):
		return 0, &userProblem{fmt.Sprintf("%s %s is negative", kind, s), rangeHint}
	case strings.HasPrefix(s, "+") && isDigits(s[1:]):
		return 0, &userProblem{fmt.Sprintf("%s %s has a sign", kind, s), fmt.Sprintf("write the %s without the +, e.g. user: 65532", kind)}
	case !isDigits(s):
		hint := fmt.Sprintf("write the numeric %s, e.g. user: 65532", kind)
		if id, ok := wellKnownIDs[strings.ToLower(s)]; ok {
			hint = fmt.Sprintf("write the numeric %s, e.g. %d for %s", kind, id, s)
		}
		return 0, &userProblem{fmt.Sprintf("%s %s is not a number; the image has no user database to look names up in", kind, quote(s)), hint}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > maxID {
		return 0, &userProblem{fmt.Sprintf("%s %s is out of range", kind, s), rangeHint}
	}
	return int(n), nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// UID is the uid the image runs as, counting the default, or -1 if User is not valid.
func (s *Spec) UID() int {
	uid, _, p := parseUser(s.effectiveUser())
	if p != nil {
		return -1
	}
	return uid
}

// GID is the gid the image runs as, counting the default, or -1 if User is not valid.
func (s *Spec) GID() int {
	_, gid, p := parseUser(s.effectiveUser())
	if p != nil {
		return -1
	}
	return gid
}

func (s *Spec) effectiveUser() string {
	if s.User == "" {
		return DefaultUser
	}
	return s.User
}

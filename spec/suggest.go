package spec

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// misnomers maps words from Dockerfiles and compose files to the field that means the same here.
var misnomers = map[string]string{
	"args":        "cmd",
	"binaries":    "artifacts",
	"binary":      "artifacts",
	"command":     "cmd",
	"environment": "env",
	"from":        "base",
	"go_version":  "version",
	"goversion":   "version",
	"health":      "healthcheck",
	"image":       "base",
	"lang":        "language",
	"main":        "artifacts",
	"packages":    "artifacts",
	"port":        "expose",
	"ports":       "expose",
	"working_dir": "workdir",
	"workingdir":  "workdir",
}

// unknownFieldHint says which field the writer probably meant, or lists the known ones.
func unknownFieldHint(t reflect.Type, key string) string {
	names := fieldNames(t)
	norm := normalizeKey(key)
	if want := misnomers[norm]; want != "" && slices.Contains(names, want) {
		return fmt.Sprintf("did you mean %q?", want)
	}
	// Builder settings written at the top level are the most common misplacement.
	if t == reflect.TypeOf(Spec{}) {
		for _, n := range fieldNames(reflect.TypeOf(Build{})) {
			if norm == n && !slices.Contains(names, n) {
				return fmt.Sprintf("%s belongs under build:; write build: and indent %s: beneath it", n, n)
			}
		}
	}
	best, bestDist := "", -1
	for _, n := range names {
		d := editDistance(norm, n)
		if bestDist < 0 || d < bestDist {
			best, bestDist = n, d
		}
	}
	limit := 1
	if len(norm) >= 5 {
		limit = 2
	}
	if bestDist >= 0 && bestDist <= limit {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return "known fields: " + strings.Join(names, ", ")
}

// normalizeKey folds case and dashes so WorkDir and start-period find their fields.
func normalizeKey(k string) string {
	return strings.ReplaceAll(strings.ToLower(k), "-", "_")
}

// editDistance is the Levenshtein distance between a and b, by bytes.
func editDistance(a, b string) int {
	// Keys are short; a long one cannot be a near miss, so skip the quadratic work.
	if len(a) > 64 || len(b) > 64 {
		return len(a) + len(b)
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

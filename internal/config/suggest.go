package config

import (
	"fmt"
	"strings"
)

// unknownProperty is the error for a spark.* name nothing governs, with the
// closest registered name as a hint when one is close enough to be a typo.
func unknownProperty(name string) error {
	if s := closest(name); s != "" {
		return fmt.Errorf("%w; did you mean %s?", ErrUnknownProperty, s)
	}
	return ErrUnknownProperty
}

// closest returns the registered name nearest to name in edit distance,
// ignoring case, or "" when none is within a typo's reach.
//
// A prefix property (spark.executorEnv., ...driver.label., ...secrets.)
// turns what follows it into an environment variable, a label, a secret:
// it is suggested only for a name that splits at one of its dots into a
// misspelt prefix (at most maxPrefixTypo edits) and a key, and the
// suggestion keeps that key whole. A misspelt property is never made a key:
// spark.kubernetes.driver.podTemplate is not suggested
// spark.kubernetes.driverEnv.podTemplate, nor is
// spark.kubernetes.driver.secretKeyRf.DB_USER suggested
// spark.kubernetes.driver.secrets.KeyRf.DB_USER.
func closest(name string) string {
	lname := strings.ToLower(name)
	best, bestDist := "", -1
	consider := func(candidate string, d int) {
		if bestDist < 0 || d < bestDist || (d == bestDist && candidate < best) {
			best, bestDist = candidate, d
		}
	}
	for _, p := range All() {
		names := append([]string{p.Name}, p.Aliases...)
		for _, n := range names {
			ln := strings.ToLower(n)
			if !p.Prefix {
				consider(p.Name, editDistance(lname, ln))
				continue
			}
			for i := range len(lname) - 1 {
				if lname[i] != '.' {
					continue
				}
				if d := editDistance(lname[:i+1], ln); d <= maxPrefixTypo {
					consider(p.Name+name[i+1:], d)
				}
			}
		}
	}
	if bestDist < 0 || bestDist > max(2, len(name)/6) {
		return ""
	}
	return best
}

// maxPrefixTypo is how far a prefix property's prefix may be misspelt for
// it to be suggested.
const maxPrefixTypo = 2

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
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

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

// closest returns the registered name (or, for a prefix property, the prefix
// plus the rest of name) nearest to name in edit distance, ignoring case, or
// "" when none is within a typo's reach.
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
			// Compare the prefix with the start of name, allowing the
			// prefix itself to be misspelt by a few characters.
			for cut := max(len(ln)-3, 1); cut <= min(len(ln)+3, len(lname)-1); cut++ {
				d := editDistance(lname[:cut], ln)
				if strings.HasPrefix(name[cut:], ".") {
					d++ // the prefix already ends with a dot
				}
				consider(p.Name+name[cut:], d)
			}
		}
	}
	if bestDist < 0 || bestDist > max(2, len(name)/6) {
		return ""
	}
	return best
}

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

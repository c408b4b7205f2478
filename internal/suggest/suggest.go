// Package suggest finds the name a mistyped word probably meant, for the
// "did you mean" of error messages.
package suggest

import (
	"strings"
)

// maxCandidates bounds the work of one suggestion: a file with more names
// than this gets no "did you mean" for them.
const maxCandidates = 1000

// Closest returns the candidate closest to word when it is close enough to
// be a likely typo, else "". A case-only difference always matches; else the
// edit distance (with transpositions) must be at most a third of the word,
// and at least 1.
func Closest(word string, candidates []string) string {
	if len(candidates) > maxCandidates {
		return ""
	}
	for _, c := range candidates {
		if strings.EqualFold(c, word) {
			return c
		}
	}
	best, bestDist := "", -1
	limit := max(1, min(3, len(word)/3))
	for _, c := range candidates {
		d := editDistance(strings.ToLower(word), strings.ToLower(c))
		if d <= limit && (bestDist < 0 || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// DidYouMean returns " (did you mean X?)" or "".
func DidYouMean(word string, candidates []string) string {
	if s := Closest(word, candidates); s != "" {
		return " (did you mean " + s + "?)"
	}
	return ""
}

// editDistance is the optimal string alignment distance between a and b
// (Levenshtein plus transposition of two adjacent bytes). Inputs longer than
// 64 bytes are never close to a field name; they get len(a)+len(b) quickly.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return len(a) + len(b)
	}
	// rows i-2, i-1 and i of the DP table
	prev2 := make([]int, len(b)+1)
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
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

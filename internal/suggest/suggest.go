// Package suggest finds, for a misspelt name, the known name it most likely
// meant: the "did you mean" of the runbook and platform description parsers.
//
// It must never decide anything: it only proposes a name for a message.
package suggest

import "fmt"

// Nearest is the candidate closest to got by edit distance, when it is
// close enough to be a misspelling (at most 2 edits, or a third of got's
// length for a longer name) and not got itself; "" otherwise. Ties go to
// the earlier candidate.
func Nearest(got string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if d := Distance(got, c); d < bestD {
			best, bestD = c, d
		}
	}
	limit := max(len(got)/3, 2)
	if best == "" || bestD > limit || bestD == 0 {
		return ""
	}
	return best
}

// DidYouMean is ` (did you mean "x"?)` for Nearest's answer, or "".
func DidYouMean(got string, candidates []string) string {
	if best := Nearest(got, candidates); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

// Distance is the Levenshtein distance between a and b; names longer than
// 200 bytes are simply far apart (the quadratic cost is not worth paying
// for a message).
func Distance(a, b string) int {
	if len(a) > 200 || len(b) > 200 {
		return 1 << 20
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

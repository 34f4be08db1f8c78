package main

import (
	"strings"
	"testing"
)

func TestValidBatchID(t *testing.T) {
	for _, ok := range []string{"incident-42", "demo_1.2", "20221105-073800-a1b2c3"} {
		if !validBatchID(ok) {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"", "a b", "x/y", strings.Repeat("a", 101)} {
		if validBatchID(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestBar(t *testing.T) {
	if got := bar(1, 4); strings.Count(got, "█") != 10 || strings.Count(got, "·") != 30 {
		t.Fatalf("bar %q", got)
	}
	if got := bar(9, 4); strings.Count(got, "█") != 40 {
		t.Fatalf("overfull bar %q", got)
	}
	if got := bar(0, 0); strings.Count(got, "█") != 0 {
		t.Fatalf("empty bar %q", got)
	}
}

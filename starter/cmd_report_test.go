package main

import (
	"context"
	"strings"
	"testing"
)

// A --next-update that is not a positive duration is one line, exit 2,
// before Temporal is dialled.
func TestReportRefusesABadNextUpdate(t *testing.T) {
	h := lazarus(t, "TEMPORAL_ADDRESS=127.0.0.1:1")
	for _, v := range []string{"0s", "-5m", "soon"} {
		r := h.Run(t, context.Background(), "report", "b1", "--next-update", v)
		if r.Code != 2 || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, "next-update") {
			t.Errorf("--next-update %s: exit %d, stderr %q; want exit 2 and one line naming the flag", v, r.Code, r.Stderr)
		}
	}
}

package workflows

import (
	"testing"
	"time"
)

// The ETA is the remaining sites over the measured rate of finished sites:
// ends every 2 s make 0.5 sites/s, so 100 sites left take 200 s; a stall
// since the last end slows the rate; fewer than two ends measure nothing.
func TestRateETA(t *testing.T) {
	t0 := time.Date(2026, 4, 5, 8, 0, 0, 0, time.UTC)
	var ends []time.Time
	for i := 0; i < 10; i++ {
		ends = append(ends, t0.Add(time.Duration(i)*2*time.Second))
	}
	last := ends[len(ends)-1]
	if d, ok := rateETA(last, 100, ends); !ok || d != 200*time.Second {
		t.Fatalf("steady rate: %v %v, want 200s", d, ok)
	}
	// 60 s with no site finishing: 9 intervals over 78 s.
	if d, ok := rateETA(last.Add(60*time.Second), 100, ends); !ok || d != 867*time.Second {
		t.Fatalf("after a stall: %v %v, want 867s", d, ok)
	}
	if _, ok := rateETA(last, 100, ends[:1]); ok {
		t.Fatal("one end gave a rate")
	}
	if _, ok := rateETA(t0, 100, []time.Time{t0, t0}); ok {
		t.Fatal("no time elapsed gave a rate")
	}
}

// The batch measures over the latest RateWindow ends, and falls back to the
// plan's estimates (waves of the window times the longest path) before
// sites have finished; the 883-site batch of the demo (window 200, 16 s per
// site, 7 minutes left) is estimated from its measured rate, not from the
// step estimates.
func TestBatchETAUsesMeasuredRate(t *testing.T) {
	p := plan(step("a", "a"), step("b", "b", "a"))
	g, err := newGraph(p)
	if err != nil {
		t.Fatal(err)
	}
	b := &batchRun{in: RestoreBatchInput{Plan: p}, g: g, maxConcurrent: 200, tally: &tally{}}
	now := time.Date(2026, 4, 5, 8, 0, 0, 0, time.UTC)
	// No site finished: plan estimates (2 × 1 minute per site), 883 sites
	// in 5 waves of 200.
	if d := b.eta(now, 883); d != 10*time.Minute {
		t.Fatalf("plan ETA %v, want 10m", d)
	}
	// 300 sites finished at 2 per second, the rate window keeps the last 100.
	for i := 0; i < 300; i++ {
		b.tally.noteEnd(now.Add(time.Duration(i) * 500 * time.Millisecond))
	}
	if len(b.tally.recentEnds) != RateWindow || !b.tally.recentEnds[0].Equal(now.Add(200*500*time.Millisecond)) {
		t.Fatalf("window %d ends from %v", len(b.tally.recentEnds), b.tally.recentEnds[0])
	}
	at := now.Add(299 * 500 * time.Millisecond)
	if d := b.eta(at, 840); d != 7*time.Minute {
		t.Fatalf("measured ETA %v, want 7m (840 sites at 2/s)", d)
	}
	if d := b.eta(at, 0); d != 0 {
		t.Fatalf("nothing left: ETA %v", d)
	}
}

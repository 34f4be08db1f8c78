package workflows

import (
	"testing"
	"time"
)

// The ETA is the remaining sites at the pace kept so far: 300 sites in
// 150 s make 2 a second, so 840 left take 7 minutes; fewer than two
// finished sites measure nothing.
func TestPaceETA(t *testing.T) {
	if d, ok := paceETA(150*time.Second, 300, 840); !ok || d != 7*time.Minute {
		t.Fatalf("pace ETA %v %v, want 7m", d, ok)
	}
	if _, ok := paceETA(150*time.Second, 1, 840); ok {
		t.Fatal("one finished site gave a pace")
	}
	if _, ok := paceETA(0, 10, 840); ok {
		t.Fatal("no time elapsed gave a pace")
	}
}

// Before sites have finished the batch falls back to the plan's estimates
// (waves of the window times the longest path); then it uses its pace.
func TestBatchETAUsesPaceSoFar(t *testing.T) {
	p := plan(step("a", "a"), step("b", "b", "a"))
	g, err := newGraph(p)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 4, 5, 8, 0, 0, 0, time.UTC)
	b := &batchRun{in: RestoreBatchInput{Plan: p}, g: g, maxConcurrent: 200, tally: &tally{}, startedAt: start}
	// No site finished: plan estimates (2 × 1 minute per site), 883 sites
	// in 5 waves of 200.
	if d := b.eta(start.Add(time.Minute), 883); d != 10*time.Minute {
		t.Fatalf("plan ETA %v, want 10m", d)
	}
	for i := 0; i < 100; i++ {
		b.tally.results = append(b.tally.results, SiteResult{SiteID: "s"})
	}
	// 100 sites in 50 s (a handover stall included): 2 a second.
	if d := b.eta(start.Add(50*time.Second), 783); d != 392*time.Second {
		t.Fatalf("pace ETA %v, want 392s (783 sites at 2/s)", d)
	}
	// Measured from the first site's start when known (the lead steps'
	// 25 s before it are not the sites' pace): 100 in 25 s, 4 a second.
	b.firstSiteAt = start.Add(25 * time.Second)
	if d := b.eta(start.Add(50*time.Second), 783); d != 196*time.Second {
		t.Fatalf("pace ETA from the first site %v, want 196s (783 sites at 4/s)", d)
	}
	// Measured from the first site's end once known (the first wave's
	// ramp-up before it is not the batch's pace): the 99 sites after it in
	// the 11 s since, 9 a second.
	b.firstEndAt = start.Add(39 * time.Second)
	if d := b.eta(start.Add(50*time.Second), 783); d != 87*time.Second {
		t.Fatalf("pace ETA from the first end %v, want 87s (783 sites at 9/s)", d)
	}
	if d := b.eta(start.Add(50*time.Second), 0); d != 0 {
		t.Fatalf("nothing left: ETA %v", d)
	}
}

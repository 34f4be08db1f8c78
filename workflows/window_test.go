package workflows

import (
	"slices"
	"testing"
	"time"
)

// The window on its own: queue order, what holds a place, adoption,
// blocking, and finishing a site exactly once.
func TestWindowStartsAdoptsAndFinishes(t *testing.T) {
	w := newWindow()
	w.enqueue(sites(3, "q")...)
	w.adopt(BlockedSite{SiteID: "old-moving", Kind: SiteRunning})
	w.adopt(BlockedSite{SiteID: "old-parked", Kind: SiteParked, StepID: "db", Reason: "shard down"})
	w.hasResult("done-before")

	if active, inRun := w.load(); active != 1 || inRun != 0 {
		t.Fatalf("load after adopting = %d active, %d in run; want 1, 0 (a parked site holds no place)", active, inRun)
	}
	now := time.Date(2026, 4, 5, 8, 0, 0, 0, time.UTC)
	c := w.begin(0, now)
	if c.site.SiteID != "q00000" || !c.inRun || len(w.queue) != 2 {
		t.Fatalf("begin took %q (in run %v), queue %d; want the head q00000 of this run, 2 left", c.site.SiteID, c.inRun, len(w.queue))
	}
	if !w.moving() {
		t.Fatal("a site this run started and not blocked is moving")
	}
	w.block("q00000", SiteEventWaiting, "gate", "waiting", time.Time{})
	if w.moving() || w.count(SiteEventWaiting) != 1 || w.count(SiteEventParked) != 1 {
		t.Fatalf("after blocking: moving %v, waiting %d, parked %d", w.moving(), w.count(SiteEventWaiting), w.count(SiteEventParked))
	}
	if c, first := w.finish("q00000"); c == nil || !first {
		t.Fatal("finish of a running site returns its child the first time")
	}
	if _, first := w.finish("q00000"); first {
		t.Fatal("a site is finished once")
	}
	if _, first := w.finish("done-before"); first {
		t.Fatal("a site carried with a result is not finished again")
	}
	got := w.adopted()
	if len(got) != 2 || got[0].SiteID != "old-moving" || got[0].Kind != SiteRunning || got[1].Kind != SiteParked || got[1].Reason != "shard down" {
		t.Fatalf("adopted = %+v; want old-moving running, then old-parked parked with its reason", got)
	}
	if !slices.Equal(w.order, []string{"old-moving", "old-parked"}) || w.empty() {
		t.Fatalf("order %v, empty %v", w.order, w.empty())
	}
	if len(w.known) != 6 {
		t.Fatalf("known %d sites, want 6 (3 queued, 2 adopted, 1 with a result)", len(w.known))
	}
}

// A site whose start the server never confirmed leaves the window, and is
// not handed over as running.
func TestWindowUnconfirmedStartsLeave(t *testing.T) {
	w := newWindow()
	w.enqueue(sites(2, "u")...)
	now := time.Date(2026, 4, 5, 8, 0, 0, 0, time.UTC)
	confirmed, lost := w.begin(0, now), w.begin(0, now)
	confirmed.started = true
	if !w.starting() {
		t.Fatal("one start is not confirmed")
	}
	got := w.unconfirmed()
	if len(got) != 1 || got[0] != lost || w.starting() {
		t.Fatalf("unconfirmed = %v; want the second site only", got)
	}
	if a := w.adopted(); len(a) != 1 || a[0].SiteID != confirmed.site.SiteID {
		t.Fatalf("adopted = %+v; want the confirmed site only", a)
	}
}

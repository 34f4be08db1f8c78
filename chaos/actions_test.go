package chaos

import (
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/workflows"
)

func (h *history) failed(sec float64, sched int64) {
	h.add(sec, enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_ActivityTaskFailedEventAttributes{ActivityTaskFailedEventAttributes: &historypb.ActivityTaskFailedEventAttributes{ScheduledEventId: sched}}
	})
}

func (h *history) timedOut(sec float64, sched int64) {
	h.add(sec, enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_ActivityTaskTimedOutEventAttributes{ActivityTaskTimedOutEventAttributes: &historypb.ActivityTaskTimedOutEventAttributes{ScheduledEventId: sched}}
	})
}

// actionsHistory interleaves executions so that pairing the events in any
// order but by ScheduledEventId gives other figures.
func actionsHistory() *history {
	x, y := contract.ActionCatalogUndelete, contract.ActionMetadataRestore
	var h history
	a := h.scheduled(0, "1", x, "a")
	b := h.scheduled(1, "2", x, "b")
	c := h.scheduled(2, "3", y, "c")
	h.scheduled(2, "4", x, "never closes")
	// b first: queue 2, run 1, total 3.
	h.started(3, b, 1, nil)
	h.completed(4, b)
	// c fails: queue 0.5, run 7.5, total 8.
	h.started(2.5, c, 1, nil)
	h.failed(10, c)
	// a on its third attempt: queue 8, run 12, total 20.
	h.started(8, a, 3, nil)
	h.completed(20, a)
	// e never starts: total 10 only.
	e := h.scheduled(21, "5", x, "e")
	h.timedOut(31, e)
	// An internal activity is not a runbook action.
	s := h.scheduled(40, "6", workflows.ActivitySiteOwner, "owner")
	h.started(41, s, 1, nil)
	h.completed(42, s)
	return &h
}

func TestActionStatsPairsByScheduledEvent(t *testing.T) {
	h := actionsHistory()
	site := &history{}
	site.scheduled(0, "1", workflows.ActivitySiteOwner, "owner")
	tally := newHistoryTally("lazarus-batch-b1")
	tally.add("lazarus-batch-b1", h.events)
	tally.add("lazarus-batch-b1", h.events[:3])
	tally.add("lazarus-site-s1", site.events)
	tally.add("lazarus-site-s2", h.events[:5])
	tally.add("lazarus-site-s3", h.events[:7])
	got := tally.stats()

	want := map[string]ActionStats{
		// The batch run's x executions: totals 3, 20, 10; queues 2, 8;
		// runs 1, 12. Site s3's history closes b once more (3, 2, 1).
		contract.ActionCatalogUndelete: {Count: 4, Failed: 1, Retried: 1, P50: 3, P95: 20, QueueP50: 2, QueueP95: 8, RunP50: 1, RunP95: 12},
		contract.ActionMetadataRestore: {Count: 1, Failed: 1, P50: 8, P95: 8, QueueP50: 0.5, QueueP95: 0.5, RunP50: 7.5, RunP95: 7.5},
		workflows.ActivitySiteOwner:    {Count: 1, P50: 2, P95: 2, QueueP50: 1, QueueP95: 1, RunP50: 1, RunP95: 1},
	}
	if len(got.Actions) != len(want) {
		t.Fatalf("actions = %v, want %d of them", got.Actions, len(want))
	}
	for name, w := range want {
		if g := got.Actions[name]; g != w {
			t.Errorf("%s:\n got %+v\nwant %+v", name, g, w)
		}
	}
	if got.Activities != 5 {
		t.Errorf("activities = %d, want 5 (the internal activity left out)", got.Activities)
	}
	if w := (Spread{N: 3, P50: 5, Max: 7}); got.SiteHistoryEvents != w {
		t.Errorf("site history events = %+v, want %+v", got.SiteHistoryEvents, w)
	}
	if got.BatchRuns != 2 || got.BatchMaxHistoryEvents != len(h.events) {
		t.Errorf("batch runs %d, largest %d events; want 2 and %d", got.BatchRuns, got.BatchMaxHistoryEvents, len(h.events))
	}
	if w := proto.Size(&historypb.History{Events: h.events}); got.BatchMaxHistoryBytes != w {
		t.Errorf("largest batch run = %d bytes, want %d", got.BatchMaxHistoryBytes, w)
	}
}

func TestNearestRank(t *testing.T) {
	xs := []float64{50, 15, 40, 20, 35}
	for _, c := range []struct{ p, want float64 }{{5, 15}, {30, 20}, {40, 20}, {50, 35}, {95, 50}, {100, 50}} {
		if got := nearestRank(xs, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	if got := nearestRank(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %v, want 0", got)
	}
}

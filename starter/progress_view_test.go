package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/workflows"
)

var watchNow = time.Date(2026, 11, 29, 21, 0, 0, 0, time.UTC)

// midway is a batch of 10 sites of a 4-step plan (catalog, identity and
// two validation steps): 2 sites finished, 6 running, 2 blocked.
func midway() workflows.BatchProgress {
	return workflows.BatchProgress{
		BatchID: "b1", Runbook: "restore2", Status: workflows.BatchRunning, MaxConcurrentSites: 8,
		SitesTotal: 10, StartedAt: watchNow.Add(-5 * time.Minute),
		SitesByStatus: map[string]int{workflows.SiteRestored: 2, workflows.SiteRunning: 6, workflows.SiteParked: 1, workflows.SiteWaiting: 1},
		StepsDone:     8, StepsTotal: 40,
		StepsDoneByStage:  map[string]int{"catalog": 2, "identity": 2, "validation": 4},
		StepsTotalByStage: map[string]int{"catalog": 10, "identity": 10, "validation": 20},
		Parked: []workflows.ParkedSite{{SiteID: "s9", StepID: "identity", Reason: "identity: 503 Service Unavailable",
			Kind: workflows.SiteParked, Since: watchNow.Add(-4 * time.Minute)}},
		Waiting: []workflows.ParkedSite{{SiteID: "s10", StepID: "customer", Reason: "waiting for a gate decision",
			Kind: workflows.SiteWaiting, Since: watchNow.Add(-90 * time.Second)}},
		ETA: 7*time.Minute + 13*time.Second,
	}
}

// live: the 8 running sites have done 8 catalog, 5 identity and 1
// validation step, listed with midway's counts of the finished sites.
func live() *liveSteps {
	p := midway()
	return &liveSteps{Sites: 8, Reporting: 8, StepsDone: 14, ByStage: map[string]int{"catalog": 8, "identity": 5, "validation": 1},
		Finished: p.StepsDone, FinishedByStage: p.StepsDoneByStage}
}

// The per-stage counts are the finished sites' steps plus those done in the
// running sites: they differ from stage to stage while sites run.
func TestStageCountsAddRunningSites(t *testing.T) {
	v := progressView{P: midway(), Live: live(), Now: watchNow}
	want := []stepCount{
		{Stage: "catalog", Finished: 2, Running: 8, Total: 10},
		{Stage: "identity", Finished: 2, Running: 5, Total: 10},
		{Stage: "validation", Finished: 4, Running: 1, Total: 20},
	}
	if got := v.stages(); !reflect.DeepEqual(got, want) {
		t.Fatalf("stages %+v, want %+v", got, want)
	}
	if got := v.steps(); got.Done() != 22 || got.Total != 40 {
		t.Fatalf("steps %+v, want 22 of 40", got)
	}
	// Without the running sites (batch status): the finished sites' only.
	v.Live = nil
	if got := v.stages(); got[0].Done() != 2 || got[1].Done() != 2 || got[2].Done() != 4 {
		t.Fatalf("stages without the running sites %+v", got)
	}
}

// A site that ended between the batch's query and the list is in both:
// a stage never counts more than its total.
func TestStageCountsCappedAtTotal(t *testing.T) {
	l := live()
	l.ByStage["catalog"] = 9
	l.StepsDone = 40
	v := progressView{P: midway(), Live: l, Now: watchNow}
	if c := v.stages()[0]; c.Done() != 10 || c.Running != 8 {
		t.Fatalf("catalog %+v, want 10 of 10 (8 running)", c)
	}
	if c := v.steps(); c.Done() != 40 {
		t.Fatalf("steps %+v, want 40 of 40", c)
	}
}

// Parked and waiting sites are listed apart, oldest first, with their age;
// one recorded before the batch kept the kind and time is parked, of
// unknown age, and comes last.
func TestBlockedSitesWithAge(t *testing.T) {
	p := midway()
	p.Parked = append(p.Parked,
		workflows.ParkedSite{SiteID: "s7", StepID: "catalog", Reason: "old"},
		workflows.ParkedSite{SiteID: "s8", StepID: "catalog", Reason: "older", Kind: workflows.SiteParked, Since: watchNow.Add(-time.Hour)})
	parked, waiting := progressView{P: p, Now: watchNow}.blocked()
	var ids []string
	for _, b := range parked {
		ids = append(ids, b.SiteID)
	}
	if !reflect.DeepEqual(ids, []string{"s8", "s9", "s7"}) || parked[1].Age != 4*time.Minute || parked[2].Age != 0 || parked[2].Kind != workflows.SiteParked {
		t.Fatalf("parked %+v, want s8 (1h), s9 (4m), s7 (unknown)", parked)
	}
	if len(waiting) != 1 || waiting[0].SiteID != "s10" || waiting[0].Age != 90*time.Second {
		t.Fatalf("waiting %+v, want s10 for 1m30s", waiting)
	}
}

func TestETAText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                     "",
		73*time.Second + 400*time.Millisecond: "1m13s (about 21:01 UTC)",
		7*time.Minute + 13*time.Second:        "7m10s (about 21:07 UTC)",
		2*time.Hour + 10*time.Minute + 31*time.Second: "2h11m0s (about 23:11 UTC)",
	} {
		p := midway()
		p.ETA = d
		if got := (progressView{P: p, Now: watchNow}).etaText(); got != want {
			t.Errorf("ETA %s: %q, want %q", d, got, want)
		}
	}
}

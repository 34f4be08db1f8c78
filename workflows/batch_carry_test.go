package workflows

import (
	"encoding/json"
	"testing"
	"time"
)

// The carry on its own: a run resumed from a carry gives back the same
// carry, so nothing is lost or changed across continue-as-new.
func TestCarryRoundTrip(t *testing.T) {
	g := leadPlan(t)
	t0 := time.Date(2026, 4, 5, 8, 0, 0, 0, time.UTC)
	in := BatchCarry{
		Results:   []SiteResult{{SiteID: "r1", Outcome: SiteRestored, Duration: time.Minute}},
		Pending:   sites(2, "p"),
		Paused:    true,
		StartedAt: t0, Runs: 3,
		Blocked: []BlockedSite{{SiteID: "m1", Kind: SiteRunning, StartedAt: t0},
			{SiteID: "k1", Kind: SiteParked, StepID: "db", Reason: "shard down"}},
		Rounds:             []LeadRound{{Round: 0, Steps: []StepState{{StepID: "base", Status: StepDone}, {StepID: "clone", Status: StepDone}}}},
		LeadTable:          []map[string]string{{"dsn": "x"}},
		SiteLead:           map[string]int{"p00000": 0, "p00001": 0},
		SiteRound:          map[string]int{},
		MaxConcurrentSites: 7, StepSeconds: map[string]float64{"restore": 3}, StepCount: map[string]int{"restore": 1},
		Errors: []string{"batch step x failed"}, StepsDone: 2, StepsDoneByStage: map[string]int{"stage-restore": 1},
	}
	b := &batchRun{g: g, win: newWindow(), lead: newLeadRounds(g)}
	b.resume(in)
	out := b.carry()
	want, _ := json.Marshal(in)
	got, _ := json.Marshal(out)
	if string(got) != string(want) {
		t.Fatalf("carry after resume:\n got %s\nwant %s", got, want)
	}
	if len(b.win.known) != 5 || !b.win.recorded["r1"] || b.lead.index[leadKey(map[string]string{"dsn": "x"})] != 0 {
		t.Fatalf("resume: known %d, r1 recorded %v, table indexed %v", len(b.win.known), b.win.recorded["r1"], b.lead.index)
	}
	if active, _ := b.win.load(); active != 1 {
		t.Fatalf("adopted: %d active, want 1 (m1 moving, k1 parked)", active)
	}
}

package report

import (
	"fmt"
	"time"

	"github.com/lazarus-dr/lazarus/workflows"
)

var t0 = time.Date(2022, 4, 5, 9, 0, 0, 0, time.UTC)

// fixture is a batch of n sites: every 7th parked on its db step, the rest
// restored and validated, site 3 restored with validation skipped.
func fixture(n int) workflows.BatchResult {
	res := workflows.BatchResult{BatchID: "b-2022", Runbook: "restore2", StartedAt: t0}
	stages := []struct{ id, action, stage string }{
		{"catalog-undelete", "catalog.undelete", "catalog"},
		{"identity-sync", "identity.sync", "identity"},
		{"db-jira", "db.restore_tenant", "data"},
		{"media-jira", "media.undelete", "media"},
		{"apps", "apps.reattach", "apps"},
		{"validate", "validate.automated", "validation"},
	}
	for i := 0; i < n; i++ {
		deleted := time.Date(2022, 4, 5, 7, 38, 0, 0, time.UTC).Add(time.Duration(i) * 23 * time.Minute / time.Duration(n))
		start := t0.Add(time.Duration(i) * 2 * time.Second)
		s := workflows.SiteResult{
			SiteID: fmt.Sprintf("site-%04d", i), Outcome: workflows.SiteRestored,
			DeletedAt: deleted, RestorePoint: deleted.Add(-5*time.Minute - time.Duration(i%3)*time.Minute),
			StartedAt: start, Users: 10 + i,
		}
		at := start
		for j, st := range stages {
			d := time.Duration(2+j) * time.Second
			state := workflows.StepState{StepID: st.id, Action: st.action, Stage: st.stage, Status: workflows.StepDone,
				StartedAt: at, EndedAt: at.Add(d), Attempts: 1}
			if j == 1 { // identity runs alongside catalog
				state.StartedAt, state.EndedAt = start, start.Add(d)
			} else {
				at = at.Add(d)
			}
			if i%7 == 6 && st.id == "db-jira" {
				state.Status = workflows.StepParked
				state.Error = "copy site rows: connection reset"
				s.Outcome = workflows.SiteParked
				s.Errors = []string{"site " + s.SiteID + ": step db-jira: connection reset"}
				s.Steps = append(s.Steps, state)
				break
			}
			if i == 3 && st.id == "validate" {
				state.Status = workflows.StepSkipped
			}
			s.Steps = append(s.Steps, state)
		}
		s.EndedAt = at
		s.Duration = at.Sub(start)
		res.Sites = append(res.Sites, s)
	}
	res.EndedAt = t0.Add(time.Duration(n)*2*time.Second + time.Minute)
	return res
}

// Who did what in fixtureSwitched: bob paused and resumed the batch, alice
// switched it from restore1 to restore2 and, at the same instant, raised
// its concurrency.
var (
	switchAt   = t0.Add(12 * time.Second)
	fixtureOps = []workflows.OperatorAction{
		{At: t0.Add(3 * time.Second), Action: workflows.ActionPause, Operator: "bob", Reason: "db cluster under load"},
		{At: t0.Add(6 * time.Second), Action: workflows.ActionResume, Operator: "bob"},
		{At: switchAt, Action: workflows.ActionSwitchRunbook, Operator: "alice", Reason: "restore2 validated in drill d-17",
			Detail: "restore1 -> restore2 for 7 queued sites"},
		{At: switchAt, Action: workflows.ActionSetConcurrency, Operator: "alice", Detail: "max concurrent sites 50"},
	}
)

// fixtureSwitched is fixture(n) switched mid-batch: the batch started on
// restore1 five minutes before its first site (the lead steps' clones ran
// first), the first half of the sites ran restore1 (site 0's result, as
// recorded before sites kept their runbook, names none), the rest
// restore2; with fixtureOps as its actions.
func fixtureSwitched(n int) workflows.BatchResult {
	res := fixture(n)
	res.Runbook = "restore1"
	res.StartedAt = t0.Add(-5 * time.Minute)
	for i := range res.Sites {
		switch {
		case i == 0:
		case i < n/2:
			res.Sites[i].Runbook = "restore1"
		default:
			res.Sites[i].Runbook = "restore2"
		}
	}
	res.Actions = append([]workflows.OperatorAction(nil), fixtureOps...)
	return res
}

// fixtureLead is the lead steps of fixtureSwitched: two clones before the
// first site, and a drop of the clone not started yet.
func fixtureLead() []workflows.LeadRound {
	start := t0.Add(-5 * time.Minute)
	return []workflows.LeadRound{{Round: 1, Steps: []workflows.StepState{
		{StepID: "clone-platform", Action: "db.clone", Stage: "data", Status: workflows.StepDone, StartedAt: start, EndedAt: t0.Add(-time.Minute)},
		{StepID: "clone-products", Action: "db.clone", Stage: "data", Status: workflows.StepDone, StartedAt: start, EndedAt: t0},
		{StepID: "drop-clones", Action: "db.drop_clone", Stage: "data", Status: workflows.StepPending},
	}}}
}

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

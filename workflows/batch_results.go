package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"
)

// MaxSitesWithTimes: a batch's result keeps each site's deletion time and
// end time (to the second) up to this many sites; beyond, only restore
// points and durations, so that 10,000 sites (even with 36-character IDs)
// fit in Temporal's 2 MB payload limit.
const MaxSitesWithTimes = 5000

// MaxErrorsPerSite is how many of a site's errors the batch keeps (each
// cut to MaxErrorLength), then "and N more".
const (
	MaxErrorsPerSite = 5
	MaxErrorLength   = 300
)

// tally is what a batch has counted of its finished sites: their trimmed
// results, the batch's errors, completed site steps (per stage too), the
// measured step durations and the latest end times (for the ETA).
type tally struct {
	results     []SiteResult
	errors      []string
	stepsDone   int
	stageDone   map[string]int
	stepSeconds map[string]float64
	stepCount   map[string]int
}

// record keeps a site's result once, trimmed to what the batch result
// needs (no step list, no start time: EndedAt - Duration), and feeds the
// progress counters and the ETA's step durations.
func (b *batchRun) record(r SiteResult) {
	if b.staleResult(r) || b.restartMoved(r) {
		return
	}
	c, first := b.win.finish(r.SiteID)
	if !first {
		return
	}
	if c != nil {
		if r.Users == 0 {
			r.Users = c.site.Users
		}
		if r.DeletedAt.IsZero() {
			r.DeletedAt = c.site.DeletedAt
		}
		if r.Runbook == "" {
			r.Runbook = c.site.Runbook
		}
	}
	if r.Runbook == b.in.Plan.Runbook {
		r.Runbook = "" // the batch's: kept empty, for a small result
	}
	if b.firstEndAt.IsZero() {
		b.firstEndAt = workflow.Now(b.root)
	}
	g := b.graphOf(r.Runbook)
	b.tally.countSteps(r.Steps, g)
	b.tally.countStepTimes(r.StepTimes, g)
	b.tally.results = append(b.tally.results, trimResult(r, len(b.win.known) <= MaxSitesWithTimes))
	b.changed = true
}

// countSteps counts a finished site's completed site steps and their durations.
func (t *tally) countSteps(steps []StepState, g *graph) {
	for _, st := range steps {
		if st.Status != StepDone && st.Status != StepSkipped {
			continue
		}
		if _, ok := g.index[st.StepID]; !ok || g.isBatchStep(st.StepID) {
			continue
		}
		t.stepsDone++
		if st.Stage != "" {
			t.stageDone[st.Stage]++
		}
		if st.Status == StepDone && !st.StartedAt.IsZero() && !st.EndedAt.IsZero() {
			t.stepSeconds[st.StepID] += st.EndedAt.Sub(st.StartedAt).Seconds()
			t.stepCount[st.StepID]++
		}
	}
}

// countStepTimes counts a finished site's steps from its brief result.
func (t *tally) countStepTimes(times []StepTime, g *graph) {
	for _, st := range times {
		i, ok := g.index[st.StepID]
		if !ok || g.isBatchStep(st.StepID) || (st.Status != StepDone && st.Status != StepSkipped) {
			continue
		}
		t.stepsDone++
		if stage := g.plan.Steps[i].Stage; stage != "" {
			t.stageDone[stage]++
		}
		if st.Status == StepDone {
			t.stepSeconds[st.StepID] += st.Seconds
			t.stepCount[st.StepID]++
		}
	}
}

// trimResult is what the batch keeps of a site's result.
func trimResult(r SiteResult, withTimes bool) SiteResult {
	errs := r.Errors
	if len(errs) > MaxErrorsPerSite {
		errs = append(errs[:MaxErrorsPerSite:MaxErrorsPerSite], fmt.Sprintf("and %d more", len(r.Errors)-MaxErrorsPerSite))
	}
	for i := range errs {
		errs[i] = truncate(errs[i], MaxErrorLength)
	}
	kept := SiteResult{
		SiteID: r.SiteID, Outcome: r.Outcome, RestorePoint: r.RestorePoint,
		Duration: r.Duration, Users: r.Users, Errors: errs, Runbook: r.Runbook,
	}
	if withTimes {
		kept.DeletedAt = r.DeletedAt
		kept.EndedAt = r.EndedAt.Truncate(time.Second)
	}
	return kept
}

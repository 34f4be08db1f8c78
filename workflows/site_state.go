package workflows

import (
	"math"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/contract"
)

// vars are the input's vars, then completed steps' values in plan order.
func (s *siteRun) vars() contract.Vars {
	v := make(contract.Vars, len(s.in.Vars)+4)
	for _, k := range workflow.DeterministicKeys(s.in.Vars) {
		v[k] = s.in.Vars[k]
	}
	for i := range s.steps {
		if s.steps[i].Status != StepDone {
			continue
		}
		for _, k := range workflow.DeterministicKeys(s.steps[i].Values) {
			v[k] = s.steps[i].Values[k]
		}
	}
	return v
}

// restorePointOf is the point the site's data is restored to: the one a
// batch step (the clone planning) gave it, else the one it was started with.
func (s *siteRun) restorePointOf(vars contract.Vars) (time.Time, error) {
	t, ok, err := vars.RestorePoint()
	if !ok || err != nil {
		return s.in.Site.RestorePoint, err
	}
	return t, nil
}

// restorePoint is restorePointOf the site's vars now, for its state and
// result (a malformed value fails the step that reads it, not the query).
func (s *siteRun) restorePoint() time.Time {
	t, err := s.restorePointOf(s.vars())
	if err != nil {
		return s.in.Site.RestorePoint
	}
	return t
}

// status is the site's status now (final once finished).
func (s *siteRun) status() string {
	if s.live == 0 && s.finished() {
		if s.stopping != "" {
			return s.stopping
		}
		for i := range s.steps {
			if s.steps[i].Status == StepFailed || s.steps[i].Status == StepPending {
				return SiteFailed
			}
		}
		return SiteRestored
	}
	parked, waiting := false, false
	for i := range s.steps {
		switch s.steps[i].Status {
		case StepParked:
			parked = true
		case StepWaiting:
			waiting = true
		}
	}
	switch {
	case parked:
		return SiteParked
	case waiting:
		return SiteWaiting
	}
	return SiteRunning
}

// stage is the furthest stage a started step belongs to.
func (s *siteRun) stage() string {
	best, rank := "", -1
	for _, i := range s.g.siteSteps {
		st := s.steps[i]
		if st.Status == StepPending || st.Stage == "" {
			continue
		}
		if r := s.g.stageRank[st.Stage]; r > rank {
			best, rank = st.Stage, r
		}
	}
	return best
}

func (s *siteRun) needsAttention() bool {
	if len(s.escalated) > 0 {
		return true
	}
	for i := range s.steps {
		if s.steps[i].Status == StepParked {
			return true
		}
	}
	return false
}

// stepsDone counts the site steps done or skipped, of how many.
func (s *siteRun) stepsDone() (done, total int) {
	for _, i := range s.g.siteSteps {
		total++
		if st := s.steps[i].Status; st == StepDone || st == StepSkipped {
			done++
		}
	}
	return done, total
}

func (s *siteRun) state() SiteState {
	steps := make([]StepState, len(s.steps))
	copy(steps, s.steps)
	return SiteState{
		BatchID: s.in.BatchID, SiteID: s.in.Site.SiteID, Runbook: s.in.Plan.Runbook,
		Status: s.status(), Stage: s.stage(), NeedsAttention: s.needsAttention(),
		RestorePoint: s.restorePoint(), Steps: steps,
	}
}

func (s *siteRun) result(ctx workflow.Context) SiteResult {
	now := workflow.Now(ctx)
	steps := make([]StepState, len(s.steps))
	copy(steps, s.steps)
	return SiteResult{
		SiteID: s.in.Site.SiteID, Outcome: s.status(),
		DeletedAt: s.in.Site.DeletedAt, RestorePoint: s.restorePoint(),
		StartedAt: s.startedAt, EndedAt: now, Duration: now.Sub(s.startedAt),
		Users: s.in.Site.Users, Errors: append([]string(nil), s.errors...), Steps: steps,
		Runbook: s.in.Plan.Runbook, Decisions: s.decisions,
	}
}

// forBatch is the result as the batch needs it by signal: every field the
// batch keeps, and of the steps only what its counters read (the values,
// messages and errors of each step stay in the site's own history).
func (r SiteResult) forBatch() SiteResult {
	steps := make([]StepState, len(r.Steps))
	for i, st := range r.Steps {
		steps[i] = StepState{StepID: st.StepID, Stage: st.Stage, Status: st.Status, StartedAt: st.StartedAt, EndedAt: st.EndedAt}
	}
	r.Steps, r.Decisions = steps, nil
	return r
}

// brief is the result as the site returns it to its batch (and signals it):
// every field the batch keeps, and of the steps only the site steps done
// or skipped, with their durations. A site step's message, values and
// error stay in the site's own history and memo: sent to the batch they
// made up two thirds of its history (about 15 KB a site).
func (r SiteResult) brief(g *graph) SiteResult {
	var times []StepTime
	for _, st := range r.Steps {
		if _, ok := g.index[st.StepID]; !ok || g.isBatchStep(st.StepID) {
			continue
		}
		if st.Status != StepDone && st.Status != StepSkipped {
			continue
		}
		t := StepTime{StepID: st.StepID, Status: st.Status}
		if st.Status == StepDone && !st.StartedAt.IsZero() && !st.EndedAt.IsZero() {
			t.Seconds = math.Round(st.EndedAt.Sub(st.StartedAt).Seconds()*1000) / 1000
		}
		times = append(times, t)
	}
	r.Steps, r.StepTimes, r.Decisions = nil, times, nil
	return r
}

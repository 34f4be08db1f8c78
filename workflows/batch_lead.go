package workflows

import (
	"fmt"
	"sort"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/runbooks"
)

// startRound runs the plan's batch-scoped steps for a set of sites (the
// batch's first sites, or sites added later) as a graph, in parallel where
// their needs allow. Each finished step's per-site values go to the
// round's pending sites (at their start) and running sites (by signal).
func (b *batchRun) startRound(ctx workflow.Context, sites []Site) {
	r := LeadRound{Round: len(b.c.Rounds)}
	for _, i := range b.g.batchSteps {
		ps := b.in.Plan.Steps[i]
		r.Steps = append(r.Steps, StepState{StepID: ps.ID, Action: ps.Action, Service: ps.Service, Stage: ps.Stage, Status: StepPending})
	}
	b.c.Rounds = append(b.c.Rounds, r)
	targets := make([]contract.SiteTarget, len(sites))
	for i, s := range sites {
		targets[i] = contract.SiteTarget{SiteID: s.SiteID, DeletedAt: s.DeletedAt, RestorePoint: s.RestorePoint}
		if r.Round != 0 { // absent means round 0 (keeps the carry small)
			b.c.SiteRound[s.SiteID] = r.Round
		}
	}
	b.roundSites[r.Round] = targets
	b.leadRunning++
	workflow.Go(ctx, func(gctx workflow.Context) {
		defer func() { b.leadRunning--; b.changed = true }()
		b.runRound(gctx, r.Round)
	})
}

func (b *batchRun) runRound(ctx workflow.Context, round int) {
	steps := b.c.Rounds[round].Steps
	live := 0
	for {
		for k, i := range b.g.batchSteps {
			if steps[k].Status != StepPending || !b.leadReady(round, i) {
				continue
			}
			k, i := k, i
			steps[k].Status = StepRunning
			steps[k].StartedAt = workflow.Now(ctx)
			steps[k].Attempts++
			live++
			b.changed = true
			workflow.Go(ctx, func(gctx workflow.Context) {
				defer func() { live--; b.changed = true }()
				b.runLeadStep(gctx, round, k, i)
			})
		}
		if live == 0 {
			// Steps whose needs failed will never run.
			for k := range steps {
				if steps[k].Status == StepPending {
					steps[k].Status, steps[k].Error = StepFailed, "a step it needs failed"
					b.deliver(ctx, round, k, nil)
				}
			}
			return
		}
		n := live
		_ = workflow.Await(ctx, func() bool { return live != n })
	}
}

func (b *batchRun) leadReady(round, i int) bool {
	for _, need := range b.in.Plan.Steps[i].Needs {
		for k, j := range b.g.batchSteps {
			if b.in.Plan.Steps[j].ID == need {
				if st := b.c.Rounds[round].Steps[k].Status; st != StepDone && st != StepSkipped {
					return false
				}
			}
		}
	}
	return true
}

func (b *batchRun) runLeadStep(ctx workflow.Context, round, k, i int) {
	ps := b.in.Plan.Steps[i]
	st := &b.c.Rounds[round].Steps[k]
	vars := map[string]string{}
	for kk := range b.c.Rounds[round].Steps {
		prev := b.c.Rounds[round].Steps[kk]
		if prev.Status == StepDone {
			for _, key := range sortedKeys(prev.Values) {
				vars[key] = prev.Values[key]
			}
		}
	}
	in := contract.StepInput{
		BatchID: b.in.BatchID, StepID: ps.ID, Action: ps.Action, Runbook: b.in.Plan.Runbook,
		Params: ps.Params, Vars: vars, Sites: b.roundSites[round], Drill: b.in.Drill,
	}
	var out contract.StepOutput
	err := workflow.ExecuteActivity(b.activityCtx(ctx, ps), ps.Action, in).Get(ctx, &out)
	st.EndedAt = workflow.Now(ctx)
	if err != nil {
		msg := errorMessage(err)
		st.Error = msg
		if ps.OnFailure == runbooks.OnFailureSkip {
			st.Status = StepSkipped
		} else {
			// A batch step cannot park (no site to park): it fails, and so
			// do the site steps that need it.
			st.Status = StepFailed
		}
		b.c.Errors = append(b.c.Errors, fmt.Sprintf("batch step %s (round %d) failed: %s", ps.ID, round, msg))
		b.logger.Error("batch step failed", "step", ps.ID, "round", round, "error", msg)
		b.deliver(ctx, round, k, nil)
		return
	}
	st.Status, st.Message, st.Values = StepDone, out.Message, out.Values
	b.deliver(ctx, round, k, out.PerSite)
}

// deliver hands a finished batch step's per-site values to the round's
// sites: merged into the (interned) lead vars of sites not started yet, and
// by signal to the sites already running.
func (b *batchRun) deliver(ctx workflow.Context, round, k int, perSite map[string]contract.Vars) {
	st := b.c.Rounds[round].Steps[k]
	status := LeadDone
	switch st.Status {
	case StepSkipped:
		status = LeadSkipped
	case StepFailed:
		status = LeadFailed
	}
	for _, t := range b.roundSites[round] {
		vals := perSite[t.SiteID]
		if c, ok := b.running[t.SiteID]; ok && c.inRun {
			ls := LeadStatus{StepID: st.StepID, Status: status, Values: vals, Error: st.Error}
			if c.started {
				workflow.SignalExternalWorkflow(ctx, SiteWorkflowID(t.SiteID), "", SignalLeadStep, ls)
			} else {
				c.late = append(c.late, ls)
			}
			continue
		}
		if _, running := b.running[t.SiteID]; running || b.recorded[t.SiteID] || len(vals) == 0 {
			continue
		}
		merged := map[string]string{}
		if row, ok := b.c.SiteLead[t.SiteID]; ok {
			for _, key := range sortedKeys(b.c.LeadTable[row]) {
				merged[key] = b.c.LeadTable[row][key]
			}
		}
		for _, key := range sortedKeys(vals) {
			merged[key] = vals[key]
		}
		b.c.SiteLead[t.SiteID] = b.intern(merged)
	}
	b.changed = true
}

// leadFor lists the round's batch steps that are not done, for a site's input.
func (b *batchRun) leadFor(round int, siteID string) []LeadStatus {
	if round >= len(b.c.Rounds) {
		return nil
	}
	var out []LeadStatus
	for _, st := range b.c.Rounds[round].Steps {
		switch st.Status {
		case StepDone:
		case StepSkipped:
			out = append(out, LeadStatus{StepID: st.StepID, Status: LeadSkipped})
		case StepFailed:
			out = append(out, LeadStatus{StepID: st.StepID, Status: LeadFailed, Error: st.Error})
		default:
			out = append(out, LeadStatus{StepID: st.StepID, Status: LeadPending})
		}
	}
	return out
}

func (b *batchRun) intern(m map[string]string) int {
	key := leadKey(m)
	if i, ok := b.leadIndex[key]; ok {
		return i
	}
	b.c.LeadTable = append(b.c.LeadTable, m)
	b.leadIndex[key] = len(b.c.LeadTable) - 1
	return len(b.c.LeadTable) - 1
}

func leadKey(m map[string]string) string {
	keys := sortedKeys(m)
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		sb.WriteString(k)
		sb.WriteByte(0)
		sb.WriteString(m[k])
		sb.WriteByte(0)
	}
	return sb.String()
}

func (b *batchRun) activityCtx(ctx workflow.Context, ps runbooks.PlanStep) workflow.Context {
	timeout := ps.Timeout
	if timeout <= 0 {
		timeout = DefaultStepTimeout
	}
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           ActivityTaskQueue(ps.Service),
		StartToCloseTimeout: timeout,
		HeartbeatTimeout:    ps.Heartbeat,
		RetryPolicy:         retryPolicy(ps.Retry),
		Summary:             ps.ID,
	})
}

// cleanup runs every done batch step's cleanup action, in every round, in
// reverse plan order. It runs in a disconnected context: also after a
// cancel or a failure.
func (b *batchRun) cleanup(ctx workflow.Context) {
	var targets []contract.SiteTarget
	for _, r := range b.c.Results {
		targets = append(targets, contract.SiteTarget{SiteID: r.SiteID, RestorePoint: r.RestorePoint})
	}
	for ri := range b.c.Rounds {
		if b.c.Rounds[ri].CleanedUp {
			continue
		}
		for k := len(b.g.batchSteps) - 1; k >= 0; k-- {
			ps := b.in.Plan.Steps[b.g.batchSteps[k]]
			st := b.c.Rounds[ri].Steps[k]
			if ps.Cleanup == "" || st.Status != StepDone {
				continue
			}
			in := contract.StepInput{
				BatchID: b.in.BatchID, StepID: ps.ID, Action: ps.Cleanup, Runbook: b.in.Plan.Runbook,
				Params: ps.Params, Vars: st.Values, Sites: targets, Drill: b.in.Drill,
			}
			cps := ps
			cps.Action = ps.Cleanup
			var out contract.StepOutput
			if err := workflow.ExecuteActivity(b.activityCtx(ctx, cps), ps.Cleanup, in).Get(ctx, &out); err != nil {
				msg := fmt.Sprintf("cleanup %s of batch step %s (round %d) failed: %s", ps.Cleanup, ps.ID, ri, errorMessage(err))
				b.c.Errors = append(b.c.Errors, msg)
				b.logger.Error("batch cleanup failed", "step", ps.ID, "cleanup", ps.Cleanup, "error", msg)
				continue
			}
			b.c.Rounds[ri].Steps[k].Message = "cleaned up: " + out.Message
			b.logger.Info("batch cleanup done", "step", ps.ID, "cleanup", ps.Cleanup, "round", ri)
		}
		b.c.Rounds[ri].CleanedUp = true
	}
}

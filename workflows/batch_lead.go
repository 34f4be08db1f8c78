package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/runbooks"
)

// startRound runs the plan's batch-scoped steps for a set of sites (the
// batch's first sites, or sites added later) as a graph, in parallel where
// their needs allow. Each finished step's per-site values go to the
// round's queued sites (at their start) and running sites (by signal).
func (b *batchRun) startRound(ctx workflow.Context, sites []Site) {
	round := b.lead.open(sites)
	b.lead.running++
	workflow.Go(ctx, func(gctx workflow.Context) {
		defer func() { b.lead.running--; b.changed = true }()
		b.runRound(gctx, round)
	})
}

func (b *batchRun) runRound(ctx workflow.Context, round int) {
	steps := b.lead.rounds[round].Steps
	live := 0
	for {
		for k, i := range b.g.batchSteps {
			if steps[k].Status != StepPending || !b.lead.ready(round, i) {
				continue
			}
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

func (b *batchRun) runLeadStep(ctx workflow.Context, round, k, i int) {
	ps := b.in.Plan.Steps[i]
	st := &b.lead.rounds[round].Steps[k]
	in := contract.StepInput{
		BatchID: b.in.BatchID, StepID: ps.ID, Action: ps.Action, Runbook: b.in.Plan.Runbook,
		Params: ps.Params, Vars: b.lead.values(round), Sites: b.lead.targets[round], Drill: b.in.Drill,
	}
	var out contract.StepOutput
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, activityOptions(ps)), ps.Action, in).Get(ctx, &out)
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
		b.tally.errors = append(b.tally.errors, fmt.Sprintf("batch step %s (round %d) failed: %s", ps.ID, round, msg))
		b.logger.Error("batch step failed", "step", ps.ID, "round", round, "error", msg)
		b.deliver(ctx, round, k, nil)
		return
	}
	st.Status, st.Message, st.Values = StepDone, out.Message, out.Values
	b.deliver(ctx, round, k, out.PerSite)
}

// deliver hands a finished batch step's per-site values to the round's
// sites: kept for the sites not started yet, and by signal to the sites
// this run started (a signal to a site whose start is not confirmed yet
// waits in its late list).
func (b *batchRun) deliver(ctx workflow.Context, round, k int, perSite map[string]contract.Vars) {
	st := b.lead.rounds[round].Steps[k]
	status := leadStatus(st.Status) // the step has ended
	for _, t := range b.lead.targets[round] {
		vals := perSite[t.SiteID]
		c, running := b.win.running[t.SiteID]
		switch {
		case running && c.inRun:
			ls := LeadStatus{StepID: st.StepID, Status: status, Values: vals, Error: st.Error}
			if c.started {
				b.tellLead(ctx, t.SiteID, ls)
			} else {
				c.late = append(c.late, ls)
			}
		case running || b.win.recorded[t.SiteID] || len(vals) == 0:
		default:
			b.lead.keep(t.SiteID, vals)
		}
	}
	b.changed = true
}

// cleanup runs every done batch step's cleanup action, in every round, in
// reverse plan order. It runs in a disconnected context: also after a
// cancel or a failure.
func (b *batchRun) cleanup(ctx workflow.Context) {
	var targets []contract.SiteTarget
	for _, r := range b.tally.results {
		targets = append(targets, contract.SiteTarget{SiteID: r.SiteID, RestorePoint: r.RestorePoint})
	}
	for ri := range b.lead.rounds {
		if b.lead.rounds[ri].CleanedUp {
			continue
		}
		for k := len(b.g.batchSteps) - 1; k >= 0; k-- {
			b.cleanupStep(ctx, ri, k, targets)
		}
		b.lead.rounds[ri].CleanedUp = true
	}
}

// cleanupStep runs the cleanup of batch step k of a round, if it has one
// and the step is done.
func (b *batchRun) cleanupStep(ctx workflow.Context, round, k int, targets []contract.SiteTarget) {
	ps := b.in.Plan.Steps[b.g.batchSteps[k]]
	st := &b.lead.rounds[round].Steps[k]
	if ps.Cleanup == "" || st.Status != StepDone {
		return
	}
	in := contract.StepInput{
		BatchID: b.in.BatchID, StepID: ps.ID, Action: ps.Cleanup, Runbook: b.in.Plan.Runbook,
		Params: ps.Params, Vars: st.Values, Sites: targets, Drill: b.in.Drill,
	}
	var out contract.StepOutput
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, activityOptions(ps)), ps.Cleanup, in).Get(ctx, &out)
	if err != nil {
		msg := fmt.Sprintf("cleanup %s of batch step %s (round %d) failed: %s", ps.Cleanup, ps.ID, round, errorMessage(err))
		b.tally.errors = append(b.tally.errors, msg)
		b.logger.Error("batch cleanup failed", "step", ps.ID, "cleanup", ps.Cleanup, "error", msg)
		return
	}
	st.Message = "cleaned up: " + out.Message
	b.logger.Info("batch cleanup done", "step", ps.ID, "cleanup", ps.Cleanup, "round", round)
}

// sentLead is a lead-step signal sent to a site, until it is delivered.
type sentLead struct {
	SiteLead
	f workflow.Future
}

// tellLead signals a lead-step status to a site and keeps the signal until
// the server has delivered it: a run that hands over first carries it to
// the next run, which sends it again (undelivered, resendLead), because the
// server drops a signal whose sender has closed. A status applied twice is
// applied once. No coroutine and no command beyond the signal: runs
// recorded before changeHandoverResendsLead replay as they ran.
func (b *batchRun) tellLead(ctx workflow.Context, siteID string, ls LeadStatus) {
	f := workflow.SignalExternalWorkflow(ctx, b.siteWorkflowID(siteID), "", SignalLeadStep, ls)
	b.keepSent(siteID, ls, f)
}

func (b *batchRun) keepSent(siteID string, ls LeadStatus, f workflow.Future) {
	left := b.sent[:0]
	for _, s := range b.sent {
		if !s.f.IsReady() {
			left = append(left, s)
		}
	}
	b.sent = append(left, sentLead{SiteLead{SiteID: siteID, Lead: ls}, f})
}

// undelivered are the lead signals the server has not delivered yet, for
// the carry (none for runs recorded before changeHandoverResendsLead).
func (b *batchRun) undelivered() []SiteLead {
	if !b.resends {
		return nil
	}
	var out []SiteLead
	for _, s := range b.sent {
		if !s.f.IsReady() {
			out = append(out, s.SiteLead)
		}
	}
	return out
}

// resendLead sends again what the run before handed over undelivered.
func (b *batchRun) resendLead(ctx workflow.Context) {
	for _, s := range b.resend {
		b.tellLead(ctx, s.SiteID, s.Lead)
	}
	b.resend = nil
}

// tellAdopted tells a site that an earlier run started but handed back to
// the queue unconfirmed (requeueUnconfirmed) how its round's batch steps
// ended: that run never sent it the statuses that came after its start
// (they waited for the confirmation), and its round ended before the
// handover. The values are those its new start carried (the old ones and
// the late ones); a status it already had is applied again, unchanged.
func (b *batchRun) tellAdopted(ctx workflow.Context, siteID string, round int, vars map[string]string) {
	if round >= len(b.lead.rounds) {
		return
	}
	for _, st := range b.lead.rounds[round].Steps {
		ls := LeadStatus{StepID: st.StepID, Status: leadStatus(st.Status), Error: st.Error}
		switch ls.Status {
		case LeadPending:
			continue // still to come: deliver signals it (the site runs)
		case LeadDone:
			ls.Values = vars
		}
		b.tellLead(ctx, siteID, ls)
	}
}

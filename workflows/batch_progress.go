package workflows

import (
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-multierror"
	"go.temporal.io/sdk/workflow"
)

// Batch statuses (BatchProgress.Status and the LazarusStatus search attribute).
const (
	BatchRunning    = "running"
	BatchPaused     = "paused"
	BatchCancelling = "cancelling"
	BatchDone       = "done"
)

// MaxBatchErrors is how many errors a batch result lists, then "and N more".
const MaxBatchErrors = 2000

func (b *batchRun) status() string {
	switch {
	case b.done():
		return BatchDone
	case b.cancelled:
		return BatchCancelling
	case b.paused:
		return BatchPaused
	}
	return BatchRunning
}

// publish upserts the status search attribute on change and sets the
// one-line details.
func (b *batchRun) publish(ctx workflow.Context) {
	st := b.status()
	if st != b.pubStatus {
		if err := workflow.UpsertTypedSearchAttributes(ctx, SearchKeyStatus.ValueSet(st)); err != nil {
			b.logger.Warn("upsert search attributes", "error", err)
		}
		b.pubStatus = st
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("%s batch %s: %s, %d/%d sites done, %d running, %d parked, %d queued (run %d)",
		b.in.Plan.Runbook, b.in.BatchID, st, len(b.tally.results), len(b.win.known), len(b.win.running),
		b.win.count(SiteEventParked), len(b.win.queue), b.runs))
}

func (b *batchRun) progress(ctx workflow.Context) BatchProgress {
	known := len(b.win.known)
	p := BatchProgress{
		BatchID: b.in.BatchID, Runbook: b.in.Plan.Runbook, Status: b.status(), Paused: b.paused,
		MaxConcurrentSites: b.maxConcurrent, SitesTotal: known,
		SitesByStatus: map[string]int{}, StepsDone: b.tally.stepsDone,
		StepsDoneByStage: map[string]int{}, StepsTotalByStage: map[string]int{},
		StartedAt: b.startedAt, Runs: b.runs, Lead: b.lead.rounds, Actions: b.actions,
	}
	for _, k := range workflow.DeterministicKeys(b.tally.stageDone) {
		p.StepsDoneByStage[k] = b.tally.stageDone[k]
	}
	b.addTotals(&p, b.g, known-b.switchedTotal())
	for _, rb := range workflow.DeterministicKeys(b.switchedSites) {
		b.addTotals(&p, b.graphOf(rb), b.switchedSites[rb])
	}
	for _, r := range b.tally.results {
		p.SitesByStatus[r.Outcome]++
	}
	if len(b.win.queue) > 0 {
		p.SitesByStatus[SiteQueued] = len(b.win.queue)
	}
	for _, id := range b.win.order {
		c := b.win.running[id]
		switch c.blocked {
		case SiteEventParked:
			p.SitesByStatus[SiteParked]++
			p.Parked = append(p.Parked, ParkedSite{SiteID: id, StepID: c.stepID, Reason: c.reason, Kind: SiteParked, Since: c.since})
		case SiteEventWaiting:
			p.SitesByStatus[SiteWaiting]++
			p.Waiting = append(p.Waiting, ParkedSite{SiteID: id, StepID: c.stepID, Reason: c.reason, Kind: SiteWaiting, Since: c.since})
		default:
			p.SitesByStatus[SiteRunning]++
		}
	}
	p.ETA = b.eta(workflow.Now(ctx), len(b.win.queue)+len(b.win.running))
	return p
}

// addTotals adds n sites of a plan's site steps to the progress's totals.
func (b *batchRun) addTotals(p *BatchProgress, g *graph, n int) {
	p.StepsTotal += len(g.siteSteps) * n
	for _, i := range g.siteSteps {
		if stage := g.plan.Steps[i].Stage; stage != "" {
			p.StepsTotalByStage[stage] += n
		}
	}
}

// switchedTotal is how many sites switch-runbook moved to another runbook.
func (b *batchRun) switchedTotal() int {
	n := 0
	for _, rb := range workflow.DeterministicKeys(b.switchedSites) {
		n += b.switchedSites[rb]
	}
	return n
}

// eta: the remaining sites at the pace the batch has kept since its first
// site ended (the sites finished after that one, over the time since: its
// handovers and stalls included); before three sites have finished, the
// plan's estimate (planETA). Batches recorded before FirstEndAt existed
// measure from their first site's start (and need two).
//
// Measured at 10% of the 883-site demo (2026-11-29, two runs): 13% short
// and 2% long. The pace since the first site's start counted the first
// wave's ramp-up (the server started the window's first 200 sites over up
// to 3 minutes, and none ends in its first 35 to 45 s) as if it were the
// batch's pace: 64% and 18% long. A rate over the latest ends alone was
// fast early (the first wave's sites end together) and swung after each
// handover: 27% off; the pace since the batch's own start counted its
// clones' time against the sites: 28% off the other way.
func (b *batchRun) eta(now time.Time, remaining int) time.Duration {
	if remaining == 0 {
		return 0
	}
	from, finished := b.firstEndAt, len(b.tally.results)-1 // the sites after the first
	if from.IsZero() {
		from, finished = b.firstSiteAt, len(b.tally.results)
		if from.IsZero() {
			from = b.startedAt
		}
	}
	if d, ok := paceETA(now.Sub(from), finished, remaining); ok {
		return d
	}
	return b.planETA(remaining)
}

// paceETA is remaining × elapsed / finished: the remaining sites at the
// pace of `finished` sites over `elapsed`. It needs two of them.
func paceETA(elapsed time.Duration, finished, remaining int) (time.Duration, bool) {
	if finished < 2 || elapsed <= 0 {
		return 0, false
	}
	return time.Duration(float64(remaining) * elapsed.Seconds() / float64(finished) * float64(time.Second)).Round(time.Second), true
}

// planETA: the remaining sites, in waves of the window, times a site's
// duration, which is the plan's longest path with each step's measured
// mean duration (its estimate until one was measured).
func (b *batchRun) planETA(remaining int) time.Duration {
	finish := make([]time.Duration, len(b.in.Plan.Steps))
	var site time.Duration
	for _, i := range b.g.siteSteps {
		ps := b.in.Plan.Steps[i]
		d := ps.Estimate
		if n := b.tally.stepCount[ps.ID]; n > 0 {
			d = time.Duration(b.tally.stepSeconds[ps.ID] / float64(n) * float64(time.Second))
		}
		var start time.Duration
		for _, need := range ps.Needs {
			if f := finish[b.g.index[need]]; f > start {
				start = f
			}
		}
		finish[i] = start + d
		site = max(site, finish[i])
	}
	conc := b.maxConcurrent
	waves := (remaining + conc - 1) / conc
	return time.Duration(waves) * site
}

// result is the batch's result: every site's, and every error collected.
func (b *batchRun) result(ctx workflow.Context) BatchResult {
	var errs *multierror.Error
	for _, e := range b.tally.errors {
		errs = multierror.Append(errs, errors.New(e))
	}
	for _, r := range b.tally.results {
		for _, e := range r.Errors {
			errs = multierror.Append(errs, fmt.Errorf("site %s: %s", r.SiteID, e))
		}
	}
	res := BatchResult{
		BatchID: b.in.BatchID, Runbook: b.in.Plan.Runbook,
		StartedAt: b.startedAt, EndedAt: workflow.Now(ctx),
		Sites: b.tally.results, Actions: b.actions, Lead: b.lead.rounds,
	}
	if errs != nil {
		for _, e := range errs.Errors {
			res.Errors = append(res.Errors, e.Error())
		}
		if len(res.Errors) > MaxBatchErrors {
			res.Errors = append(res.Errors[:MaxBatchErrors:MaxBatchErrors], fmt.Sprintf("and %d more errors", len(errs.Errors)-MaxBatchErrors))
		}
	}
	return res
}

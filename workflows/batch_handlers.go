package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Batch statuses (BatchProgress.Status and the LazarusStatus search attribute).
const (
	BatchRunning    = "running"
	BatchPaused     = "paused"
	BatchCancelling = "cancelling"
	BatchDone       = "done"
)

func (b *batchRun) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryBatchProgress, func() (BatchProgress, error) {
		return b.progress(ctx), nil
	}); err != nil {
		return fmt.Errorf("register query %s: %w", QueryBatchProgress, err)
	}
	if err := workflow.SetQueryHandler(ctx, QueryBatchResults, func() ([]SiteResult, error) {
		return append([]SiteResult(nil), b.c.Results...), nil
	}); err != nil {
		return fmt.Errorf("register query %s: %w", QueryBatchResults, err)
	}
	notCancelled := func() error {
		if b.c.Cancelled {
			return errors.New("the batch is cancelled")
		}
		return nil
	}
	updates := []struct {
		name      string
		handler   any
		validator any
	}{
		{UpdatePause, func(ctx workflow.Context) error {
			b.c.Paused, b.changed = true, true
			b.logger.Info("batch paused")
			return nil
		}, notCancelled},
		{UpdateResume, func(ctx workflow.Context) error {
			b.c.Paused, b.changed = false, true
			b.logger.Info("batch resumed")
			return nil
		}, notCancelled},
		{UpdateCancel, func(ctx workflow.Context) error {
			b.cancel(ctx, "cancelled by an operator")
			return nil
		}, notCancelled},
		{UpdateSetConcurrency, func(ctx workflow.Context, n int) error {
			b.c.MaxConcurrentSites, b.changed = n, true
			b.logger.Info("batch concurrency changed", "max_concurrent_sites", n)
			return nil
		}, func(n int) error {
			if n < 1 {
				return fmt.Errorf("max concurrent sites %d: it must be at least 1", n)
			}
			return nil
		}},
		{UpdateAddSites, func(ctx workflow.Context, req AddSitesRequest) error {
			b.addSites(ctx, req.Sites)
			return nil
		}, func(req AddSitesRequest) error {
			if err := notCancelled(); err != nil {
				return err
			}
			if len(req.Sites) == 0 {
				return errors.New("add sites: the list is empty")
			}
			return validateSites(req.Sites, b.known)
		}},
	}
	for _, u := range updates {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, u.name, u.handler,
			workflow.UpdateHandlerOptions{Validator: u.validator}); err != nil {
			return fmt.Errorf("register update %s: %w", u.name, err)
		}
	}
	return nil
}

func (b *batchRun) addSites(ctx workflow.Context, sites []Site) {
	for _, s := range sites {
		b.known[s.SiteID] = true
	}
	b.c.Pending = append(b.c.Pending, sites...)
	if len(b.g.batchSteps) > 0 {
		work, _ := workflow.NewDisconnectedContext(ctx)
		b.startRound(work, sites)
	}
	b.changed = true
	b.logger.Info("sites added to the batch", "added", len(sites), "pending", len(b.c.Pending))
}

// cancel stops the batch: sites not started are recorded as cancelled,
// running sites are asked to stop at a safe point; cleanup runs at the end.
func (b *batchRun) cancel(ctx workflow.Context, why string) {
	if b.c.Cancelled {
		return
	}
	b.c.Cancelled = true
	b.changed = true
	b.logger.Warn("batch cancelling", "reason", why, "pending", len(b.c.Pending), "running", len(b.running))
	for _, s := range b.c.Pending {
		b.record(SiteResult{SiteID: s.SiteID, Outcome: SiteCancelled, RestorePoint: s.RestorePoint, Users: s.Users,
			Errors: []string{"not started: " + why}})
	}
	b.c.Pending = nil
	b.c.SiteLead, b.c.SiteRound = map[string]int{}, map[string]int{}
	work, _ := workflow.NewDisconnectedContext(ctx)
	for _, id := range b.runOrder {
		workflow.RequestCancelExternalWorkflow(work, SiteWorkflowID(id), "")
	}
}

func (b *batchRun) status() string {
	switch {
	case b.done():
		return BatchDone
	case b.c.Cancelled:
		return BatchCancelling
	case b.c.Paused:
		return BatchPaused
	}
	return BatchRunning
}

func (b *batchRun) upsertIdentity(ctx workflow.Context) {
	have := workflow.GetTypedSearchAttributes(ctx)
	var ups []temporal.SearchAttributeUpdate
	if v, ok := have.GetKeyword(SearchKeyBatchID); !ok || v != b.in.BatchID {
		ups = append(ups, SearchKeyBatchID.ValueSet(b.in.BatchID))
	}
	if v, ok := have.GetKeyword(SearchKeyRunbook); !ok || v != b.in.Plan.Runbook {
		ups = append(ups, SearchKeyRunbook.ValueSet(b.in.Plan.Runbook))
	}
	if v, ok := have.GetKeyword(SearchKeyStatus); ok {
		b.pubStatus = v
	}
	if len(ups) > 0 {
		if err := workflow.UpsertTypedSearchAttributes(ctx, ups...); err != nil {
			b.logger.Warn("upsert search attributes", "error", err)
		}
	}
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
	parked := 0
	for _, id := range b.runOrder {
		if b.running[id].blocked == SiteEventParked {
			parked++
		}
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("%s batch %s: %s, %d/%d sites done, %d running, %d parked, %d queued (run %d)",
		b.in.Plan.Runbook, b.in.BatchID, st, len(b.c.Results), len(b.known), len(b.running), parked, len(b.c.Pending), b.c.Runs))
}

func (b *batchRun) progress(ctx workflow.Context) BatchProgress {
	p := BatchProgress{
		BatchID: b.in.BatchID, Runbook: b.in.Plan.Runbook, Status: b.status(), Paused: b.c.Paused,
		MaxConcurrentSites: b.c.MaxConcurrentSites, SitesTotal: len(b.known),
		SitesByStatus: map[string]int{}, StepsDone: b.c.StepsDone,
		StepsTotal:       len(b.g.siteSteps) * len(b.known),
		StepsDoneByStage: map[string]int{}, StepsTotalByStage: map[string]int{},
		StartedAt: b.c.StartedAt, Runs: b.c.Runs, Lead: b.c.Rounds,
	}
	for _, k := range sortedKeys(b.c.StepsDoneByStage) {
		p.StepsDoneByStage[k] = b.c.StepsDoneByStage[k]
	}
	for _, i := range b.g.siteSteps {
		if stage := b.in.Plan.Steps[i].Stage; stage != "" {
			p.StepsTotalByStage[stage] += len(b.known)
		}
	}
	for _, r := range b.c.Results {
		p.SitesByStatus[r.Outcome]++
	}
	if len(b.c.Pending) > 0 {
		p.SitesByStatus[SiteQueued] = len(b.c.Pending)
	}
	for _, id := range b.runOrder {
		c := b.running[id]
		switch c.blocked {
		case SiteEventParked:
			p.SitesByStatus[SiteParked]++
			p.Parked = append(p.Parked, ParkedSite{SiteID: id, StepID: c.stepID, Reason: c.reason})
		case SiteEventWaiting:
			p.SitesByStatus[SiteWaiting]++
		default:
			p.SitesByStatus[SiteRunning]++
		}
	}
	p.ETA = b.eta(workflow.Now(ctx), len(b.c.Pending)+len(b.running))
	return p
}

// RateWindow is how many of the latest site ends the ETA's completion rate
// is measured over.
const RateWindow = 100

// eta: the remaining sites divided by the measured rate at which sites
// finish (over the latest RateWindow ends, up to now); before any site has
// finished, the plan's estimate (planETA).
func (b *batchRun) eta(now time.Time, remaining int) time.Duration {
	if remaining == 0 {
		return 0
	}
	if d, ok := rateETA(now, remaining, b.c.RecentEnds); ok {
		return d
	}
	return b.planETA(remaining)
}

// rateETA is remaining / rate, the rate being the ends in the window
// (oldest first) over the time from the oldest of them to now. It needs two
// ends at least (one end alone says nothing about the pace).
func rateETA(now time.Time, remaining int, ends []time.Time) (time.Duration, bool) {
	if len(ends) < 2 {
		return 0, false
	}
	span := now.Sub(ends[0])
	if span <= 0 {
		return 0, false
	}
	// len(ends)-1 intervals were measured between the oldest and newest
	// end; the time since the newest end counts too (a stall slows the rate).
	rate := float64(len(ends)-1) / span.Seconds() // sites per second
	if rate <= 0 {
		return 0, false
	}
	return time.Duration(float64(remaining) / rate * float64(time.Second)).Round(time.Second), true
}

// noteEnd keeps a site's end time for the rate (the latest RateWindow).
func (b *batchRun) noteEnd(t time.Time) {
	b.c.RecentEnds = append(b.c.RecentEnds, t)
	if n := len(b.c.RecentEnds); n > RateWindow {
		b.c.RecentEnds = append([]time.Time(nil), b.c.RecentEnds[n-RateWindow:]...)
	}
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
		if n := b.c.StepCount[ps.ID]; n > 0 {
			d = time.Duration(b.c.StepSeconds[ps.ID] / float64(n) * float64(time.Second))
		}
		var start time.Duration
		for _, need := range ps.Needs {
			if f := finish[b.g.index[need]]; f > start {
				start = f
			}
		}
		finish[i] = start + d
		if finish[i] > site {
			site = finish[i]
		}
	}
	conc := b.c.MaxConcurrentSites
	waves := (remaining + conc - 1) / conc
	return time.Duration(waves) * site
}

func (b *batchRun) result(ctx workflow.Context) BatchResult {
	var errs *multierror.Error
	for _, e := range b.c.Errors {
		errs = multierror.Append(errs, errors.New(e))
	}
	for _, r := range b.c.Results {
		for _, e := range r.Errors {
			errs = multierror.Append(errs, fmt.Errorf("site %s: %s", r.SiteID, e))
		}
	}
	res := BatchResult{
		BatchID: b.in.BatchID, Runbook: b.in.Plan.Runbook,
		StartedAt: b.c.StartedAt, EndedAt: workflow.Now(ctx),
		Sites: b.c.Results,
	}
	if errs != nil {
		for _, e := range errs.Errors {
			res.Errors = append(res.Errors, e.Error())
		}
		if len(res.Errors) > 2000 {
			res.Errors = append(res.Errors[:2000:2000], fmt.Sprintf("and %d more errors", len(errs.Errors)-2000))
		}
	}
	return res
}

func joinErrs(errs []string) string { return strings.Join(errs, "; ") }

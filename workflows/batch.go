package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// RestoreBatch restores a batch of sites: it runs the plan's batch-scoped
// steps (once per batch, and once more for each add-sites), fans the sites
// out as RestoreSite children in a sliding window, and continues as new
// before its history grows large.
//
// Children start at once when they have a step that needs no running batch
// step: a site step that needs one waits for it inside the site (the batch
// signals each running site when a batch step ends), so site steps that do
// not need it never wait for it. A site whose every first step needs a
// running batch step waits in the queue instead, and starts with the batch
// step's values in its input (no signal).
//
// A handover never halts the window: a run that is due to continue as new
// (batch_carry.go) hands its running sites over to the next run as soon as
// each site it started is confirmed started and no batch-scoped step is
// running; the next run adopts them and fills the window around them. Every
// site reports its end by signal to the batch's current run (and, while the
// run that started it is open, as the child's completion too: the first to
// arrive counts). Runs recorded before this change drained instead
// (versions.go).
//
// The batch's state is split by concern: the sliding window (window.go,
// batch_window.go), the lead rounds (lead.go, batch_lead.go), what crosses
// continue-as-new (batch_carry.go), the tally of finished sites
// (batch_results.go), progress and result (batch_progress.go), and the
// operator's updates (batch_handlers.go).
func RestoreBatch(ctx workflow.Context, in RestoreBatchInput) (BatchResult, error) {
	b, err := newBatchRun(ctx, in)
	if err != nil {
		return BatchResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("restore batch %q: %v", in.BatchID, err), "InvalidInput", err)
	}
	return b.run(ctx)
}

// batchRun is one run of a batch: its state, with the handlers and the
// main loop as methods.
type batchRun struct {
	in     RestoreBatchInput
	g      *graph
	logger log.Logger
	// root is the workflow's context, for the clock in handlers without one.
	root workflow.Context

	win   *window
	lead  *leadRounds
	tally *tally

	// What the operator set, and the batch's identity over its runs.
	paused, cancelled bool
	maxConcurrent     int
	startedAt         time.Time
	firstSiteAt       time.Time
	firstEndAt        time.Time
	runs              int

	// packedPlan is the plan as every site's input carries it.
	packedPlan   []byte
	maxPerRun    int
	startedInRun int
	// due is set once this run should continue as new; adopting says the
	// next run adopts the running sites (else this run drains first);
	// dueAt is when, and stale that the handover waited MaxHandoverWait
	// for child starts to be confirmed and goes on without them.
	due, adopting, stale bool
	dueAt                time.Time
	// settles says the handover waits for its own commands to settle
	// (batch_settle.go); quiet is its one timer, quietFrom the count of
	// outstanding commands when that timer started.
	settles   bool
	quiet     workflow.Future
	quietFrom int
	// sent are lead-step signals the server may not have delivered yet,
	// resent by the next run when this one hands over first; resends says
	// this run does so (batch_lead.go); resend is what the run before
	// handed over undelivered.
	sent      []sentLead
	resend    []SiteLead
	resends   bool
	changed   bool
	pubStatus string
	// kids is the watcher of this run's children (batch_children.go); nil
	// in runs recorded before it, whose children have a coroutine each.
	kids *children
	// boundsStarts: at most MaxStartingSites of this run's child starts
	// await the server's confirmation at once (batch_window.go).
	boundsStarts bool
	// actions are the operators' steering decisions (batch_operators.go).
	actions []OperatorAction
	// What switch-runbook changed (batch_switch.go): the plans it brought
	// in, the runbook of sites added from now on, the sites moved to each
	// runbook, the parked sites to start again and when they went back.
	switched      map[string]switchedPlan
	runbook       string
	switchedSites map[string]int
	moving        map[string]string
	movedAt       map[string]time.Time
}

func newBatchRun(ctx workflow.Context, in RestoreBatchInput) (*batchRun, error) {
	if in.BatchID == "" {
		return nil, errors.New("batch id is empty")
	}
	if in.MaxConcurrentSites < 0 {
		return nil, fmt.Errorf("max concurrent sites is %d; it must be at least 1", in.MaxConcurrentSites)
	}
	g, err := newGraph(in.Plan)
	if err != nil {
		return nil, err
	}
	packed, err := packPlan(in.Plan)
	if err != nil {
		return nil, err
	}
	b := &batchRun{in: in, g: g, packedPlan: packed, win: newWindow(), lead: newLeadRounds(g), maxPerRun: in.MaxChildrenPerRun,
		logger: log.With(workflow.GetLogger(ctx), "batch", in.BatchID), switchedSites: map[string]int{},
		moving: map[string]string{}, movedAt: map[string]time.Time{}}
	if err := b.loadSwitched(in.Switched); err != nil {
		return nil, err
	}
	if b.maxPerRun <= 0 {
		b.maxPerRun = DefaultMaxChildrenPerRun
	}
	carry := in.Carry
	if carry == nil {
		if err := validateSites(in.Sites, nil); err != nil {
			return nil, err
		}
		carry = &BatchCarry{Pending: in.Sites, MaxConcurrentSites: in.MaxConcurrentSites, StartedAt: workflow.Now(ctx)}
	}
	b.resume(*carry)
	if b.maxConcurrent <= 0 {
		b.maxConcurrent = DefaultMaxConcurrentSites
	}
	b.runs++
	return b, nil
}

// validateSites checks new sites: no empty IDs, no duplicates (among them
// or with the batch's sites). Every problem is listed.
func validateSites(sites []Site, known map[string]bool) error {
	var errs []string
	seen := map[string]bool{}
	for i, s := range sites {
		switch {
		case s.SiteID == "":
			errs = append(errs, fmt.Sprintf("site %d has an empty id", i))
		case seen[s.SiteID]:
			errs = append(errs, fmt.Sprintf("site %q is listed twice", s.SiteID))
		case known[s.SiteID]:
			errs = append(errs, fmt.Sprintf("site %q is already in the batch", s.SiteID))
		}
		seen[s.SiteID] = true
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid sites: %s", strings.Join(errs, "; "))
	}
	return nil
}

func (b *batchRun) run(ctx workflow.Context) (BatchResult, error) {
	b.root = ctx
	if err := b.registerHandlers(ctx); err != nil {
		return BatchResult{}, err
	}
	b.upsertIdentity(ctx)
	// Children and batch steps run in a context the batch's own
	// cancellation does not reach: a cancelled batch cancels its sites
	// explicitly and still cleans up.
	work, _ := workflow.NewDisconnectedContext(ctx)
	if watchesChildren(ctx) {
		b.watchChildren(work)
		b.boundsStarts = boundsStarts(ctx)
	}
	b.receiveSiteEvents(work)
	b.resendLead(work)
	if b.runs == 1 && len(b.g.batchSteps) > 0 && len(b.win.queue) > 0 {
		b.startRound(work, b.win.queue)
	}
	if err := b.loop(ctx, work); err != nil {
		return BatchResult{}, err
	}
	b.cleanup(work)
	b.publish(ctx)
	res := b.result(ctx)
	_ = workflow.Await(work, func() bool { return workflow.AllHandlersFinished(work) })
	b.logger.Info("batch ended", "sites", len(res.Sites), "errors", len(res.Errors))
	return res, nil
}

// loop fills the window until every site has a result, or returns the
// continue-as-new error once the run is ready to hand over.
func (b *batchRun) loop(ctx, work workflow.Context) error {
	loopCtx := ctx
	for {
		b.startChildren(work)
		b.publish(ctx)
		if b.done() {
			return nil
		}
		if b.readyToContinue() {
			if err := workflow.Await(work, func() bool { return workflow.AllHandlersFinished(work) }); err != nil {
				return err
			}
			if b.resends {
				b.yield(work)
			}
			if b.readyToContinue() && !b.done() {
				return b.continueAsNew(ctx)
			}
			continue
		}
		if !b.due && b.canDue(ctx) {
			b.due, b.dueAt = true, workflow.Now(ctx)
			b.adopting = handoverAdopts(ctx)
			b.resends = handoverResendsLead(ctx)
			b.settles = b.adopting && b.resends && handoverSettles(ctx)
			active, _ := b.win.load()
			b.logger.Info("batch due to continue as new", "adopting", b.adopting, "started_in_run", b.startedInRun,
				"active_sites", active, "history_length", workflow.GetInfo(ctx).GetCurrentHistoryLength())
			continue
		}
		if err := b.wait(loopCtx); err != nil {
			b.cancel(work, "batch workflow cancelled")
			loopCtx = work
		}
	}
}

// wait blocks until something changes. A handover that waits for child
// starts to be confirmed waits at most MaxHandoverWait from the moment
// the run became due: then it goes on without them (batch_carry.go).
func (b *batchRun) wait(ctx workflow.Context) error {
	b.changed = false
	if !b.due || !b.adopting || b.stale {
		return workflow.Await(ctx, func() bool { return b.changed })
	}
	if b.settles {
		return b.settle(ctx)
	}
	wait := MaxHandoverWait
	if b.resends {
		wait = QuickHandoverWait
	}
	left := wait - workflow.Now(ctx).Sub(b.dueAt)
	if left <= 0 {
		b.stale = true
		return nil
	}
	changed, err := workflow.AwaitWithTimeout(ctx, left, func() bool { return b.changed })
	if err == nil && !changed {
		b.stale = true
	}
	return err
}

// receiveSiteEvents applies the sites' signals as they come.
func (b *batchRun) receiveSiteEvents(ctx workflow.Context) {
	evCh := workflow.GetSignalChannel(ctx, SignalSiteEvent)
	workflow.Go(ctx, func(gctx workflow.Context) {
		for {
			var ev SiteEvent
			if !evCh.Receive(gctx, &ev) {
				return
			}
			b.onSiteEvent(ev)
		}
	})
}

// yield lets every other coroutine run before the run hands over. The
// events of a workflow task are all delivered before any coroutine runs,
// and this one runs first: a site's end handed to the receiving coroutine
// (receiveSiteEvents), or a child's result to its own, would not be applied
// yet, and a carry taken then would lose it (the next run would wait for
// that site for ever). A coroutine started now runs after all the others.
func (b *batchRun) yield(ctx workflow.Context) {
	done := false
	workflow.Go(ctx, func(workflow.Context) { done = true })
	_ = workflow.Await(ctx, func() bool { return done })
}

// done: nothing queued, running or being prepared.
func (b *batchRun) done() bool {
	return b.win.empty() && b.lead.running == 0
}

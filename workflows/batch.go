package workflows

import (
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/runbooks"
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
// Continue-as-new drains: the run stops starting sites and waits until each
// of its sites has finished or is blocked on a human (parked, or at a gate);
// blocked sites are carried over and report their result by signal (only a
// site that was blocked sends it: every other site's result reaches the
// run that started it as the child's completion).
func RestoreBatch(ctx workflow.Context, in RestoreBatchInput) (BatchResult, error) {
	b, err := newBatchRun(ctx, in)
	if err != nil {
		return BatchResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("restore batch %q: %v", in.BatchID, err), "InvalidInput", err)
	}
	return b.run(ctx)
}

// child is a running site.
type child struct {
	site      Site
	round     int
	inRun     bool // started by this run (else carried over)
	startedAt time.Time
	blocked   string // "", SiteEventParked or SiteEventWaiting
	// started is true once the server confirmed the child's start; lead
	// statuses that end before that wait in late (a signal to a child not
	// started yet would be lost).
	started bool
	late    []LeadStatus
	stepID  string
	reason  string
}

type batchRun struct {
	in     RestoreBatchInput
	g      *graph
	c      BatchCarry
	logger log.Logger

	running    map[string]*child
	runOrder   []string        // running site IDs in start order (deterministic iteration)
	recorded   map[string]bool // sites with a result
	known      map[string]bool // every site of the batch
	leadIndex  map[string]int  // interning of c.LeadTable
	roundSites map[int][]contract.SiteTarget

	leadRunning  int
	startedInRun int
	maxPerRun    int
	draining     bool
	changed      bool

	pubStatus string
	// root is the workflow's context, for the clock in handlers without one.
	root workflow.Context
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
	b := &batchRun{
		in: in, g: g,
		running: map[string]*child{}, recorded: map[string]bool{}, known: map[string]bool{},
		leadIndex: map[string]int{}, roundSites: map[int][]contract.SiteTarget{},
		maxPerRun: in.MaxChildrenPerRun,
	}
	if b.maxPerRun <= 0 {
		b.maxPerRun = DefaultMaxChildrenPerRun
	}
	b.logger = log.With(workflow.GetLogger(ctx), "batch", in.BatchID)
	if in.Carry != nil {
		b.c = *in.Carry
	} else {
		if err := validateSites(in.Sites, nil); err != nil {
			return nil, err
		}
		b.c = BatchCarry{Pending: in.Sites, MaxConcurrentSites: in.MaxConcurrentSites, StartedAt: workflow.Now(ctx)}
	}
	if b.c.MaxConcurrentSites <= 0 {
		b.c.MaxConcurrentSites = DefaultMaxConcurrentSites
	}
	b.c.Runs++
	if b.c.SiteLead == nil {
		b.c.SiteLead = map[string]int{}
	}
	if b.c.SiteRound == nil {
		b.c.SiteRound = map[string]int{}
	}
	if b.c.StepSeconds == nil {
		b.c.StepSeconds = map[string]float64{}
		b.c.StepCount = map[string]int{}
	}
	for i, row := range b.c.LeadTable {
		b.leadIndex[leadKey(row)] = i
	}
	for _, r := range b.c.Results {
		b.recorded[r.SiteID] = true
		b.known[r.SiteID] = true
	}
	for _, s := range b.c.Pending {
		b.known[s.SiteID] = true
	}
	for _, bs := range b.c.Blocked {
		b.known[bs.SiteID] = true
		b.running[bs.SiteID] = &child{site: Site{SiteID: bs.SiteID}, startedAt: bs.StartedAt, blocked: bs.Kind, stepID: bs.StepID, reason: bs.Reason}
		if bs.Kind == SiteRunning {
			b.running[bs.SiteID].blocked = ""
		}
		b.runOrder = append(b.runOrder, bs.SiteID)
	}
	b.c.Blocked = nil
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
		return fmt.Errorf("invalid sites: %s", joinErrs(errs))
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

	evCh := workflow.GetSignalChannel(ctx, SignalSiteEvent)
	workflow.Go(work, func(gctx workflow.Context) {
		for {
			var ev SiteEvent
			if !evCh.Receive(gctx, &ev) {
				return
			}
			b.onSiteEvent(ev)
		}
	})

	if b.c.Runs == 1 && len(b.g.batchSteps) > 0 && len(b.c.Pending) > 0 {
		b.startRound(work, b.c.Pending)
	}

	loopCtx := ctx
	for {
		b.startChildren(work)
		b.publish(ctx)
		if b.done() {
			break
		}
		if b.drained() {
			if err := workflow.Await(work, func() bool { return workflow.AllHandlersFinished(work) }); err != nil {
				return BatchResult{}, err
			}
			if b.drained() && !b.done() {
				return BatchResult{}, b.continueAsNew(ctx)
			}
			continue
		}
		if !b.draining && b.canDue(ctx) {
			b.draining = true
			b.logger.Info("batch draining before continue-as-new", "started_in_run", b.startedInRun,
				"history_length", workflow.GetInfo(ctx).GetCurrentHistoryLength())
			continue
		}
		b.changed = false
		if err := workflow.Await(loopCtx, func() bool { return b.changed }); err != nil {
			b.cancel(work, "batch workflow cancelled")
			loopCtx = work
		}
	}

	b.cleanup(work)
	b.publish(ctx)
	res := b.result(ctx)
	_ = workflow.Await(work, func() bool { return workflow.AllHandlersFinished(work) })
	b.logger.Info("batch ended", "sites", len(res.Sites), "errors", len(res.Errors))
	return res, nil
}

// MaxRunHistoryBytes: a batch run continues as new once its history is
// this large. Each site adds about 19 KB (the plan in the child's input, the
// site's steps in its result), so the server's suggestion (at 4 MB) would
// come every 200 sites or so, and each continue-as-new drains the window;
// 8 MB stays under the server's 10 MB warning and far from its 50 MB limit.
const MaxRunHistoryBytes = 8 << 20

// canDue says whether this run should continue as new: it started its
// share of sites, or its history is long (events) or large (bytes).
func (b *batchRun) canDue(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return b.startedInRun >= b.maxPerRun || info.GetCurrentHistoryLength() > 8000 ||
		info.GetCurrentHistorySize() > MaxRunHistoryBytes
}

// drained: continue-as-new is due and nothing of this run is still moving.
func (b *batchRun) drained() bool {
	if !b.draining || b.leadRunning > 0 {
		return false
	}
	for _, id := range b.runOrder {
		if c := b.running[id]; c.inRun && c.blocked == "" {
			return false
		}
	}
	return true
}

// done: nothing pending, running or being prepared.
func (b *batchRun) done() bool {
	return len(b.c.Pending) == 0 && len(b.running) == 0 && b.leadRunning == 0
}

func (b *batchRun) continueAsNew(ctx workflow.Context) error {
	carry := b.c
	for _, id := range b.runOrder {
		c := b.running[id]
		kind := c.blocked
		if kind == "" {
			kind = SiteRunning
		}
		carry.Blocked = append(carry.Blocked, BlockedSite{SiteID: id, StepID: c.stepID, Reason: c.reason, Kind: kind, StartedAt: c.startedAt})
	}
	next := b.in
	next.Sites = nil
	next.Carry = &carry
	b.logger.Info("batch continues as new", "run", b.c.Runs, "results", len(carry.Results),
		"pending", len(carry.Pending), "carried_sites", len(carry.Blocked),
		"history_length", workflow.GetInfo(ctx).GetCurrentHistoryLength())
	return workflow.NewContinueAsNewError(ctx, RestoreBatchWorkflowName, next)
}

// active counts running sites that are not blocked on a human.
func (b *batchRun) active() (active, inRun int) {
	for _, id := range b.runOrder {
		c := b.running[id]
		if c.blocked == "" {
			active++
		}
		if c.inRun {
			inRun++
		}
	}
	return active, inRun
}

// startChildren fills the sliding window.
func (b *batchRun) startChildren(ctx workflow.Context) {
	if b.c.Paused || b.c.Cancelled || b.draining {
		return
	}
	active, inRun := b.active()
	for len(b.c.Pending) > 0 && active < b.c.MaxConcurrentSites && inRun < MaxPendingChildrenPerRun &&
		b.startedInRun < b.maxPerRun {
		if !b.hasWork(b.c.SiteRound[b.c.Pending[0].SiteID]) {
			// Every first step of the site waits for a batch step still
			// running: the site starts when one ends, with its values in
			// its input (no signal needed). Later sites wait in line.
			return
		}
		site := b.c.Pending[0]
		b.c.Pending = b.c.Pending[1:]
		b.startChild(ctx, site)
		active++
		inRun++
	}
}

// hasWork says whether a site of the lead round has a step it could run
// now: a site step none of whose needs is a batch step still pending or
// running in that round (site steps it needs come later anyway).
func (b *batchRun) hasWork(round int) bool {
	if round >= len(b.c.Rounds) || len(b.g.batchSteps) == 0 {
		return true
	}
	open := map[string]bool{}
	for _, st := range b.c.Rounds[round].Steps {
		if st.Status == StepPending || st.Status == StepRunning {
			open[st.StepID] = true
		}
	}
	if len(open) == 0 {
		return true
	}
	for _, i := range b.g.siteSteps {
		root, blocked := true, false
		for _, need := range b.in.Plan.Steps[i].Needs {
			if b.in.Plan.Steps[b.g.index[need]].Scope != runbooks.ScopeBatch {
				root = false
				break
			}
			if open[need] {
				blocked = true
			}
		}
		if root && !blocked {
			return true
		}
	}
	return false
}

func (b *batchRun) startChild(ctx workflow.Context, site Site) {
	round := b.c.SiteRound[site.SiteID]
	in := RestoreSiteInput{BatchID: b.in.BatchID, Site: site, Plan: b.in.Plan, Drill: b.in.Drill}
	if row, ok := b.c.SiteLead[site.SiteID]; ok {
		in.Vars = b.c.LeadTable[row]
	}
	in.Lead = b.leadFor(round, site.SiteID)
	delete(b.c.SiteLead, site.SiteID)
	delete(b.c.SiteRound, site.SiteID)

	c := &child{site: site, round: round, inRun: true, startedAt: workflow.Now(ctx)}
	b.running[site.SiteID] = c
	b.runOrder = append(b.runOrder, site.SiteID)
	b.startedInRun++
	b.changed = true

	opts := workflow.ChildWorkflowOptions{
		WorkflowID:            SiteWorkflowID(site.SiteID),
		TaskQueue:             WorkflowTaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		// Sites outlive the run that started them (continue-as-new); a
		// cancelled batch cancels them itself.
		ParentClosePolicy:   enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WaitForCancellation: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			SearchKeyBatchID.ValueSet(b.in.BatchID),
			SearchKeySiteID.ValueSet(site.SiteID),
			SearchKeyRunbook.ValueSet(b.in.Plan.Runbook),
			// Saves the site its first upsert.
			SearchKeyStatus.ValueSet(SiteRunning),
		),
		StaticSummary: fmt.Sprintf("%s of site %s (batch %s)", b.in.Plan.Runbook, site.SiteID, b.in.BatchID),
	}
	cctx := workflow.WithChildOptions(ctx, opts)
	workflow.Go(ctx, func(gctx workflow.Context) {
		f := workflow.ExecuteChildWorkflow(cctx, RestoreSiteWorkflowName, in)
		if err := f.GetChildWorkflowExecution().Get(gctx, nil); err != nil {
			b.record(SiteResult{SiteID: site.SiteID, Outcome: SiteFailed, RestorePoint: site.RestorePoint, Users: site.Users,
				Errors: []string{fmt.Sprintf("start site workflow %s: %v (is it being restored by another batch?)", opts.WorkflowID, err)}})
			return
		}
		c.started = true
		for _, ls := range c.late {
			f.SignalChildWorkflow(gctx, SignalLeadStep, ls)
		}
		c.late = nil
		var res SiteResult
		if err := f.Get(gctx, &res); err != nil {
			b.record(SiteResult{SiteID: site.SiteID, Outcome: SiteFailed, RestorePoint: site.RestorePoint, Users: site.Users,
				Errors: []string{fmt.Sprintf("site workflow %s: %v", opts.WorkflowID, err)}})
			return
		}
		b.record(res)
	})
}

func (b *batchRun) onSiteEvent(ev SiteEvent) {
	c, ok := b.running[ev.SiteID]
	if !ok {
		return
	}
	switch ev.Kind {
	case SiteEventParked, SiteEventWaiting:
		c.blocked, c.stepID, c.reason = ev.Kind, ev.StepID, ev.Reason
	case SiteEventResumed:
		c.blocked, c.stepID, c.reason = "", "", ""
	case SiteEventFinished:
		if ev.Result != nil {
			b.record(*ev.Result)
		}
	}
	b.changed = true
}

// MaxSitesWithTimes: a batch's result keeps each site's deletion time and
// end time (to the second) up to this many sites; beyond, only restore
// points and durations, so that 10,000 sites (even with 36-character IDs)
// fit in Temporal's 2 MB payload limit.
const MaxSitesWithTimes = 5000

// record keeps a site's result once, trimmed to what the batch result
// needs (no step list, no start time: EndedAt - Duration), and feeds the
// progress counters and the ETA's step durations.
func (b *batchRun) record(r SiteResult) {
	if b.recorded[r.SiteID] {
		return
	}
	b.recorded[r.SiteID] = true
	if c, ok := b.running[r.SiteID]; ok {
		delete(b.running, r.SiteID)
		for i, id := range b.runOrder {
			if id == r.SiteID {
				b.runOrder = append(b.runOrder[:i:i], b.runOrder[i+1:]...)
				break
			}
		}
		if r.Users == 0 {
			r.Users = c.site.Users
		}
		if r.DeletedAt.IsZero() {
			r.DeletedAt = c.site.DeletedAt
		}
		if b.root != nil {
			b.noteEnd(workflow.Now(b.root))
		}
	}
	for _, st := range r.Steps {
		if st.Status != StepDone && st.Status != StepSkipped {
			continue
		}
		if _, ok := b.g.index[st.StepID]; !ok || b.isBatchStep(st.StepID) {
			continue
		}
		b.c.StepsDone++
		if st.Stage != "" {
			if b.c.StepsDoneByStage == nil {
				b.c.StepsDoneByStage = map[string]int{}
			}
			b.c.StepsDoneByStage[st.Stage]++
		}
		if st.Status == StepDone && !st.StartedAt.IsZero() && !st.EndedAt.IsZero() {
			b.c.StepSeconds[st.StepID] += st.EndedAt.Sub(st.StartedAt).Seconds()
			b.c.StepCount[st.StepID]++
		}
	}
	errs := r.Errors
	if len(errs) > 5 {
		errs = append(errs[:5:5], fmt.Sprintf("and %d more", len(r.Errors)-5))
	}
	for i := range errs {
		errs[i] = truncate(errs[i], 300)
	}
	kept := SiteResult{
		SiteID: r.SiteID, Outcome: r.Outcome, RestorePoint: r.RestorePoint,
		Duration: r.Duration, Users: r.Users, Errors: errs,
	}
	if len(b.known) <= MaxSitesWithTimes {
		kept.DeletedAt = r.DeletedAt
		kept.EndedAt = r.EndedAt.Truncate(time.Second)
	}
	b.c.Results = append(b.c.Results, kept)
	b.changed = true
}

func (b *batchRun) isBatchStep(id string) bool {
	for _, i := range b.g.batchSteps {
		if b.in.Plan.Steps[i].ID == id {
			return true
		}
	}
	return false
}

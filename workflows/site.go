package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/runbooks"
)

// RestoreSite restores one site: it runs the plan's site-scoped steps as a
// graph (every step starts as soon as all it needs is done), parks steps that
// keep failing until an operator decides, waits at gates for a human, and
// returns the site's result. Domain outcomes (restored, failed, aborted,
// cancelled) are results, not workflow errors, so that the batch always gets
// them; only an invalid input fails the workflow.
func RestoreSite(ctx workflow.Context, in RestoreSiteInput) (SiteResult, error) {
	var err error
	if len(in.PackedPlan) > 0 {
		in.Plan, err = unpackPlan(in.PackedPlan)
		in.PackedPlan = nil
	}
	var s *siteRun
	if err == nil {
		s, err = newSiteRun(ctx, in)
	}
	if err != nil {
		return SiteResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("restore site %q: %v", in.Site.SiteID, err), "InvalidInput", err)
	}
	return s.run(ctx)
}

// siteRun is one site workflow's state. Handlers and step coroutines change
// it; the main loop in run() waits on s.changed.
type siteRun struct {
	in    RestoreSiteInput
	g     *graph
	steps []StepState // aligned with in.Plan.Steps

	stepDecisions map[string]StepDecision
	gateDecisions map[string]GateDecision
	escalated     map[string]bool

	live     int    // step coroutines alive (running, parked or waiting)
	active   int    // activities in flight
	stopping string // "", SiteAborted, SiteFailed or SiteCancelled
	errors   []string
	changed  bool

	startedAt   time.Time
	abortCancel workflow.CancelFunc
	// decisions are the operators' decisions on this site's steps.
	decisions []OperatorAction
	logger    log.Logger

	// last values published (search attributes, parent events).
	pubStatus, pubStage string
	pubAttention        bool
	pubEvent            string
	// pubAt is when the search attributes were last upserted (stage
	// changes in quick succession are batched: see publish).
	pubAt time.Time
	// pubProgress is the progress last upserted in the memo (zero: none).
	pubProgress SiteProgress
	// toldBlocked is true once the site told its batch it is blocked on a
	// human. Sites recorded before changeSiteReportsEnd report their end by
	// signal only then (see versions.go).
	toldBlocked bool
}

func newSiteRun(ctx workflow.Context, in RestoreSiteInput) (*siteRun, error) {
	if in.Site.SiteID == "" {
		return nil, errors.New("site id is empty")
	}
	g, err := newGraph(in.Plan)
	if err != nil {
		return nil, err
	}
	s := &siteRun{
		in: in, g: g,
		steps:         make([]StepState, len(in.Plan.Steps)),
		stepDecisions: map[string]StepDecision{},
		gateDecisions: map[string]GateDecision{},
		escalated:     map[string]bool{},
	}
	lead := map[string]LeadStatus{}
	for _, l := range in.Lead {
		if i, ok := g.index[l.StepID]; !ok || in.Plan.Steps[i].Scope != runbooks.ScopeBatch {
			return nil, fmt.Errorf("lead step %q is not a batch-scoped step of plan %q", l.StepID, in.Plan.Runbook)
		}
		lead[l.StepID] = l
	}
	for i, ps := range in.Plan.Steps {
		s.steps[i] = StepState{StepID: ps.ID, Action: ps.Action, Service: ps.Service, Stage: ps.Stage, Status: StepPending}
		if ps.Scope == runbooks.ScopeBatch {
			// The batch runs it: done unless the batch says otherwise.
			s.steps[i].Status = StepDone
			s.steps[i].Message = "run by the batch"
			if l, ok := lead[ps.ID]; ok {
				s.applyLead(l)
			}
		}
	}
	s.logger = log.With(workflow.GetLogger(ctx), "batch", in.BatchID, "site", in.Site.SiteID)
	return s, nil
}

func (s *siteRun) run(ctx workflow.Context) (SiteResult, error) {
	s.startedAt = workflow.Now(ctx)
	s.pubAt = s.startedAt
	if err := s.registerHandlers(ctx); err != nil {
		return SiteResult{}, err
	}
	s.upsertIdentity(ctx)

	// Activities run in a context the workflow's cancellation does not
	// reach: a cancelled site stops at a safe point (running steps finish,
	// no new step starts). Only an operator's abort cancels them.
	actCtx, cancel := workflow.NewDisconnectedContext(ctx)
	actCtx, s.abortCancel = workflow.WithCancel(actCtx)
	defer cancel()

	s.receiveLead(ctx)

	loopCtx := ctx
	for {
		if s.stopping == "" {
			s.startReady(ctx, actCtx)
		}
		s.publish(ctx)
		if s.finished() {
			break
		}
		s.changed = false
		if err := workflow.Await(loopCtx, func() bool { return s.changed }); err != nil {
			// Cancelled (the batch was cancelled): stop at a safe point.
			s.stop(SiteCancelled, "restore cancelled")
			loopCtx, _ = workflow.NewDisconnectedContext(ctx)
		}
	}

	res := s.result(ctx)
	s.publish(ctx)
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	ret, toBatch := res, res.forBatch()
	if returnsBrief(dctx) {
		// The batch gets the brief result (the child's result is copied
		// into the batch's history); the full one stays in the memo.
		s.keepFullResult(dctx, res)
		ret = res.brief(s.g)
		toBatch = ret
	}
	if s.siteReportsEnd(dctx) {
		// The run of the batch that started this site may have handed it
		// over to a later run: the signal reaches the batch's current run.
		s.notifyParent(dctx, SiteEvent{SiteID: s.in.Site.SiteID, Kind: SiteEventFinished, Result: &toBatch}, true)
	}
	_ = workflow.Await(dctx, func() bool { return workflow.AllHandlersFinished(dctx) })
	s.logger.Info("site restore ended", "outcome", res.Outcome, "duration", res.Duration.String())
	return ret, nil
}

// keepFullResult puts the site's full result in its memo, where the report
// and the Web UI read it.
func (s *siteRun) keepFullResult(ctx workflow.Context, res SiteResult) {
	if err := workflow.UpsertMemo(ctx, map[string]interface{}{MemoSiteResult: res}); err != nil {
		s.logger.Warn("keep the full result in the memo", "error", err)
	}
}

// receiveLead applies the batch's lead-step signals as they come.
func (s *siteRun) receiveLead(ctx workflow.Context) {
	leadCh := workflow.GetSignalChannel(ctx, SignalLeadStep)
	workflow.Go(ctx, func(gctx workflow.Context) {
		for {
			var l LeadStatus
			if !leadCh.Receive(gctx, &l) {
				return
			}
			if s.g.isBatchStep(l.StepID) {
				s.applyLead(l)
				s.changed = true
			} else {
				s.logger.Warn("lead signal for a step that is not batch-scoped: ignored", "step", l.StepID)
			}
		}
	})
}

// applyLead records a batch-scoped step's state as the batch reported it.
func (s *siteRun) applyLead(l LeadStatus) {
	i := s.g.index[l.StepID]
	st := &s.steps[i]
	switch l.Status {
	case LeadPending:
		st.Status, st.Message = StepPending, "waiting for the batch"
	case LeadDone:
		st.Status, st.Message, st.Values = StepDone, "run by the batch", l.Values
	case LeadSkipped:
		st.Status, st.Message = StepSkipped, "skipped by the batch"
	case LeadFailed:
		st.Status, st.Error = StepFailed, l.Error
		s.errors = append(s.errors, fmt.Sprintf("batch step %s failed: %s", l.StepID, l.Error))
	}
}

// ready says whether every step that step i needs is done or skipped.
func (s *siteRun) ready(i int) bool {
	for _, need := range s.in.Plan.Steps[i].Needs {
		if st := s.steps[s.g.index[need]].Status; st != StepDone && st != StepSkipped {
			return false
		}
	}
	return true
}

// startReady starts, in plan order, every pending site step whose needs are met.
func (s *siteRun) startReady(ctx, actCtx workflow.Context) {
	for _, i := range s.g.siteSteps {
		if s.steps[i].Status != StepPending || !s.ready(i) {
			continue
		}
		if s.withoutProduct(ctx, i) {
			continue
		}
		s.steps[i].Status = StepRunning
		if isGate(s.in.Plan.Steps[i]) {
			s.steps[i].Status = StepWaiting
		}
		s.live++
		workflow.Go(ctx, func(gctx workflow.Context) { s.runStep(gctx, actCtx, i) })
	}
}

// withoutProduct skips a ready step whose only_if_product the site did not
// have at the restore point (contract.VarSiteProducts, when a step set it),
// without running its activity, and says so.
func (s *siteRun) withoutProduct(ctx workflow.Context, i int) bool {
	p := s.in.Plan.Steps[i].OnlyIfProduct
	if p == "" {
		return false
	}
	had, known := s.vars().Products()
	if !known || had[p] {
		return false
	}
	s.steps[i].StartedAt = workflow.Now(ctx)
	s.finishStep(ctx, i, StepSkipped, fmt.Sprintf("site had no %s at the restore point: nothing to do", p), nil)
	return true
}

// finished: nothing alive, nothing startable, no batch step still pending.
func (s *siteRun) finished() bool {
	if s.live > 0 {
		return false
	}
	if s.stopping != "" {
		return true
	}
	for _, i := range s.g.batchSteps {
		if s.steps[i].Status == StepPending {
			return false
		}
	}
	for _, i := range s.g.siteSteps {
		if s.steps[i].Status == StepPending && s.ready(i) {
			return false
		}
	}
	return true
}

// stop makes the site stop starting steps. An abort also cancels the
// activities in flight; a failure or a cancel lets them finish.
func (s *siteRun) stop(outcome, why string) {
	if s.stopping != "" {
		return
	}
	s.stopping = outcome
	s.changed = true
	s.logger.Warn("site stopping", "outcome", outcome, "reason", why)
	if outcome == SiteAborted {
		s.abortCancel()
	}
}

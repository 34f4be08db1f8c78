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
	s, err := newSiteRun(ctx, in)
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
	logger      log.Logger

	// last values published (search attributes, parent events).
	pubStatus, pubStage string
	pubAttention        bool
	pubEvent            string
	// pubAt is when the search attributes were last upserted (stage
	// changes in quick succession are batched: see publish).
	pubAt time.Time
	// toldBlocked is true once the site told its batch it is blocked on a
	// human: only such a site can be carried over a continue-as-new (the
	// run that started it may be closed), so only it reports its end by
	// signal; every other site's end reaches the batch as the child's
	// completion.
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

	leadCh := workflow.GetSignalChannel(ctx, SignalLeadStep)
	workflow.Go(ctx, func(gctx workflow.Context) {
		for {
			var l LeadStatus
			if !leadCh.Receive(gctx, &l) {
				return
			}
			if i, ok := s.g.index[l.StepID]; ok && s.in.Plan.Steps[i].Scope == runbooks.ScopeBatch {
				s.applyLead(l)
				s.changed = true
			} else {
				s.logger.Warn("lead signal for a step that is not batch-scoped: ignored", "step", l.StepID)
			}
		}
	})

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
	if s.toldBlocked {
		s.notifyParent(dctx, SiteEvent{SiteID: s.in.Site.SiteID, Kind: SiteEventFinished, Result: &res}, true)
	}
	_ = workflow.Await(dctx, func() bool { return workflow.AllHandlersFinished(dctx) })
	s.logger.Info("site restore ended", "outcome", res.Outcome, "duration", res.Duration.String())
	return res, nil
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

// satisfied says whether a step's need is met.
func (s *siteRun) satisfied(need string) bool {
	st := s.steps[s.g.index[need]].Status
	return st == StepDone || st == StepSkipped
}

// startReady starts, in plan order, every pending site step whose needs are met.
func (s *siteRun) startReady(ctx, actCtx workflow.Context) {
	for _, i := range s.g.siteSteps {
		if s.steps[i].Status != StepPending {
			continue
		}
		ready := true
		for _, n := range s.in.Plan.Steps[i].Needs {
			if !s.satisfied(n) {
				ready = false
				break
			}
		}
		if !ready {
			continue
		}
		i := i
		s.steps[i].Status = StepRunning
		if isGate(s.in.Plan.Steps[i]) {
			s.steps[i].Status = StepWaiting
		}
		s.live++
		workflow.Go(ctx, func(gctx workflow.Context) { s.runStep(gctx, actCtx, i) })
	}
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
		if s.steps[i].Status != StepPending {
			continue
		}
		ready := true
		for _, n := range s.in.Plan.Steps[i].Needs {
			if !s.satisfied(n) {
				ready = false
			}
		}
		if ready {
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

// vars are the input's vars, then completed steps' values in plan order.
func (s *siteRun) vars() map[string]string {
	v := make(map[string]string, len(s.in.Vars)+4)
	for _, k := range sortedKeys(s.in.Vars) {
		v[k] = s.in.Vars[k]
	}
	for i := range s.steps {
		if s.steps[i].Status != StepDone {
			continue
		}
		for _, k := range sortedKeys(s.steps[i].Values) {
			v[k] = s.steps[i].Values[k]
		}
	}
	return v
}

// outcome is the site's status now (final once finished).
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

func (s *siteRun) restorePoint() time.Time {
	if rp, ok := s.vars()["restore_point"]; ok {
		if t, err := time.Parse(time.RFC3339Nano, rp); err == nil {
			return t
		}
	}
	return s.in.Site.RestorePoint
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
	}
}

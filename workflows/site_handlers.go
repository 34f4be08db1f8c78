package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

func (s *siteRun) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QuerySiteState, func() (SiteState, error) {
		return s.state(), nil
	}); err != nil {
		return fmt.Errorf("register query %s: %w", QuerySiteState, err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateStepDecision,
		func(ctx workflow.Context, d StepDecision) error {
			s.stepDecisions[d.StepID] = d
			s.changed = true
			return nil
		},
		workflow.UpdateHandlerOptions{Validator: s.validateStepDecision},
	); err != nil {
		return fmt.Errorf("register update %s: %w", UpdateStepDecision, err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateGateDecision,
		func(ctx workflow.Context, d GateDecision) error {
			s.gateDecisions[d.StepID] = d
			s.changed = true
			return nil
		},
		workflow.UpdateHandlerOptions{Validator: s.validateGateDecision},
	); err != nil {
		return fmt.Errorf("register update %s: %w", UpdateGateDecision, err)
	}
	return nil
}

func (s *siteRun) validateStepDecision(d StepDecision) error {
	switch d.Decision {
	case "retry", "skip", "abort":
	default:
		return fmt.Errorf("step decision %q is not one of retry, skip, abort", d.Decision)
	}
	if d.Operator == "" {
		return errors.New("step decision: operator is empty (say who decides)")
	}
	i, ok := s.g.index[d.StepID]
	if !ok {
		return fmt.Errorf("step decision: site %s has no step %q", s.in.Site.SiteID, d.StepID)
	}
	if st := s.steps[i].Status; st != StepParked {
		return fmt.Errorf("step decision: step %q of site %s is %s, not parked", d.StepID, s.in.Site.SiteID, st)
	}
	if _, dup := s.stepDecisions[d.StepID]; dup {
		return fmt.Errorf("step decision: step %q of site %s already has a decision being applied", d.StepID, s.in.Site.SiteID)
	}
	if s.stopping != "" {
		return fmt.Errorf("step decision: site %s is stopping (%s)", s.in.Site.SiteID, s.stopping)
	}
	return nil
}

func (s *siteRun) validateGateDecision(d GateDecision) error {
	switch d.Decision {
	case "approve", "reject":
	default:
		return fmt.Errorf("gate decision %q is not one of approve, reject", d.Decision)
	}
	if d.Operator == "" {
		return errors.New("gate decision: operator is empty (say who decides)")
	}
	i, ok := s.g.index[d.StepID]
	if !ok {
		return fmt.Errorf("gate decision: site %s has no step %q", s.in.Site.SiteID, d.StepID)
	}
	if !isGate(s.in.Plan.Steps[i]) {
		return fmt.Errorf("gate decision: step %q of site %s is not a gate", d.StepID, s.in.Site.SiteID)
	}
	if st := s.steps[i].Status; st != StepWaiting {
		return fmt.Errorf("gate decision: gate %q of site %s is %s, not waiting for a decision", d.StepID, s.in.Site.SiteID, st)
	}
	if _, dup := s.gateDecisions[d.StepID]; dup {
		return fmt.Errorf("gate decision: gate %q of site %s already has a decision", d.StepID, s.in.Site.SiteID)
	}
	return nil
}

// upsertIdentity sets the batch, site and runbook search attributes unless
// the batch already set them when it started the site.
func (s *siteRun) upsertIdentity(ctx workflow.Context) {
	have := workflow.GetTypedSearchAttributes(ctx)
	var ups []temporal.SearchAttributeUpdate
	set := func(k temporal.SearchAttributeKeyKeyword, v string) {
		if cur, ok := have.GetKeyword(k); (!ok || cur != v) && v != "" {
			ups = append(ups, k.ValueSet(v))
		}
	}
	set(SearchKeyBatchID, s.in.BatchID)
	set(SearchKeySiteID, s.in.Site.SiteID)
	set(SearchKeyRunbook, s.in.Plan.Runbook)
	if cur, ok := have.GetKeyword(SearchKeyStatus); ok {
		s.pubStatus = cur
	}
	if cur, ok := have.GetKeyword(SearchKeyStage); ok {
		s.pubStage = cur
	}
	if cur, ok := have.GetBool(SearchKeyNeedsAttention); ok {
		s.pubAttention = cur
	}
	if len(ups) > 0 {
		if err := workflow.UpsertTypedSearchAttributes(ctx, ups...); err != nil {
			s.logger.Warn("upsert search attributes", "error", err)
		}
	}
}

// StageUpsertInterval: a site upserts its stage search attribute on its
// own at most this often (a status change or the site's end upserts it at
// once).
const StageUpsertInterval = 5 * time.Second

// publish upserts the search attributes that changed, sets the one-line
// details, and tells the batch when the site becomes blocked or unblocked.
func (s *siteRun) publish(ctx workflow.Context) {
	status, stage, attention := s.status(), s.stage(), s.needsAttention()
	var ups []temporal.SearchAttributeUpdate
	if status != s.pubStatus {
		ups = append(ups, SearchKeyStatus.ValueSet(status))
		s.pubStatus = status
	}
	if attention != s.pubAttention {
		ups = append(ups, SearchKeyNeedsAttention.ValueSet(attention))
		s.pubAttention = attention
	}
	// The stage goes with a status change, at the end, or once
	// StageUpsertInterval has passed since the last upsert: a site moving
	// through several stages within seconds upserts once, not per stage
	// (each upsert is an event and a visibility write).
	now := workflow.Now(ctx)
	if stage != s.pubStage && (len(ups) > 0 || s.finished() || now.Sub(s.pubAt) >= StageUpsertInterval) {
		ups = append(ups, SearchKeyStage.ValueSet(stage))
		s.pubStage = stage
	}
	if len(ups) > 0 {
		s.pubAt = now
		if err := workflow.UpsertTypedSearchAttributes(ctx, ups...); err != nil {
			s.logger.Warn("upsert search attributes", "error", err)
		}
	}
	done, total := 0, 0
	for _, i := range s.g.siteSteps {
		total++
		if st := s.steps[i].Status; st == StepDone || st == StepSkipped {
			done++
		}
	}
	details := fmt.Sprintf("%s %s: %s, %d/%d steps", s.in.Plan.Runbook, s.in.Site.SiteID, status, done, total)
	if stage != "" {
		details += ", stage " + stage
	}
	ev := SiteEvent{SiteID: s.in.Site.SiteID, Kind: SiteEventResumed}
	if s.active == 0 && s.live > 0 {
		for i := range s.steps {
			switch s.steps[i].Status {
			case StepParked:
				if ev.Kind != SiteEventParked {
					ev = SiteEvent{SiteID: s.in.Site.SiteID, Kind: SiteEventParked, StepID: s.steps[i].StepID, Reason: s.steps[i].Error}
				}
			case StepWaiting:
				if ev.Kind == SiteEventResumed {
					ev = SiteEvent{SiteID: s.in.Site.SiteID, Kind: SiteEventWaiting, StepID: s.steps[i].StepID, Reason: "waiting for a gate decision"}
				}
			}
		}
	}
	if ev.Kind == SiteEventParked {
		details += ", parked at " + ev.StepID + ": " + truncate(ev.Reason, 80)
	}
	workflow.SetCurrentDetails(ctx, details)
	if s.finished() {
		return
	}
	key := ev.Kind + "/" + ev.StepID
	if s.pubEvent == "" && ev.Kind == SiteEventResumed {
		s.pubEvent = key // not blocked at start: nothing to tell
	}
	if key != s.pubEvent {
		s.pubEvent = key
		if ev.Kind == SiteEventParked || ev.Kind == SiteEventWaiting {
			s.toldBlocked = true
		}
		s.notifyParent(ctx, ev, false)
	}
}

// notifyParent signals the batch (if any). The signal targets the batch's
// current run, so it reaches a batch that continued as new.
func (s *siteRun) notifyParent(ctx workflow.Context, ev SiteEvent, wait bool) {
	parent := workflow.GetInfo(ctx).ParentWorkflowExecution
	if parent == nil {
		return
	}
	f := workflow.SignalExternalWorkflow(ctx, parent.ID, "", SignalSiteEvent, ev)
	if wait {
		if err := f.Get(ctx, nil); err != nil {
			s.logger.Warn("signal batch", "kind", ev.Kind, "error", err)
		}
	}
}

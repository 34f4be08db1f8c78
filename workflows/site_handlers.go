package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/workflow"
)

// registerHandlers registers the site-state query and the operator's
// decisions, each with its validator.
func (s *siteRun) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QuerySiteState, func() (SiteState, error) {
		return s.state(), nil
	}); err != nil {
		return fmt.Errorf("register query %s: %w", QuerySiteState, err)
	}
	return registerUpdates(ctx,
		updateHandler{UpdateStepDecision, s.onStepDecision, s.validateStepDecision},
		updateHandler{UpdateGateDecision, s.onGateDecision, s.validateGateDecision})
}

// Every decision is also kept as an OperatorAction in the site's result
// (its memo), for the report's timeline of who did what. It is state, not
// a command: no recorded history replays differently.

func (s *siteRun) onStepDecision(ctx workflow.Context, d StepDecision) error {
	s.stepDecisions[d.StepID] = d
	s.decided(ctx, d.Decision, d.Operator, d.Reason, d.StepID)
	s.changed = true
	return nil
}

func (s *siteRun) onGateDecision(ctx workflow.Context, d GateDecision) error {
	s.gateDecisions[d.StepID] = d
	s.decided(ctx, d.Decision, d.Operator, d.Reason, d.StepID)
	s.changed = true
	return nil
}

// decided records an operator's decision on a step of this site.
func (s *siteRun) decided(ctx workflow.Context, decision, operator, reason, stepID string) {
	s.decisions = append(s.decisions, OperatorAction{At: workflow.Now(ctx), Action: decision, Operator: operator,
		Reason: reason, Detail: fmt.Sprintf("site %s step %s", s.in.Site.SiteID, stepID)})
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

package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/runbooks"
)

// runStep runs one site step until it is done, skipped, failed, or the site
// stops: an attempt (the activity with its retries, or the gate), then on
// failure the step's policy, and while parked the operator's decision.
func (s *siteRun) runStep(ctx, actCtx workflow.Context, i int) {
	defer func() { s.live--; s.changed = true }()
	for {
		failure, park, ended := s.attempt(ctx, actCtx, i)
		if ended {
			return
		}
		s.steps[i].Error = failure
		if !s.onFailure(ctx, i, failure, park) {
			return
		}
	}
}

// attempt runs the step once. ended is true when the step reached its end
// (done, or failed because the site stops); otherwise failure says why it
// failed, and park that it parks whatever its policy.
func (s *siteRun) attempt(ctx, actCtx workflow.Context, i int) (failure string, park, ended bool) {
	st := &s.steps[i]
	st.Attempts++
	if st.StartedAt.IsZero() {
		st.StartedAt = workflow.Now(ctx)
	}
	st.Error = ""
	if isGate(s.in.Plan.Steps[i]) {
		return s.attemptGate(ctx, i)
	}
	st.Status = StepRunning
	s.changed = true
	s.active++
	out, err := s.execute(actCtx, ctx, i)
	s.active--
	st.Attempts += attempts(out, err) - 1 // Temporal's retries within this attempt
	if err == nil {
		s.finishStep(ctx, i, StepDone, out.Message, out.Values)
		return "", false, true
	}
	failure = errorMessage(err)
	if s.stopping != "" {
		s.finishStep(ctx, i, StepFailed, "", nil)
		st.Error = fmt.Sprintf("site %s: %s", s.stopping, failure)
		return "", false, true
	}
	return failure, false, false
}

// attemptGate waits at a gate (see attempt).
func (s *siteRun) attemptGate(ctx workflow.Context, i int) (failure string, park, ended bool) {
	s.steps[i].Status = StepWaiting
	s.changed = true
	out := s.runGate(ctx, i)
	switch out.kind {
	case gateApproved:
		s.finishStep(ctx, i, StepDone, out.msg, nil)
		return "", false, true
	case gateStopped:
		s.finishStep(ctx, i, StepFailed, "", nil)
		s.steps[i].Error = "site stopped while the gate was open"
		return "", false, true
	case gatePark:
		return out.msg, true, false
	}
	return out.msg, false, false
}

// onFailure applies the step's failure policy (or parks it), and says
// whether the step runs again.
func (s *siteRun) onFailure(ctx workflow.Context, i int, failure string, park bool) (again bool) {
	ps := s.in.Plan.Steps[i]
	policy := ps.OnFailure
	if park {
		policy = runbooks.OnFailurePark
	}
	switch policy {
	case runbooks.OnFailureFail:
		s.endFailed(ctx, i, "", failure, fmt.Sprintf("step %s failed: %s", ps.ID, failure))
		s.stop(SiteFailed, "step "+ps.ID+" failed")
		return false
	case runbooks.OnFailureSkip:
		s.finishStep(ctx, i, StepSkipped, "skipped after failure (on_failure: skip)", nil)
		s.steps[i].Error = failure
		s.errors = append(s.errors, fmt.Sprintf("step %s skipped after failure: %s", ps.ID, failure))
		return false
	}
	return s.park(ctx, i, failure)
}

// park waits for an operator's decision on a parked step (or for the site
// to stop), applies it, and says whether the step runs again.
func (s *siteRun) park(ctx workflow.Context, i int, failure string) (again bool) {
	ps := s.in.Plan.Steps[i]
	st := &s.steps[i]
	st.Status = StepParked
	s.changed = true
	s.logger.Warn("step parked: waiting for an operator", "step", ps.ID, "error", failure)
	err := workflow.Await(ctx, func() bool {
		_, ok := s.stepDecisions[ps.ID]
		return ok || s.stopping != ""
	})
	d, decided := s.stepDecisions[ps.ID]
	delete(s.stepDecisions, ps.ID)
	if err != nil || !decided {
		s.finishStep(ctx, i, StepFailed, "", nil)
		st.Error = "parked when the site stopped: " + failure
		return false
	}
	s.logger.Info("operator decision", "step", ps.ID, "decision", d.Decision, "operator", d.Operator, "reason", d.Reason)
	switch d.Decision {
	case "retry":
		st.Message = fmt.Sprintf("retried by %s: %s", d.Operator, d.Reason)
		return true
	case "skip":
		s.finishStep(ctx, i, StepSkipped, fmt.Sprintf("skipped by %s: %s", d.Operator, d.Reason), nil)
		st.Error = failure
		s.errors = append(s.errors, fmt.Sprintf("step %s skipped by %s after failure: %s", ps.ID, d.Operator, failure))
		return false
	}
	s.endFailed(ctx, i, fmt.Sprintf("aborted by %s: %s", d.Operator, d.Reason), failure,
		fmt.Sprintf("site aborted by %s at step %s: %s", d.Operator, ps.ID, d.Reason))
	s.stop(SiteAborted, "aborted by "+d.Operator)
	return false
}

// endFailed ends a step as failed with its failure, and adds the site error.
func (s *siteRun) endFailed(ctx workflow.Context, i int, msg, failure, siteErr string) {
	s.finishStep(ctx, i, StepFailed, msg, nil)
	s.steps[i].Error = failure
	s.errors = append(s.errors, siteErr)
}

func (s *siteRun) finishStep(ctx workflow.Context, i int, status, msg string, values map[string]string) {
	st := &s.steps[i]
	st.Status = status
	st.EndedAt = workflow.Now(ctx)
	if msg != "" {
		st.Message = msg
	}
	st.Values = values
	s.changed = true
}

// execute runs a step's activity once (with its Temporal retry policy):
// scheduled in actCtx (cancelled only by an abort), awaited in the step's
// own coroutine context.
func (s *siteRun) execute(actCtx, ctx workflow.Context, i int) (contract.StepOutput, error) {
	ps := s.in.Plan.Steps[i]
	vars := s.vars()
	rp, err := s.restorePointOf(vars)
	if err != nil {
		return contract.StepOutput{}, err
	}
	in := contract.StepInput{
		BatchID: s.in.BatchID, SiteID: s.in.Site.SiteID, StepID: ps.ID, Action: ps.Action,
		Runbook: s.in.Plan.Runbook, Params: ps.Params, RestorePoint: rp, Vars: vars, Drill: s.in.Drill,
	}
	var out contract.StepOutput
	actCtx = withStepConverter(workflow.WithActivityOptions(actCtx, activityOptions(ps)), ps)
	err = workflow.ExecuteActivity(actCtx, stepActivityType(ps), in).Get(ctx, &out)
	return out, err
}

package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/runbooks"
)

// DefaultStepTimeout is a step's start-to-close timeout when the plan sets none.
const DefaultStepTimeout = 10 * time.Minute

// runStep runs one site step until it is done, skipped, failed, or the site
// stops: activity (or gate), then on failure the step's policy, and while
// parked the operator's decisions.
func (s *siteRun) runStep(ctx, actCtx workflow.Context, i int) {
	defer func() { s.live--; s.changed = true }()
	ps := s.in.Plan.Steps[i]
	st := &s.steps[i]
	for {
		st.Attempts++
		if st.StartedAt.IsZero() {
			st.StartedAt = workflow.Now(ctx)
		}
		st.Error = ""
		var failure string
		parkNow := false
		if isGate(ps) {
			st.Status = StepWaiting
			s.changed = true
			out := s.runGate(ctx, i)
			switch out.kind {
			case gateApproved:
				s.finishStep(ctx, i, StepDone, out.msg, nil)
				return
			case gateStopped:
				s.finishStep(ctx, i, StepFailed, "", nil)
				st.Error = "site stopped while the gate was open"
				return
			case gatePark:
				failure, parkNow = out.msg, true
			default:
				failure = out.msg
			}
		} else {
			st.Status = StepRunning
			s.changed = true
			s.active++
			out, err := s.execute(actCtx, ctx, i)
			s.active--
			if err == nil {
				s.finishStep(ctx, i, StepDone, out.Message, out.Values)
				return
			}
			failure = errorMessage(err)
			if s.stopping != "" {
				s.finishStep(ctx, i, StepFailed, "", nil)
				st.Error = fmt.Sprintf("site %s: %s", s.stopping, failure)
				return
			}
		}
		st.Error = failure
		policy := ps.OnFailure
		if parkNow {
			policy = runbooks.OnFailurePark
		}
		switch policy {
		case runbooks.OnFailureFail:
			s.finishStep(ctx, i, StepFailed, "", nil)
			st.Error = failure
			s.errors = append(s.errors, fmt.Sprintf("step %s failed: %s", ps.ID, failure))
			s.stop(SiteFailed, "step "+ps.ID+" failed")
			return
		case runbooks.OnFailureSkip:
			s.finishStep(ctx, i, StepSkipped, "skipped after failure (on_failure: skip)", nil)
			st.Error = failure
			s.errors = append(s.errors, fmt.Sprintf("step %s skipped after failure: %s", ps.ID, failure))
			return
		}
		// Park: wait for an operator (or for the site to stop).
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
			return
		}
		s.logger.Info("operator decision", "step", ps.ID, "decision", d.Decision, "operator", d.Operator, "reason", d.Reason)
		switch d.Decision {
		case "retry":
			st.Message = fmt.Sprintf("retried by %s: %s", d.Operator, d.Reason)
			continue
		case "skip":
			s.finishStep(ctx, i, StepSkipped, fmt.Sprintf("skipped by %s: %s", d.Operator, d.Reason), nil)
			st.Error = failure
			s.errors = append(s.errors, fmt.Sprintf("step %s skipped by %s after failure: %s", ps.ID, d.Operator, failure))
			return
		default: // abort
			s.finishStep(ctx, i, StepFailed, fmt.Sprintf("aborted by %s: %s", d.Operator, d.Reason), nil)
			st.Error = failure
			s.errors = append(s.errors, fmt.Sprintf("site aborted by %s at step %s: %s", d.Operator, ps.ID, d.Reason))
			s.stop(SiteAborted, "aborted by "+d.Operator)
			return
		}
	}
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
	timeout := ps.Timeout
	if timeout <= 0 {
		timeout = DefaultStepTimeout
	}
	ao := workflow.ActivityOptions{
		TaskQueue:           ActivityTaskQueue(ps.Service),
		StartToCloseTimeout: timeout,
		HeartbeatTimeout:    ps.Heartbeat,
		RetryPolicy:         retryPolicy(ps.Retry),
		Summary:             ps.ID,
	}
	vars := s.vars()
	rp := s.in.Site.RestorePoint
	if v, ok := vars["restore_point"]; ok {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return contract.StepOutput{}, fmt.Errorf("vars restore_point %q is not RFC3339: %w", v, err)
		}
		rp = t
	}
	in := contract.StepInput{
		BatchID: s.in.BatchID, SiteID: s.in.Site.SiteID, StepID: ps.ID, Action: ps.Action,
		Runbook: s.in.Plan.Runbook, Params: ps.Params, RestorePoint: rp, Vars: vars, Drill: s.in.Drill,
	}
	var out contract.StepOutput
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(actCtx, ao), ps.Action, in).Get(ctx, &out)
	return out, err
}

// retryPolicy maps a plan step's retry policy onto Temporal's.
func retryPolicy(r runbooks.RetryPolicy) *temporal.RetryPolicy {
	p := &temporal.RetryPolicy{
		InitialInterval:    r.InitialInterval,
		BackoffCoefficient: r.BackoffCoefficient,
		MaximumInterval:    r.MaximumInterval,
		MaximumAttempts:    r.MaximumAttempts,
	}
	if p.BackoffCoefficient != 0 && p.BackoffCoefficient < 1 {
		p.BackoffCoefficient = 1
	}
	return p
}

// errorMessage is the innermost useful message of an activity error.
func errorMessage(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return truncate(appErr.Error(), 500)
	}
	var toErr *temporal.TimeoutError
	if errors.As(err, &toErr) {
		return truncate("timeout: "+toErr.Error(), 500)
	}
	var canErr *temporal.CanceledError
	if errors.As(err, &canErr) {
		return "cancelled"
	}
	return truncate(err.Error(), 500)
}

type gateKind int

const (
	gateApproved gateKind = iota
	gateRejected
	gatePark
	gateStopped
)

type gateOutcome struct {
	kind gateKind
	msg  string
}

// runGate waits for a human decision on a gate: escalation flags the site as
// needing attention, the deadline applies the gate's OnDeadline.
func (s *siteRun) runGate(ctx workflow.Context, i int) gateOutcome {
	ps := s.in.Plan.Steps[i]
	gate := ps.Gate
	delete(s.gateDecisions, ps.ID)
	opened := workflow.Now(ctx)
	cond := func() bool {
		_, ok := s.gateDecisions[ps.ID]
		return ok || s.stopping != ""
	}
	decided := false
	var err error
	if gate.Escalation > 0 && (gate.Deadline <= 0 || gate.Escalation < gate.Deadline) {
		decided, err = workflow.AwaitWithTimeout(ctx, gate.Escalation, cond)
		if err == nil && !decided {
			s.escalated[ps.ID] = true
			s.changed = true
			s.logger.Warn("gate escalated: site needs attention", "step", ps.ID,
				"open_for", gate.Escalation.String(), "deadline", gate.Deadline.String())
		}
	}
	if err == nil && !decided {
		if gate.Deadline > 0 {
			left := gate.Deadline - workflow.Now(ctx).Sub(opened)
			if left > 0 {
				decided, err = workflow.AwaitWithTimeout(ctx, left, cond)
			}
		} else {
			err = workflow.Await(ctx, cond)
			decided = err == nil
		}
	}
	delete(s.escalated, ps.ID)
	s.changed = true
	d, ok := s.gateDecisions[ps.ID]
	delete(s.gateDecisions, ps.ID)
	switch {
	case err != nil || s.stopping != "":
		return gateOutcome{kind: gateStopped}
	case ok && d.Decision == "approve":
		return gateOutcome{kind: gateApproved, msg: fmt.Sprintf("approved by %s: %s", d.Operator, d.Reason)}
	case ok:
		return gateOutcome{kind: gateRejected, msg: fmt.Sprintf("rejected by %s: %s", d.Operator, d.Reason)}
	}
	// Deadline passed with no decision.
	s.logger.Warn("gate deadline passed", "step", ps.ID, "on_deadline", gate.OnDeadline)
	switch gate.OnDeadline {
	case "approve":
		return gateOutcome{kind: gateApproved, msg: "approved at the deadline (no decision)"}
	case "reject":
		return gateOutcome{kind: gateRejected, msg: "rejected at the deadline (no decision)"}
	}
	return gateOutcome{kind: gatePark, msg: "gate deadline passed with no decision"}
}

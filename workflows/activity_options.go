package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/runbooks"
)

// DefaultStepTimeout is a step's start-to-close timeout when the plan sets none.
const DefaultStepTimeout = 10 * time.Minute

// DefaultHeartbeatTimeout is a step's heartbeat timeout when the plan sets
// none: plans compiled before every step had one (a batch that was running
// when the worker was upgraded). The activities heartbeat at least every
// 10 s.
const DefaultHeartbeatTimeout = 30 * time.Second

// activityOptions are the options of a plan step's activity, for site
// steps, batch steps and their cleanups alike: the service's task queue (an
// external step's own, see external.go), the step's timeouts and retry
// policy, and the step ID as the summary the Web UI shows.
func activityOptions(ps runbooks.PlanStep) workflow.ActivityOptions {
	timeout := ps.Timeout
	if timeout <= 0 {
		timeout = DefaultStepTimeout
	}
	heartbeat := ps.Heartbeat
	if heartbeat <= 0 {
		heartbeat = DefaultHeartbeatTimeout
	}
	return workflow.ActivityOptions{
		TaskQueue:           stepTaskQueue(ps),
		StartToCloseTimeout: timeout,
		// A lost task, a dead worker or a hung call is noticed when the
		// heartbeat stops: the server retries the step then, not at its
		// start-to-close timeout.
		HeartbeatTimeout: heartbeat,
		// The retry budget in time: attempts go on (backing off) until it
		// is spent, then the step fails and its policy applies (park).
		ScheduleToCloseTimeout: ps.RetryBudget,
		RetryPolicy:            retryPolicy(ps.Retry),
		Summary:                ps.ID,
	}
}

// attempts is how many attempts Temporal made of a step's activity, as the
// activity reported it (contract.StepOutput.Attempt, or the attempt in
// contract.FailureDetails of the last failure); 1 when it is not known.
func attempts(out contract.StepOutput, err error) int32 {
	if err == nil {
		return max(out.Attempt, 1)
	}
	var appErr *temporal.ApplicationError
	var d contract.FailureDetails
	if errors.As(err, &appErr) && appErr.HasDetails() && appErr.Details(&d) == nil && d.Attempt > 0 {
		// A timeout after a failed attempt is one attempt more.
		var toErr *temporal.TimeoutError
		if errors.As(err, &toErr) {
			return d.Attempt + 1
		}
		return d.Attempt
	}
	return 1
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

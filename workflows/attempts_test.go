package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/runbooks"
)

// flakyUntil fails every attempt before the nth as the activities' wrapper
// does (the attempt in the failure's details), then succeeds reporting it.
func flakyUntil(n int32) func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
	return func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
		a := activity.GetInfo(ctx).Attempt
		if n == 0 || a < n {
			return contract.StepOutput{}, temporal.NewApplicationError("shard unreachable", "", contract.FailureDetails{Attempt: a})
		}
		return contract.StepOutput{Message: "ok", Attempt: a}, nil
	}
}

func retryingStep(id string, maxAttempts int32) runbooks.PlanStep {
	s := step(id, id)
	s.Retry = runbooks.RetryPolicy{InitialInterval: time.Millisecond, BackoffCoefficient: 1, MaximumAttempts: maxAttempts}
	return s
}

// A step's attempts are the ones Temporal made, not the workflow's calls:
// 3 for a step that succeeded at its third try, 4 for a step that parked
// after four failed tries.
func TestStepCountsTemporalAttempts(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	rec.register(env, "third", flakyUntil(3))
	rec.register(env, "never", flakyUntil(0))
	p := plan(retryingStep("third", 5), retryingStep("never", 4))
	env.RegisterDelayedCallback(func() {
		st := query(t, env)
		if got := stepState(t, st.Steps, "never"); got.Status != StepParked || got.Attempts != 4 {
			t.Errorf("parked step: status %s, %d attempts; want parked after 4", got.Status, got.Attempts)
		}
		update(t, env, UpdateStepDecision, StepDecision{StepID: "never", Decision: "skip", Operator: "op"})
	}, time.Minute)
	env.ExecuteWorkflow(RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "b1", Site: testSite, Plan: p})
	res := siteResult(t, env)
	if got := stepState(t, res.Steps, "third"); got.Attempts != 3 || got.Status != StepDone {
		t.Fatalf("step third: %s after %d attempts, want done after 3", got.Status, got.Attempts)
	}
}

func TestAttemptsReadsOutputAndFailureDetails(t *testing.T) {
	if n := attempts(contract.StepOutput{Attempt: 2}, nil); n != 2 {
		t.Fatalf("success at attempt 2: %d", n)
	}
	if n := attempts(contract.StepOutput{}, nil); n != 1 {
		t.Fatalf("success with no attempt reported: %d, want 1", n)
	}
	withDetails := temporal.NewApplicationError("boom", "", contract.FailureDetails{Attempt: 7})
	if n := attempts(contract.StepOutput{}, withDetails); n != 7 {
		t.Fatalf("failure at attempt 7: %d", n)
	}
	if n := attempts(contract.StepOutput{}, errors.New("plain")); n != 1 {
		t.Fatalf("failure with no details: %d, want 1", n)
	}
}

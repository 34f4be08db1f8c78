package activities

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/contract"
)

// appError is the application error at the top of err's chain (or under a
// workflow's and an activity's error), or nil.
func appError(err error) *temporal.ApplicationError {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae
	}
	return nil
}

// runFlaky runs action (wrapped by step) in a workflow that retries it up
// to 3 attempts, as the site workflow runs a step, and returns the
// workflow's result and error.
func runFlaky(t *testing.T, action Func) (contract.StepOutput, error) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivityWithOptions(step(action), activity.RegisterOptions{Name: "flaky"})
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context, in contract.StepInput) (contract.StepOutput, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute,
			RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumAttempts: 3}})
		var out contract.StepOutput
		err := workflow.ExecuteActivity(ctx, "flaky", in).Get(ctx, &out)
		return out, err
	}, workflow.RegisterOptions{Name: "site"})
	env.ExecuteWorkflow("site", contract.StepInput{Action: "flaky", SiteID: "s1", StepID: "validate-opsgenie"})
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	var out contract.StepOutput
	err := env.GetWorkflowError()
	if err == nil {
		if gerr := env.GetWorkflowResult(&out); gerr != nil {
			t.Fatal(gerr)
		}
	}
	return out, err
}

// The attempt Temporal ran is in the output of a success, and in the
// details of a failure, whose retryability and type stay as they were.
func TestStepReportsTheRealAttempt(t *testing.T) {
	calls := 0
	out, err := runFlaky(t, func(context.Context, contract.StepInput) (contract.StepOutput, error) {
		if calls++; calls < 3 {
			return contract.StepOutput{}, retryable(ErrValidation, "not yet")
		}
		return contract.StepOutput{Message: "ok"}, nil
	})
	if err != nil || out.Message != "ok" || out.Attempt != 3 {
		t.Fatalf("success on the third attempt: %+v, %v; want attempt 3", out, err)
	}

	cases := []struct {
		name      string
		err       error
		attempt   int32
		permanent bool
		typ       string
	}{
		{"retryable, every attempt", retryable(ErrValidation, "still wrong"), 3, false, ErrValidation},
		{"permanent, at once", permanent(ErrUnknownSite, "no such site"), 1, true, ErrUnknownSite},
		{"a deadline, every attempt", context.DeadlineExceeded, 3, false, ""},
	}
	for _, c := range cases {
		_, err := runFlaky(t, func(context.Context, contract.StepInput) (contract.StepOutput, error) {
			return contract.StepOutput{}, c.err
		})
		ae := appError(err)
		if ae == nil {
			t.Fatalf("%s: %v has no application error", c.name, err)
		}
		var d contract.FailureDetails
		if derr := ae.Details(&d); derr != nil || d.Attempt != c.attempt {
			t.Errorf("%s: details %+v (%v), want attempt %d", c.name, d, derr, c.attempt)
		}
		if ae.NonRetryable() != c.permanent || ae.Type() != c.typ {
			t.Errorf("%s: non-retryable %v type %q, want %v %q", c.name, ae.NonRetryable(), ae.Type(), c.permanent, c.typ)
		}
	}
}

// Outside an activity (a test calling Funcs) there is no attempt: 0, and
// the failure details still ride on the error.
func TestStepOutsideAnActivity(t *testing.T) {
	out, err := step(func(context.Context, contract.StepInput) (contract.StepOutput, error) {
		return contract.StepOutput{Message: "ok"}, nil
	})(context.Background(), contract.StepInput{})
	if err != nil || out.Attempt != 0 {
		t.Fatalf("%+v %v", out, err)
	}
	_, err = step(func(context.Context, contract.StepInput) (contract.StepOutput, error) {
		return contract.StepOutput{}, errors.New("boom")
	})(context.Background(), contract.StepInput{})
	var d contract.FailureDetails
	if ae := appError(err); ae == nil || ae.Details(&d) != nil || d.Attempt != 0 {
		t.Fatalf("%v: details %+v", err, d)
	}
}

package workflows

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/runbooks"
)

// step builds a site-scoped plan step for tests.
func step(id, action string, needs ...string) runbooks.PlanStep {
	return runbooks.PlanStep{
		ID: id, Action: action, Scope: runbooks.ScopeSite, Service: "svc", Stage: "stage-" + id,
		Needs: needs, Timeout: time.Minute, OnFailure: runbooks.OnFailurePark, Estimate: time.Minute,
		Retry: runbooks.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumAttempts: 1},
	}
}

func gateStep(id string, g runbooks.Gate, needs ...string) runbooks.PlanStep {
	s := step(id, GateAction, needs...)
	s.Service = "gate"
	s.Gate = &g
	return s
}

func plan(steps ...runbooks.PlanStep) runbooks.Plan {
	return runbooks.Plan{Runbook: "test", Digest: "sha256:test", Steps: steps}
}

// recorder is a fake activity registry: functions under action names that
// record what they were called with.
type recorder struct {
	mu    sync.Mutex
	calls map[string][]contract.StepInput
	spans map[string][2]time.Time
}

func newRecorder() *recorder {
	return &recorder{calls: map[string][]contract.StepInput{}, spans: map[string][2]time.Time{}}
}

func (r *recorder) inputs(action string) []contract.StepInput {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]contract.StepInput(nil), r.calls[action]...)
}

// register registers fn under action, recording each call and its real
// start and end times (per site/step).
func (r *recorder) register(env *testsuite.TestWorkflowEnvironment, action string,
	fn func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error)) {
	env.RegisterActivityWithOptions(func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
		start := time.Now()
		r.mu.Lock()
		r.calls[action] = append(r.calls[action], in)
		r.mu.Unlock()
		out, err := fn(ctx, in)
		r.mu.Lock()
		r.spans[in.SiteID+"/"+action] = [2]time.Time{start, time.Now()}
		r.mu.Unlock()
		return out, err
	}, activity.RegisterOptions{Name: action})
}

func ok(msg string) func(context.Context, contract.StepInput) (contract.StepOutput, error) {
	return func(context.Context, contract.StepInput) (contract.StepOutput, error) {
		return contract.StepOutput{Message: msg}, nil
	}
}

func stepState(t *testing.T, steps []StepState, id string) StepState {
	t.Helper()
	for _, s := range steps {
		if s.StepID == id {
			return s
		}
	}
	t.Fatalf("no step %q in %+v", id, steps)
	return StepState{}
}

func newEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	Register(env)
	env.SetTestTimeout(20 * time.Second)
	return env
}

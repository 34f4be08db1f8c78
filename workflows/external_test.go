package workflows

import (
	"context"
	"strings"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/runbooks"
)

func externalStep(id string, params map[string]string, needs ...string) runbooks.PlanStep {
	s := step(id, contract.ActionExternal, needs...)
	s.Service = "external"
	s.Params = params
	return s
}

// An external step is the activity type its params name on the task
// queue they name; every other step keeps its action's name and its
// service's queue.
func TestExternalStepActivityAndQueue(t *testing.T) {
	ext := externalStep("billing", map[string]string{"task_queue": "billing-dr", "activity": "billing.reconcile"})
	if got := activityOptions(ext).TaskQueue; got != "billing-dr" {
		t.Errorf("task queue %q", got)
	}
	if got := stepActivityType(ext); got != "billing.reconcile" {
		t.Errorf("activity type %q", got)
	}
	ext.Params = map[string]string{"task_queue": "billing-dr"}
	if got := stepActivityType(ext); got != contract.DefaultExternalActivity {
		t.Errorf("default activity type %q", got)
	}
	s := step("flags", contract.ActionFlagsRestore)
	if got := activityOptions(s).TaskQueue; got != ActivityTaskQueue("svc") || stepActivityType(s) != contract.ActionFlagsRestore {
		t.Errorf("a plain step: queue %q, type %q", got, stepActivityType(s))
	}
}

// A site runs an external step like any other: it gets the StepInput with
// its params, its output values reach the steps after it, and a
// non-retryable error is the step's failure.
func TestSiteRunsExternalStep(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	rec.register(env, "a", ok("a"))
	queues := make(chan string, 1)
	rec.register(env, "billing.reconcile", func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
		queues <- activity.GetInfo(ctx).TaskQueue
		return contract.StepOutput{Message: "reconciled", Values: contract.Vars{"billing.invoice": "INV-1"}}, nil
	})
	rec.register(env, "d", ok("d"))
	p := plan(step("a", "a"), externalStep("billing", map[string]string{"task_queue": "billing-dr", "activity": "billing.reconcile", "account": "42"}, "a"),
		step("d", "d", "billing"))
	env.ExecuteWorkflow(RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "b1", Site: testSite, Plan: p})
	res := siteResult(t, env)
	if res.Outcome != SiteRestored {
		t.Fatalf("outcome %s, errors %v", res.Outcome, res.Errors)
	}
	in := rec.inputs("billing.reconcile")
	if len(in) != 1 || in[0].Action != contract.ActionExternal || in[0].StepID != "billing" || in[0].Params["account"] != "42" || in[0].SiteID != "s1" {
		t.Fatalf("external inputs %+v", in)
	}
	if q := <-queues; q != "billing-dr" {
		t.Errorf("ran on task queue %q", q)
	}
	if d := rec.inputs("d")[0]; d.Vars["billing.invoice"] != "INV-1" {
		t.Errorf("d vars %v", d.Vars)
	}
	if st := stepState(t, res.Steps, "billing"); st.Message != "reconciled" || st.Status != StepDone {
		t.Errorf("billing step %+v", st)
	}
}

func TestExternalStepFailureFailsSite(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	rec.register(env, contract.DefaultExternalActivity, func(context.Context, contract.StepInput) (contract.StepOutput, error) {
		return contract.StepOutput{}, temporal.NewNonRetryableApplicationError("no billing account for site s1", "NoAccount", nil)
	})
	ext := externalStep("billing", map[string]string{"task_queue": "billing-dr"})
	ext.OnFailure = runbooks.OnFailureFail
	ext.Retry.MaximumAttempts = 0
	env.ExecuteWorkflow(RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "b1", Site: testSite, Plan: plan(ext)})
	res := siteResult(t, env)
	if res.Outcome != SiteFailed || len(rec.inputs(contract.DefaultExternalActivity)) != 1 ||
		!strings.Contains(stepState(t, res.Steps, "billing").Error, "no billing account for site s1") {
		t.Errorf("outcome %s, %d calls, steps %+v", res.Outcome, len(rec.inputs(contract.DefaultExternalActivity)), res.Steps)
	}
}

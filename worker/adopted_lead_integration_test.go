//go:build integration

package worker

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/runbooks"
	"github.com/lazarus-dr/lazarus/workflows"
)

// oldRunQueue is where the stand-in for a batch's earlier run runs.
const oldRunQueue = "test-old-run"

// oldRun stands in for a batch run that started a site while its clone was
// still running, handed over before the server confirmed that start (so
// the site went back to the queue, and was never told the clone ended),
// and continued as new into the real batch workflow.
func oldRun(ctx workflow.Context, site workflows.RestoreSiteInput, next workflows.RestoreBatchInput) error {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: workflows.SiteWorkflowID(site.Site.SiteID), TaskQueue: workflows.WorkflowTaskQueue,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.SearchKeyBatchID.ValueSet(site.BatchID)),
	})
	f := workflow.ExecuteChildWorkflow(cctx, workflows.RestoreSiteWorkflowName, site)
	if err := f.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		return err
	}
	ctx = workflow.WithWorkflowTaskQueue(ctx, workflows.WorkflowTaskQueue)
	return workflow.NewContinueAsNewError(ctx, workflows.RestoreBatchWorkflowName, next)
}

// A site that an earlier run started but handed back unconfirmed is found
// running when the next run starts it again: that run adopts it and tells
// it how its round's batch steps ended, with their values, so it goes on
// (before, it waited for the clone for ever).
func TestAdoptedUnconfirmedSiteIsToldItsLead(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var sawClone atomic.Value
	c := devWorker(ctx, t, func(r sdkworker.ActivityRegistry) error {
		r.RegisterActivityWithOptions(func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
			sawClone.Store(in.Vars["clone.dsn"])
			return contract.StepOutput{Message: "restored"}, nil
		}, activity.RegisterOptions{Name: "restore"})
		return nil
	})
	old := sdkworker.New(c, oldRunQueue, sdkworker.Options{})
	old.RegisterWorkflowWithOptions(oldRun, workflow.RegisterOptions{Name: "OldBatchRun"})
	if err := old.Start(); err != nil {
		t.Fatal(err)
	}
	defer old.Stop()

	p := runbooks.Plan{Runbook: "adopt", Steps: []runbooks.PlanStep{
		{ID: "clone", Action: "db.clone", Scope: runbooks.ScopeBatch, Service: "db", Timeout: time.Minute,
			OnFailure: runbooks.OnFailureFail, Retry: runbooks.RetryPolicy{MaximumAttempts: 1}},
		{ID: "restore", Action: "restore", Scope: runbooks.ScopeSite, Service: "svc", Needs: []string{"clone"},
			Timeout: time.Minute, OnFailure: runbooks.OnFailurePark, Retry: runbooks.RetryPolicy{MaximumAttempts: 1}},
	}}
	site := workflows.Site{SiteID: "adopted"}
	started := workflows.RestoreSiteInput{BatchID: "adopt", Site: site, Plan: p,
		Lead: []workflows.LeadStatus{{StepID: "clone", Status: workflows.LeadPending}}}
	next := workflows.RestoreBatchInput{BatchID: "adopt", Plan: p, Carry: &workflows.BatchCarry{
		Runs: 1, StartedAt: time.Now(), Pending: []workflows.Site{site},
		Rounds:    []workflows.LeadRound{{Round: 0, Steps: []workflows.StepState{{StepID: "clone", Action: "db.clone", Status: workflows.StepDone}}}},
		LeadTable: []map[string]string{{"clone.dsn": "postgres://clone"}}, SiteLead: map[string]int{site.SiteID: 0},
	}}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.BatchWorkflowID("adopt"), TaskQueue: oldRunQueue},
		"OldBatchRun", started, next)
	if err != nil {
		t.Fatal(err)
	}
	var res workflows.BatchResult
	if err := c.GetWorkflow(ctx, run.GetID(), "").Get(ctx, &res); err != nil {
		t.Fatalf("batch did not end: %v (the adopted site still waits for the clone)", err)
	}
	if len(res.Sites) != 1 || res.Sites[0].Outcome != workflows.SiteRestored {
		t.Fatalf("batch result %+v; want the adopted site restored", res.Sites)
	}
	if got, _ := sawClone.Load().(string); got != "postgres://clone" {
		t.Fatalf("the adopted site's restore saw clone.dsn %q; want the clone's value", got)
	}
}

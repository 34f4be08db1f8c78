//go:build integration

package worker

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/runbooks"
	"github.com/lazarus-dr/lazarus/workflows"
)

// A second batch that raced past the preflight with a site the first batch
// is restoring reports that site as being restored by the first batch, not
// as failed, and leaves it alone; the first batch restores it.
func TestSecondBatchReportsSiteOfFirstBatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	release := make(chan struct{})
	c := devWorker(ctx, t, func(r sdkworker.ActivityRegistry) error {
		r.RegisterActivityWithOptions(func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
			if in.BatchID == "first" {
				<-release // the first batch holds its site until the second has ended
			}
			return contract.StepOutput{Message: "held"}, nil
		}, activity.RegisterOptions{Name: "hold"})
		return nil
	})

	p := runbooks.Plan{Runbook: "race", Steps: []runbooks.PlanStep{{ID: "hold", Action: "hold", Scope: runbooks.ScopeSite,
		Service: "svc", Timeout: time.Minute, OnFailure: runbooks.OnFailurePark, Retry: runbooks.RetryPolicy{MaximumAttempts: 1}}}}
	first := startBatch(ctx, t, c, "first", p, "shared")
	waitRunning(ctx, t, c, workflows.SiteWorkflowID("shared"))
	second := startBatch(ctx, t, c, "second", p, "shared", "own")
	var res workflows.BatchResult
	if err := second.Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	close(release)
	got := map[string]workflows.SiteResult{}
	for _, s := range res.Sites {
		got[s.SiteID] = s
	}
	if s := got["shared"]; s.Outcome != workflows.SiteElsewhere || len(s.Errors) == 0 || !strings.Contains(s.Errors[0], "being restored by batch first") {
		t.Fatalf("second batch, shared site: %+v; want %s, being restored by batch first", s, workflows.SiteElsewhere)
	}
	if got["own"].Outcome != workflows.SiteRestored {
		t.Fatalf("second batch, own site: %+v", got["own"])
	}
	if err := first.Get(ctx, &res); err != nil || len(res.Sites) != 1 || res.Sites[0].Outcome != workflows.SiteRestored {
		t.Fatalf("first batch: %+v, %v; want its site restored", res.Sites, err)
	}
}

func startBatch(ctx context.Context, t *testing.T, c client.Client, id string, p runbooks.Plan, siteIDs ...string) client.WorkflowRun {
	t.Helper()
	in := workflows.RestoreBatchInput{BatchID: id, Plan: p}
	for _, s := range siteIDs {
		in.Sites = append(in.Sites, workflows.Site{SiteID: s})
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.BatchWorkflowID(id), TaskQueue: workflows.WorkflowTaskQueue},
		workflows.RestoreBatchWorkflowName, in)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func waitRunning(ctx context.Context, t *testing.T, c client.Client, workflowID string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if _, err := c.DescribeWorkflowExecution(ctx, workflowID, ""); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never started", workflowID)
}

//go:build integration

package workflows

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/internal/codec"
)

// A task the server recorded as started but that no worker runs (a lost
// task, as the dev server's overloaded persistence made them in the demo,
// or a worker that died) sends no heartbeat: the server retries the step
// when its heartbeat timeout fires, long before its start-to-close
// timeout, and the site is restored. Here the first attempt is "lost" by
// an activity that takes the task and never answers nor heartbeats.
func TestIntegrationLostTaskRetriedAtHeartbeatTimeout(t *testing.T) {
	c := devServer(t)
	acts := worker.New(c, ActivityTaskQueue("svc"), worker.Options{})
	lost := make(chan struct{})
	defer close(lost)
	acts.RegisterActivityWithOptions(func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
		if a := activity.GetInfo(ctx).Attempt; a == 1 {
			<-lost // the lost task: no answer, no heartbeat
			return contract.StepOutput{}, nil
		}
		return contract.StepOutput{Message: "ran", Attempt: activity.GetInfo(ctx).Attempt}, nil
	}, activity.RegisterOptions{Name: "flags"})
	wf := worker.New(c, WorkflowTaskQueue, worker.Options{})
	Register(wf)
	start(t, acts, wf)
	defer acts.Stop()
	defer wf.Stop()

	s := step("flags", "flags")
	s.Timeout, s.Heartbeat, s.RetryBudget = 30*time.Minute, 3*time.Second, 10*time.Minute
	s.Retry.MaximumAttempts = 0
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	began := time.Now()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: SiteWorkflowID("lost-1"), TaskQueue: WorkflowTaskQueue},
		RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "it", Site: Site{SiteID: "lost-1"}, Plan: plan(s)})
	if err != nil {
		t.Fatal(err)
	}
	var res SiteResult
	if err := run.Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	took := time.Since(began)
	full := memoResult(ctx, t, c, SiteWorkflowID("lost-1"))
	st := stepState(t, full.Steps, "flags")
	if res.Outcome != SiteRestored || st.Attempts != 2 {
		t.Fatalf("site %s, step %s after %d attempts; want restored at the second attempt", res.Outcome, st.Status, st.Attempts)
	}
	if took > 30*time.Second {
		t.Fatalf("the lost task was retried after %s; the heartbeat timeout is 3s", took)
	}
	t.Logf("lost task retried and the site restored in %s (heartbeat timeout 3s, start-to-close 30m)", took.Round(100*time.Millisecond))
}

// memoResult reads a closed site's full result from its memo.
func memoResult(ctx context.Context, t *testing.T, c client.Client, wid string) SiteResult {
	t.Helper()
	d, err := c.DescribeWorkflowExecution(ctx, wid, "")
	if err != nil {
		t.Fatal(err)
	}
	p, ok := d.GetWorkflowExecutionInfo().GetMemo().GetFields()[MemoSiteResult]
	if !ok {
		t.Fatalf("%s: no %q in its memo", wid, MemoSiteResult)
	}
	var res SiteResult
	if err := codec.DataConverter().FromPayload(p, &res); err != nil {
		t.Fatal(err)
	}
	return res
}

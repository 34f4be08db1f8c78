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
)

// Sites start once the first batch step (clone-a) is done, with the second
// (clone-b) still running: the batch tells them by signal when clone-b
// ends (at once, or once the server confirms a site's start). The run is
// due to continue as new from the start (window = sites per run), so the
// workflow task that sends the last of those signals is the one that finds
// the run ready to hand over. Each signal must still reach its site: a run
// that continued as new in that same workflow task lost them (the server
// drops a signal whose sender has closed), and their sites waited for
// clone-b for ever (chaos scenario 2, 200 sites: 1 site never ended); now
// the next run sends again what was not delivered. And each site's end
// must reach the batch, also when it arrives in the handover's workflow
// task. Here every site must end, on a real dev server.
func TestIntegrationLeadSignalsSurviveHandover(t *testing.T) {
	const nSites, perRun = 120, 40
	c := devServer(t)
	db := worker.New(c, ActivityTaskQueue("db"), worker.Options{})
	db.RegisterActivityWithOptions(cloneActivity, activity.RegisterOptions{Name: "db.clone"})
	db.RegisterActivityWithOptions(func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
		time.Sleep(200 * time.Millisecond) // ends while site starts are being confirmed
		return cloneActivity(ctx, in)
	}, activity.RegisterOptions{Name: "db.clone_slow"})
	db.RegisterActivityWithOptions(ok("dropped"), activity.RegisterOptions{Name: "db.drop_clone"})
	svc := worker.New(c, ActivityTaskQueue("svc"), worker.Options{})
	svc.RegisterActivityWithOptions(ok("catalog"), activity.RegisterOptions{Name: "catalog"})
	svc.RegisterActivityWithOptions(ok("restored"), activity.RegisterOptions{Name: "restore"})
	wf := worker.New(c, WorkflowTaskQueue, worker.Options{})
	Register(wf)
	start(t, db, svc, wf)
	defer db.Stop()
	defer svc.Stop()
	defer wf.Stop()

	cloneA, cloneB := cloneStep(), cloneStep()
	cloneA.ID, cloneB.ID, cloneB.Action = "clone-a", "clone-b", "db.clone_slow"
	p := plan(cloneA, cloneB, step("catalog", "catalog", "clone-a"), step("restore", "restore", "clone-b", "catalog"))
	in := RestoreBatchInput{BatchID: "leadsig", Plan: p,
		Sites: sites(nSites, "l"), MaxConcurrentSites: perRun, MaxChildrenPerRun: perRun}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: BatchWorkflowID("leadsig"), TaskQueue: WorkflowTaskQueue},
		RestoreBatchWorkflowName, in)
	if err != nil {
		t.Fatal(err)
	}
	var res BatchResult
	if err := run.Get(ctx, &res); err != nil {
		p := waitBatchProgress(t, c, "leadsig", func(BatchProgress) bool { return true })
		t.Fatalf("batch did not end (%v): sites by status %v", err, p.SitesByStatus)
	}
	assertEachSiteRestoredOnce(t, res, sites(nSites, "l"))
}

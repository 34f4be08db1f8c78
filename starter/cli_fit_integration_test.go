//go:build integration

package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/internal/devserver"
	"github.com/lazarus-dr/lazarus/workflows"
)

// fitQueue is the task queue of the stand-in batch and site workflows.
const fitQueue = "lazarus-cli-fit"

// fakeBatch stands in for RestoreBatch: it continues as new runs-1 times,
// then answers the progress query and ends on the signal "finish" (at
// once when finish is set).
func fakeBatch(ctx workflow.Context, runs int, finish bool) error {
	if runs > 1 {
		return workflow.NewContinueAsNewError(ctx, workflows.RestoreBatchWorkflowName, runs-1, finish)
	}
	info := workflow.GetInfo(ctx)
	p := workflows.BatchProgress{BatchID: strings.TrimPrefix(info.WorkflowExecution.ID, "lazarus-batch-"), Runbook: "restore2", Status: "running",
		SitesTotal: 1, SitesByStatus: map[string]int{"running": 1}, StepsTotal: 3, StepsDone: 1}
	if err := workflow.SetQueryHandler(ctx, workflows.QueryBatchProgress, func() (workflows.BatchProgress, error) { return p, nil }); err != nil {
		return err
	}
	results := []workflows.SiteResult{{SiteID: "site-done", Outcome: workflows.SiteRestored, Users: 3}}
	if err := workflow.SetQueryHandler(ctx, workflows.QueryBatchResults, func() ([]workflows.SiteResult, error) { return results, nil }); err != nil {
		return err
	}
	if !finish {
		workflow.GetSignalChannel(ctx, "finish").Receive(ctx, nil)
	}
	return nil
}

// fakeSite stands in for RestoreSite: it answers the site-state query
// with a parked step whose ID is longer than any padding, until the
// signal "finish".
func fakeSite(ctx workflow.Context, batch string) error {
	st := workflows.SiteState{BatchID: batch, SiteID: "site-x", Runbook: "restore2", Status: "running", Stage: "data",
		Steps: []workflows.StepState{
			{StepID: "undelete", Action: "catalog.undelete", Status: workflows.StepDone, Attempts: 1},
			{StepID: "restore-db-jira-software-and-confluence-attachments", Action: "db.restore", Status: workflows.StepParked, Attempts: 3, Error: "shard down"},
		}}
	if err := workflow.SetQueryHandler(ctx, workflows.QuerySiteState, func() (workflows.SiteState, error) { return st, nil }); err != nil {
		return err
	}
	workflow.GetSignalChannel(ctx, "finish").Receive(ctx, nil)
	return nil
}

func TestCLIFitOnDevServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := devserver.Start(ctx, devserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	tc := srv.Client()
	w := sdkworker.New(tc, fitQueue, sdkworker.Options{})
	w.RegisterWorkflowWithOptions(fakeBatch, workflow.RegisterOptions{Name: workflows.RestoreBatchWorkflowName})
	w.RegisterWorkflowWithOptions(fakeSite, workflow.RegisterOptions{Name: workflows.RestoreSiteWorkflowName})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	start := func(wid, name string, sa map[string]string, args ...any) client.WorkflowRun {
		t.Helper()
		attrs := map[string]any{}
		for k, v := range sa {
			attrs[k] = v
		}
		run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wid, TaskQueue: fitQueue, SearchAttributes: attrs}, name, args...)
		if err != nil {
			t.Fatalf("start %s: %v", wid, err)
		}
		return run
	}
	// fit-can continues as new twice and runs on; fit-done continues as
	// new once and completes.
	canRun := start(workflows.BatchWorkflowID("fit-can"), workflows.RestoreBatchWorkflowName,
		map[string]string{workflows.SearchAttrBatchID: "fit-can", workflows.SearchAttrRunbook: "restore2"}, 3, false)
	doneRun := start(workflows.BatchWorkflowID("fit-done"), workflows.RestoreBatchWorkflowName,
		map[string]string{workflows.SearchAttrBatchID: "fit-done", workflows.SearchAttrRunbook: "restore1"}, 2, true)
	start(workflows.SiteWorkflowID("site-x"), workflows.RestoreSiteWorkflowName,
		map[string]string{workflows.SearchAttrSiteID: "site-x", workflows.SearchAttrBatchID: "fit-can"}, "fit-can")
	if err := doneRun.GetWithOptions(ctx, nil, client.WorkflowRunGetOptions{DisableFollowingRuns: false}); err != nil {
		t.Fatalf("fit-done: %v", err)
	}
	firstRun, err := tc.DescribeWorkflowExecution(ctx, workflows.BatchWorkflowID("fit-can"), canRun.GetRunID())
	if err != nil {
		t.Fatal(err)
	}
	firstStart := firstRun.GetWorkflowExecutionInfo().GetStartTime().AsTime()

	h := lazarus(t, "TEMPORAL_ADDRESS="+srv.FrontendHostPort(), "LAZARUS_UI_ADDRESS=http://ui.test:8233")
	// Visibility is eventually consistent: list until both batches show
	// in their last state and the closed runs of continue-as-new too.
	var rows []batchRow
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := h.Run(t, ctx, "batch", "list", "-o", "json")
		rows = nil
		if err := json.Unmarshal([]byte(r.Stdout), &rows); r.Code != 0 || err != nil {
			t.Fatalf("batch list -o json: exit %d, %v: %q", r.Code, err, r.Stdout)
		}
		byBatch := map[string]batchRow{}
		for _, row := range rows {
			byBatch[row.Batch] = row
		}
		if byBatch["fit-can"].Status == "running" && byBatch["fit-done"].Status == "completed" && visibleRuns(ctx, t, tc) >= 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch list never showed fit-can running and fit-done completed: %+v", rows)
		}
		time.Sleep(500 * time.Millisecond)
	}
	count := map[string]int{}
	for _, row := range rows {
		count[row.Batch]++
	}
	if count["fit-can"] != 1 || count["fit-done"] != 1 || len(rows) != 2 {
		t.Errorf("want one row a batch, got %+v", rows)
	}
	for _, row := range rows {
		if row.Batch == "fit-can" && (row.Started.Sub(firstStart).Abs() > time.Millisecond || row.Runbook != "restore2" || !strings.HasSuffix(row.WebUI, "/lazarus-batch-fit-can")) {
			t.Errorf("fit-can: %+v, want started %s (its first run)", row, firstStart)
		}
	}
	r := h.Run(t, ctx, "batch", "list")
	if strings.Contains(r.Stdout, "continuedasnew") || strings.Count(r.Stdout, "\nfit-can ") != 1 {
		t.Errorf("batch list text:\n%s", r.Stdout)
	}

	// batch status -o json parses (as jq would read it).
	r = h.Run(t, ctx, "batch", "status", "fit-can", "-o", "json")
	var st map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &st); r.Code != 0 || err != nil || st["batch_id"] != "fit-can" || st["workflow_status"] != "running" {
		t.Errorf("batch status -o json: exit %d, %v: %q", r.Code, err, r.Stdout)
	}

	// report -o json is the --format json report; -o text the Markdown.
	r = h.Run(t, ctx, "report", "fit-can", "-o", "json")
	var rep map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &rep); r.Code != 0 || err != nil || len(rep) == 0 {
		t.Errorf("report -o json: exit %d, %v: %q", r.Code, err, r.Stdout)
	}
	if r = h.Run(t, ctx, "report", "fit-can", "-o", "text"); r.Code != 0 || !strings.HasPrefix(r.Stdout, "# ") {
		t.Errorf("report -o text: exit %d: %q", r.Code, r.Stdout)
	}

	// Completion: batch IDs once each, the site of a batch, its steps
	// (the parked one first).
	r = h.Run(t, ctx, "__complete", "batch", "status", "fit-")
	if r.Stdout != "fit-can\trestore2, running\nfit-done\trestore1, completed\n:4\n" && r.Stdout != "fit-done\trestore1, completed\nfit-can\trestore2, running\n:4\n" {
		t.Errorf("complete batch IDs: %q", r.Stdout)
	}
	r = h.Run(t, ctx, "__complete", "site", "status", "site")
	if r.Stdout != "site-x\tbatch fit-can, running\n:4\n" {
		t.Errorf("complete site IDs: %q", r.Stdout)
	}
	cmd := &cobra.Command{}
	cmd.Flags().String("address", srv.FrontendHostPort(), "")
	cmd.Flags().String("batch", "fit-done", "")
	if out, _ := completeSiteIDs(cmd, nil, ""); len(out) != 0 {
		t.Errorf("sites of fit-done: %q", out)
	}
	out, _ := completeStepIDs(cmd, []string{"site-x"}, "")
	if strings.Join(out, "|") != "restore-db-jira-software-and-confluence-attachments\tparked, db.restore|undelete\tdone, catalog.undelete" {
		t.Errorf("complete step IDs: %q", out)
	}
	r = h.Run(t, ctx, "site", "status", "site-x")
	if r.Code != 0 || !strings.Contains(r.Stdout, "restore-db-jira-software-and-confluence-attachments  db.restore") {
		t.Errorf("site status:\n%s", r.Stdout)
	}
}

// visibleRuns is how many runs of batch workflows visibility lists, the
// runs closed by continue-as-new included.
func visibleRuns(ctx context.Context, t *testing.T, c client.Client) int {
	t.Helper()
	resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: "WorkflowType = '" + workflows.RestoreBatchWorkflowName + "'"})
	if err != nil {
		t.Fatalf("list runs: %v", err)
	}
	return len(resp.GetExecutions())
}

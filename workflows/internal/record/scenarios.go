package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/lazarus-dr/lazarus/runbooks"
	"github.com/lazarus-dr/lazarus/workflows"
)

func step(id, action string, needs ...string) runbooks.PlanStep {
	return runbooks.PlanStep{ID: id, Action: action, Scope: runbooks.ScopeSite, Service: "svc", Stage: "stage-" + id,
		Needs: needs, Timeout: time.Minute, OnFailure: runbooks.OnFailurePark,
		Retry: runbooks.RetryPolicy{InitialInterval: 100 * time.Millisecond, BackoffCoefficient: 2, MaximumAttempts: 1}}
}

// shaped builds a plan of n site steps: width parallel chains after a
// catalog step, joined by a validation step and a gate.
func shaped(name string, n, width int) runbooks.Plan {
	steps := []runbooks.PlanStep{step("catalog", "catalog")}
	prev := make([]string, width)
	for i := range prev {
		prev[i] = "catalog"
	}
	for i := 0; len(steps) < n-2; i++ {
		id := fmt.Sprintf("s%02d", i)
		steps = append(steps, step(id, "restore", prev[i%width]))
		prev[i%width] = id
	}
	steps = append(steps, step("validate", "validate", prev...))
	g := step("customer", workflows.GateAction, "validate")
	g.Gate = &runbooks.Gate{Deadline: time.Second, Escalation: 500 * time.Millisecond, OnDeadline: "approve"}
	steps = append(steps, g)
	return runbooks.Plan{Runbook: name, Steps: steps}
}

// recordSite records a site with a parked step retried by an operator and
// a gate approved.
func recordSite(ctx context.Context, c client.Client, out string, rp time.Time) error {
	p := runbooks.Plan{Runbook: "replay-site", Steps: []runbooks.PlanStep{
		step("catalog", "catalog"), step("flaky", "flaky", "catalog"), step("sync", "sync", "catalog"),
		step("validate", "validate", "flaky", "sync"),
	}}
	g := step("customer", workflows.GateAction, "validate")
	g.Gate = &runbooks.Gate{Deadline: time.Hour, Escalation: time.Second, OnDeadline: "park"}
	p.Steps = append(p.Steps, g)
	siteID := "replay-site-1"
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.SiteWorkflowID(siteID), TaskQueue: workflows.WorkflowTaskQueue},
		workflows.RestoreSiteWorkflowName, workflows.RestoreSiteInput{BatchID: "replay", Site: workflows.Site{SiteID: siteID, RestorePoint: rp}, Plan: p})
	if err != nil {
		return err
	}
	if err := waitStep(ctx, c, run.GetID(), "flaky", workflows.StepParked); err != nil {
		return err
	}
	if err := doUpdate(ctx, c, run.GetID(), workflows.UpdateStepDecision, workflows.StepDecision{StepID: "flaky", Decision: "retry", Operator: "record"}); err != nil {
		return err
	}
	if err := waitStep(ctx, c, run.GetID(), "customer", workflows.StepWaiting); err != nil {
		return err
	}
	time.Sleep(1500 * time.Millisecond) // past the escalation
	if err := doUpdate(ctx, c, run.GetID(), workflows.UpdateGateDecision, workflows.GateDecision{StepID: "customer", Decision: "approve", Operator: "customer"}); err != nil {
		return err
	}
	var sres workflows.SiteResult
	if err := run.Get(ctx, &sres); err != nil {
		return err
	}
	if err := dump(ctx, c, run.GetID(), run.GetRunID(), filepath.Join(out, "site_park_retry_gate.json")); err != nil {
		return err
	}
	fmt.Printf("site (park, retry, gate): %s, %d events\n", sres.Outcome, length(ctx, c, run.GetID(), run.GetRunID()))
	return nil
}

// measureShapes prints site history lengths for Restore-2 and Restore-1 shapes.
func measureShapes(ctx context.Context, c client.Client, rp time.Time) error {
	for _, shape := range []struct {
		name         string
		steps, width int
	}{{"restore2-shaped", 30, 8}, {"restore1-shaped", 70, 2}} {
		id := "shape-" + shape.name
		r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.SiteWorkflowID(id), TaskQueue: workflows.WorkflowTaskQueue},
			workflows.RestoreSiteWorkflowName, workflows.RestoreSiteInput{BatchID: "shape", Site: workflows.Site{SiteID: id, RestorePoint: rp}, Plan: shaped(shape.name, shape.steps, shape.width)})
		if err != nil {
			return err
		}
		var res workflows.SiteResult
		if err := r.Get(ctx, &res); err != nil {
			return err
		}
		fmt.Printf("site %s (%d steps): %s, %d events\n", shape.name, shape.steps, res.Outcome, length(ctx, c, r.GetID(), r.GetRunID()))
	}
	return nil
}

// recordBatch records every run of a batch with a batch-scoped clone and 7
// sites, continuing as new every 3 sites.
func recordBatch(ctx context.Context, c client.Client, out string, rp time.Time) error {
	bp := runbooks.Plan{Runbook: "replay-batch", Steps: []runbooks.PlanStep{
		{ID: "clone", Action: "db.clone", Scope: runbooks.ScopeBatch, Service: "db", Timeout: time.Minute, Cleanup: "db.drop_clone",
			OnFailure: runbooks.OnFailureFail, Retry: runbooks.RetryPolicy{MaximumAttempts: 1}},
		step("catalog", "catalog"), step("restore", "restore", "clone", "catalog"),
	}}
	var bsites []workflows.Site
	for i := 0; i < 7; i++ {
		bsites = append(bsites, workflows.Site{SiteID: fmt.Sprintf("replay-b-%d", i), RestorePoint: rp})
	}
	bid := workflows.BatchWorkflowID("replay")
	br, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: bid, TaskQueue: workflows.WorkflowTaskQueue},
		workflows.RestoreBatchWorkflowName, workflows.RestoreBatchInput{BatchID: "replay", Plan: bp, Sites: bsites, MaxConcurrentSites: 2, MaxChildrenPerRun: 3})
	if err != nil {
		return err
	}
	var bres workflows.BatchResult
	if err := br.Get(ctx, &bres); err != nil {
		return err
	}
	// Every run of the batch: walk the chain back from the last run.
	runID := br.GetRunID()
	for i := 1; runID != ""; i++ {
		if err := dump(ctx, c, bid, runID, filepath.Join(out, fmt.Sprintf("batch_run_last_minus_%d.json", i-1))); err != nil {
			return err
		}
		fmt.Printf("batch run (last - %d): %d events\n", i-1, length(ctx, c, bid, runID))
		runID = prevRun(ctx, c, bid, runID)
	}
	fmt.Printf("batch: %d sites, errors %v\n", len(bres.Sites), bres.Errors)
	return nil
}

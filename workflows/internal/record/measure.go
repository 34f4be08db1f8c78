package main

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/lazarus-dr/lazarus/runbooks"
	"github.com/lazarus-dr/lazarus/workflows"
)

// measureDefaultPlans runs one site of each default runbook (batch steps
// counted as done, gates approved as soon as they open) and prints the
// site workflow's history length.
func measureDefaultPlans(ctx context.Context, c client.Client, rp time.Time) error {
	for _, name := range []string{"restore2", "restore1"} {
		p, err := runbooks.Default(name)
		if err != nil {
			return err
		}
		id := "measure-" + name
		r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.SiteWorkflowID(id), TaskQueue: workflows.WorkflowTaskQueue},
			workflows.RestoreSiteWorkflowName, workflows.RestoreSiteInput{BatchID: "measure", Site: workflows.Site{SiteID: id, RestorePoint: rp}, Plan: *p})
		if err != nil {
			return err
		}
		for _, st := range p.Steps {
			if st.Gate == nil {
				continue
			}
			if err := waitStep(ctx, c, r.GetID(), st.ID, workflows.StepWaiting); err != nil {
				return err
			}
			if err := doUpdate(ctx, c, r.GetID(), workflows.UpdateGateDecision, workflows.GateDecision{StepID: st.ID, Decision: "approve", Operator: "measure"}); err != nil {
				return err
			}
		}
		var res workflows.SiteResult
		if err := r.Get(ctx, &res); err != nil {
			return err
		}
		site := 0
		for _, st := range p.Steps {
			if st.Scope == runbooks.ScopeSite {
				site++
			}
		}
		fmt.Printf("default runbook %s (%d steps, %d site-scoped): %s, %d events, history %d bytes\n", name, len(p.Steps), site, res.Outcome,
			length(ctx, c, r.GetID(), r.GetRunID()), size(ctx, c, r.GetID(), r.GetRunID()))
	}
	return nil
}

func size(ctx context.Context, c client.Client, id, runID string) int {
	h, err := history(ctx, c, id, runID)
	if err != nil {
		return -1
	}
	b, _ := protojson.Marshal(h)
	return len(b)
}

// measure runs a batch of n one-step sites with the default window and
// children per run, and prints each run's history length.
func measure(ctx context.Context, c client.Client, rp time.Time, n int) error {
	p := runbooks.Plan{Runbook: "measure", Steps: []runbooks.PlanStep{step("catalog", "catalog")}}
	var sites []workflows.Site
	for i := 0; i < n; i++ {
		sites = append(sites, workflows.Site{SiteID: fmt.Sprintf("m-%05d", i), RestorePoint: rp})
	}
	id := workflows.BatchWorkflowID("measure")
	start := time.Now()
	r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.WorkflowTaskQueue},
		workflows.RestoreBatchWorkflowName, workflows.RestoreBatchInput{BatchID: "measure", Plan: p, Sites: sites})
	if err != nil {
		return err
	}
	var res workflows.BatchResult
	if err := r.Get(ctx, &res); err != nil {
		return err
	}
	fmt.Printf("measure: %d sites restored in %s\n", len(res.Sites), time.Since(start).Round(time.Millisecond))
	runID := r.GetRunID()
	for i := 0; runID != ""; i++ {
		fmt.Printf("measure batch run (last - %d): %d events\n", i, length(ctx, c, id, runID))
		runID = prevRun(ctx, c, id, runID)
	}
	return nil
}

package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/lazarus-dr/lazarus/workflows"
)

func newBatchStatusCmd(tf *temporalFlags) *cobra.Command {
	var of *outputFlags
	c := &cobra.Command{
		Use:               "status BATCH",
		Short:             "Show a batch's progress: sites by status, steps per stage, parked sites, ETA",
		Example:           "  lazarus batch status 20221105-073800-a1b2c3\n  lazarus batch status incident-42 --json",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeBatchIDs,
		RunE: tf.withClient(func(cmd *cobra.Command, args []string, c client.Client, ns string) error {
			pr, err := of.printer(cmd)
			if err != nil {
				return err
			}
			wid := workflows.BatchWorkflowID(args[0])
			p, closed, err := batchProgress(cmd.Context(), c, wid)
			if err != nil {
				return err
			}
			v := struct {
				workflows.BatchProgress
				WorkflowStatus string `json:"workflow_status"`
				WebUI          string `json:"web_ui"`
			}{p, closed, tf.workflowURL(ns, wid)}
			return pr.Print(v, func(w io.Writer) error {
				renderProgress(w, p, closed)
				_, err := fmt.Fprintf(w, "Web UI: %s\n", v.WebUI)
				return err
			})
		}),
	}
	of = addOutputFlags(c, "print JSON (-o json)")
	return c
}

// batchProgress queries the batch's progress and says whether the workflow
// is still running ("running") or how it closed.
func batchProgress(ctx context.Context, c client.Client, wid string) (workflows.BatchProgress, string, error) {
	var p workflows.BatchProgress
	var desc *workflowservice.DescribeWorkflowExecutionResponse
	err := retryTransient(ctx, func() (err error) {
		desc, err = c.DescribeWorkflowExecution(ctx, wid, "")
		return err
	})
	if err != nil {
		return p, "", fmt.Errorf("batch workflow %s: %w", wid, err)
	}
	status := statusName(desc.GetWorkflowExecutionInfo().GetStatus())
	var v converter.EncodedValue
	err = retryTransient(ctx, func() (err error) {
		v, err = c.QueryWorkflow(ctx, wid, "", workflows.QueryBatchProgress)
		return err
	})
	if err != nil {
		if status != "running" {
			// A closed batch whose worker is gone: build progress from the result.
			var res workflows.BatchResult
			if gerr := c.GetWorkflow(ctx, wid, "").Get(ctx, &res); gerr == nil {
				return progressFromResult(res), status, nil
			}
		}
		return p, status, fmt.Errorf("query %s of %s (is the worker running?): %w", workflows.QueryBatchProgress, wid, err)
	}
	if err := v.Get(&p); err != nil {
		return p, status, fmt.Errorf("decode progress of %s: %w", wid, err)
	}
	return p, status, nil
}

func progressFromResult(res workflows.BatchResult) workflows.BatchProgress {
	p := workflows.BatchProgress{BatchID: res.BatchID, Runbook: res.Runbook, Status: "done", SitesTotal: len(res.Sites),
		SitesByStatus: map[string]int{}, StartedAt: res.StartedAt}
	for _, s := range res.Sites {
		p.SitesByStatus[s.Outcome]++
		for _, st := range s.Steps {
			p.StepsTotal++
			if st.Status == workflows.StepDone || st.Status == workflows.StepSkipped {
				p.StepsDone++
			}
		}
	}
	return p
}

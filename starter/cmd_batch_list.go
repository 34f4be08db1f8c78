package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/lazarus-dr/lazarus/internal/printer"
	"github.com/lazarus-dr/lazarus/workflows"
)

// batchRow is a line of `batch list`.
type batchRow struct {
	Batch   string    `json:"batch"`
	Runbook string    `json:"runbook"`
	Status  string    `json:"status"`
	Started time.Time `json:"started" text:"STARTED (UTC)"`
	WebUI   string    `json:"web_ui" text:"WEB UI"`
}

func newBatchListCmd(tf *temporalFlags) *cobra.Command {
	var query string
	var limit int
	var of *outputFlags
	c := &cobra.Command{
		Use:     "list",
		Short:   "List batches (visibility query on the Lazarus search attributes)",
		Example: "  lazarus batch list\n  lazarus batch list --query \"LazarusRunbook='restore1'\"\n  lazarus batch list -o json",
		Args:    cobra.NoArgs,
		RunE: tf.withClient(func(cmd *cobra.Command, _ []string, c client.Client, ns string) error {
			p, err := of.printer(cmd)
			if err != nil {
				return err
			}
			q := fmt.Sprintf("WorkflowType = '%s'", workflows.RestoreBatchWorkflowName)
			if query != "" {
				q += " AND (" + query + ")"
			}
			rows, more, err := listBatches(cmd.Context(), c, ns, q, limit, tf)
			if err != nil {
				return err
			}
			if err := p.Table(rows, printer.TableOptions{TimeLayout: time.DateTime}); err != nil {
				return err
			}
			if more {
				return p.Err()
			}
			if len(rows) == 0 {
				p.Printf("(no batches)\n")
			}
			p.Printf("Web UI: %s\n", tf.listURL(ns, q))
			return p.Err()
		}),
	}
	c.Flags().StringVar(&query, "query", "", "extra visibility query, ANDed")
	c.Flags().IntVar(&limit, "limit", 50, "at most this many batches (0: all)")
	of = addOutputFlags(c, "")
	return c
}

// listBatches lists the batch workflows that match the visibility query q,
// at most limit of them (0: all); more says the limit cut the list.
func listBatches(ctx context.Context, c client.Client, ns, q string, limit int, tf *temporalFlags) (rows []batchRow, more bool, err error) {
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: ns, Query: q, NextPageToken: token, PageSize: 100})
		if err != nil {
			return nil, false, fmt.Errorf("list batches (%s): %w", q, err)
		}
		for _, e := range resp.GetExecutions() {
			batch := strings.TrimPrefix(e.GetExecution().GetWorkflowId(), "lazarus-batch-")
			fields := e.GetSearchAttributes().GetIndexedFields()
			if b := decodeKeyword(fields[workflows.SearchAttrBatchID]); b != "" {
				batch = b
			}
			rows = append(rows, batchRow{Batch: batch, Runbook: decodeKeyword(fields[workflows.SearchAttrRunbook]),
				Status: statusName(e.GetStatus()), Started: e.GetStartTime().AsTime(), WebUI: tf.workflowURL(ns, e.GetExecution().GetWorkflowId())})
			if limit > 0 && len(rows) >= limit {
				return rows, true, nil
			}
		}
		token = resp.GetNextPageToken()
		if len(token) == 0 {
			return rows, false, nil
		}
	}
}

func statusName(s enumspb.WorkflowExecutionStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "WORKFLOW_EXECUTION_STATUS_"))
}

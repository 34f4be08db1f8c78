package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/lazarus-dr/lazarus/internal/printer"
	"github.com/lazarus-dr/lazarus/workflows"
)

// batchRow is a line of `batch list`: one a batch, however many runs
// continue-as-new made of it.
type batchRow struct {
	Batch    string    `json:"batch"`
	Runbook  string    `json:"runbook"`
	Status   string    `json:"status"`
	Started  time.Time `json:"started" text:"STARTED (UTC)"`
	Workflow string    `json:"workflow_id" text:"-"`
	WebUI    string    `json:"web_ui" text:"WEB UI"`
}

func newBatchListCmd(tf *temporalFlags) *cobra.Command {
	var query string
	var limit int
	var of *outputFlags
	c := &cobra.Command{
		Use:   "list",
		Short: "List batches, one row a batch (visibility query on the Lazarus search attributes)",
		Long: `Lists the batches, newest first, one row a batch: the runs a batch's
continue-as-new closed are left out, so a batch shows once, with the status of
its current run. --query adds a visibility query (ANDed).`,
		Example: "  lazarus batch list\n  lazarus batch list --query \"LazarusRunbook='restore1'\"\n  lazarus batch list -o json | jq -r '.[].batch'",
		Args:    cobra.NoArgs,
		RunE: tf.withClient(func(cmd *cobra.Command, _ []string, c client.Client, ns string) error {
			p, err := of.printer(cmd)
			if err != nil {
				return err
			}
			q := batchQuery(query)
			rows, more, err := listBatches(cmd.Context(), c, ns, q, limit)
			if err != nil {
				return err
			}
			if err := firstStarts(cmd.Context(), c, ns, rows); err != nil {
				return err
			}
			for i := range rows {
				rows[i].WebUI = tf.workflowURL(ns, rows[i].Workflow)
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

// batchQuery is the visibility query of the batches that also match
// extra (when not empty). The runs a continue-as-new closed are not
// batches of their own: a batch is its current (or last) run.
func batchQuery(extra string) string {
	q := fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus != 'ContinuedAsNew'", workflows.RestoreBatchWorkflowName)
	if extra != "" {
		q += " AND (" + extra + ")"
	}
	return q
}

// listBatches lists the batch workflows that match the visibility query q,
// one row a batch, at most limit of them (0: all); more says the limit cut
// the list. A batch's row has the status and the start of its latest run
// (firstStarts sets the start of its first).
func listBatches(ctx context.Context, c client.Client, ns, q string, limit int) (rows []batchRow, more bool, err error) {
	var d batchDedup
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: ns, Query: q, NextPageToken: token, PageSize: 100})
		if err != nil {
			return nil, false, fmt.Errorf("list batches (%s): %w", q, err)
		}
		for _, e := range resp.GetExecutions() {
			if d.add(e) && limit > 0 && len(d.rows) >= limit {
				return d.rows, true, nil
			}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return d.rows, false, nil
		}
	}
}

// batchDedup keeps one row a batch workflow out of a visibility listing,
// newest first: the first run listed of each workflow ID that is not a
// run closed by continue-as-new.
type batchDedup struct {
	rows []batchRow
	seen map[string]bool
}

// add adds the row of execution e unless its batch has one; it says
// whether it did.
func (d *batchDedup) add(e *workflowpb.WorkflowExecutionInfo) bool {
	if e.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW {
		return false
	}
	wid := e.GetExecution().GetWorkflowId()
	if d.seen == nil {
		d.seen = map[string]bool{}
	}
	if d.seen[wid] {
		return false
	}
	d.seen[wid] = true
	batch := strings.TrimPrefix(wid, "lazarus-batch-")
	fields := e.GetSearchAttributes().GetIndexedFields()
	if b := decodeKeyword(fields[workflows.SearchAttrBatchID]); b != "" {
		batch = b
	}
	d.rows = append(d.rows, batchRow{Batch: batch, Runbook: decodeKeyword(fields[workflows.SearchAttrRunbook]),
		Status: statusName(e.GetStatus()), Started: e.GetStartTime().AsTime(), Workflow: wid})
	return true
}

// firstStartsChunk is how many batches one visibility query of
// firstStarts names.
const firstStartsChunk = 100

// firstStarts sets the start of each row whose batch continued as new to
// that of its first run: the earliest of the runs continue-as-new closed
// (a batch ID is never reused, so they are all this batch's). A run that
// visibility no longer has leaves the start of the earliest it has.
func firstStarts(ctx context.Context, c client.Client, ns string, rows []batchRow) error {
	byWorkflow := map[string]*batchRow{}
	for i := range rows {
		byWorkflow[rows[i].Workflow] = &rows[i]
	}
	for i := 0; i < len(rows); i += firstStartsChunk {
		ids := make([]string, 0, firstStartsChunk)
		for _, r := range rows[i:min(i+firstStartsChunk, len(rows))] {
			ids = append(ids, "'"+strings.ReplaceAll(r.Workflow, "'", "\\'")+"'")
		}
		q := fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'ContinuedAsNew' AND WorkflowId IN (%s)",
			workflows.RestoreBatchWorkflowName, strings.Join(ids, ", "))
		var token []byte
		for {
			resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: ns, Query: q, NextPageToken: token, PageSize: 1000})
			if err != nil {
				return fmt.Errorf("list the first runs of batches (%s): %w", q, err)
			}
			for _, e := range resp.GetExecutions() {
				r := byWorkflow[e.GetExecution().GetWorkflowId()]
				if t := e.GetStartTime().AsTime(); r != nil && e.GetStartTime() != nil && t.Before(r.Started) {
					r.Started = t
				}
			}
			if token = resp.GetNextPageToken(); len(token) == 0 {
				break
			}
		}
	}
	return nil
}

func statusName(s enumspb.WorkflowExecutionStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "WORKFLOW_EXECUTION_STATUS_"))
}

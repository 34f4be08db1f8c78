package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/internal/codec"
	"github.com/lazarus-dr/lazarus/workflows"
)

// contactsWait bounds how long `batch contacts` waits for its answer (the
// workflow's read has a 3-minute budget).
const contactsWait = 4 * time.Minute

func newBatchContactsCmd(tf *temporalFlags) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "contacts BATCH",
		Short: "List the admins (name, email, phone) of every site of a batch, read from its restore point",
		Long: `List the admins of every site of a running batch, read from the batch's
point-in-time clone of the identity store (the restore point), before the
sites are restored: the people support and communications must reach.

It works as soon as the batch's clone step is done (minutes after the start)
and while the batch runs (its clones are torn down at its end). It reads the
clone in a read-only transaction on the worker (workflow
lazarus-contacts-BATCH) and never writes anything.

CSV columns: site_id,name,email,phone,user_id,restore_point.`,
		Example:           "  lazarus batch contacts incident-42 > contacts.csv\n  lazarus batch contacts incident-42 --format json | jq '.contacts | length'",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeBatchIDs,
		RunE: tf.withClient(func(cmd *cobra.Command, args []string, c client.Client, ns string) error {
			f, err := parseContactsFormat(format)
			if err != nil {
				return withExitCode(2, err)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), contactsWait)
			defer cancel()
			req, err := contactsRequest(ctx, c, args[0])
			if err != nil {
				return err
			}
			res, err := readContacts(ctx, c, req, tf.workflowURL(ns, workflows.ContactsWorkflowID(req.BatchID)))
			if err != nil {
				return err
			}
			if err := writeContacts(cmd.OutOrStdout(), f, res); err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.ErrOrStderr(), contactsSummary(res, len(req.Sites)))
			return err
		}),
	}
	c.Flags().StringVar(&format, "format", "csv", "output format: csv or json")
	return c
}

// contactsRequest gathers what the worker needs from the batch: its sites
// (its first run's input) and its finished db.clone steps (its progress).
func contactsRequest(ctx context.Context, c client.Client, batchID string) (contract.ContactsRequest, error) {
	req := contract.ContactsRequest{BatchID: batchID}
	wid := workflows.BatchWorkflowID(batchID)
	desc, err := describeBatch(ctx, c, batchID)
	if err != nil {
		return req, err
	}
	info := desc.GetWorkflowExecutionInfo()
	if st := statusName(info.GetStatus()); st != "running" {
		return req, withExitCode(1, fmt.Errorf("batch %s is %s: its clones were torn down when it ended; contacts are read from the clone while the batch runs", batchID, st))
	}
	p, _, err := batchProgress(ctx, c, wid)
	if err != nil {
		return req, withExitCode(1, err)
	}
	first := info.GetFirstRunId()
	if first == "" {
		first = info.GetExecution().GetRunId()
	}
	in, err := batchFirstInput(ctx, c, wid, first)
	if err != nil {
		return req, withExitCode(1, err)
	}
	for _, s := range in.Sites {
		req.Sites = append(req.Sites, contract.SiteTarget{SiteID: s.SiteID, DeletedAt: s.DeletedAt, RestorePoint: s.RestorePoint})
	}
	var pending []string
	req.Clones, pending = doneClones(p, in)
	if len(req.Clones) == 0 {
		return req, withExitCode(1, fmt.Errorf("batch %s: its clone is not ready yet (%s): retry in a minute", batchID, orDefault(strings.Join(pending, ", "), "no db.clone step has started")))
	}
	return req, nil
}

// describeBatch describes a batch's workflow; an unknown batch is one clear
// line.
func describeBatch(ctx context.Context, c client.Client, batchID string) (desc *workflowservice.DescribeWorkflowExecutionResponse, err error) {
	wid := workflows.BatchWorkflowID(batchID)
	err = retryTransient(ctx, func() (err error) {
		desc, err = c.DescribeWorkflowExecution(ctx, wid, "")
		return err
	})
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return nil, withExitCode(1, fmt.Errorf("batch %s not found (no workflow %s): see lazarus batch list", batchID, wid))
	}
	if err != nil {
		return nil, withExitCode(1, fmt.Errorf("batch %s: %w", batchID, err))
	}
	return desc, nil
}

// batchFirstInput reads the input of a batch's first run: its sites and plan.
func batchFirstInput(ctx context.Context, c client.Client, wid, runID string) (workflows.RestoreBatchInput, error) {
	var in workflows.RestoreBatchInput
	it := c.GetWorkflowHistory(ctx, wid, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var ev *historypb.HistoryEvent
	err := retryTransient(ctx, func() (err error) {
		if !it.HasNext() {
			return errors.New("the history is empty")
		}
		ev, err = it.Next()
		return err
	})
	if err != nil {
		return in, fmt.Errorf("read the first run of %s: %w", wid, err)
	}
	attrs := ev.GetWorkflowExecutionStartedEventAttributes()
	if attrs == nil {
		return in, fmt.Errorf("read the first run of %s: its first event is %s, not the start", wid, ev.GetEventType())
	}
	if err := codec.DataConverter().FromPayloads(attrs.GetInput(), &in); err != nil {
		return in, fmt.Errorf("decode the input of %s: %w", wid, err)
	}
	return in, nil
}

// doneClones are the batch's finished db.clone steps (every round), with
// their plan step's tolerance; pending names the others with their status.
func doneClones(p workflows.BatchProgress, in workflows.RestoreBatchInput) (done []contract.ContactsClone, pending []string) {
	for _, r := range p.Lead {
		for _, st := range r.Steps {
			if st.Action != contract.ActionDBClone {
				continue
			}
			if st.Status != workflows.StepDone {
				pending = append(pending, st.StepID+" "+st.Status)
				continue
			}
			cc := contract.ContactsClone{StepID: st.StepID, Cluster: st.Values[contract.VarCluster],
				CloneIDs: contract.Vars(st.Values).CloneIDs()}
			if ps, ok := in.Plan.Step(st.StepID); ok {
				cc.Tolerance = ps.Params["tolerance"]
			}
			done = append(done, cc)
		}
	}
	return done, pending
}

// readContacts runs the BatchContacts workflow and waits for its answer.
func readContacts(ctx context.Context, c client.Client, req contract.ContactsRequest, webUI string) (contract.ContactsResult, error) {
	var res contract.ContactsResult
	wid := workflows.ContactsWorkflowID(req.BatchID)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       wid,
		TaskQueue:                workflows.BatchTaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowExecutionTimeout: contactsWait,
		StaticSummary:            fmt.Sprintf("Admins of the %d sites of batch %s", len(req.Sites), req.BatchID),
	}, workflows.BatchContactsWorkflowName, req)
	if err != nil {
		return res, withExitCode(1, fmt.Errorf("start %s: %w", wid, err))
	}
	err = run.Get(ctx, &res)
	var appErr *temporal.ApplicationError
	switch {
	case err == nil:
		return res, nil
	case errors.As(err, &appErr) && appErr.Type() == contract.ErrCloneNotReady:
		return res, withExitCode(1, fmt.Errorf("batch %s: %s: retry in a minute", req.BatchID, rootMessage(err)))
	case errors.Is(err, context.DeadlineExceeded):
		return res, withExitCode(1, fmt.Errorf("batch %s: no answer within %s (is the worker running?): %s", req.BatchID, contactsWait, webUI))
	}
	return res, withExitCode(1, fmt.Errorf("batch %s: reading the contacts failed: %s (see %s)", req.BatchID, rootMessage(err), webUI))
}

// rootMessage is the message of the innermost application error of err (the
// activity's own words), else err's text.
func rootMessage(err error) string {
	msg := err.Error()
	for e := err; e != nil; e = errors.Unwrap(e) {
		var appErr *temporal.ApplicationError
		if errors.As(e, &appErr) {
			msg = appErr.Message()
			e = appErr
		}
	}
	return msg
}

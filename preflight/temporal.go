package preflight

import (
	"context"
	"errors"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/lazarus-dr/lazarus/internal/codec"
	"github.com/lazarus-dr/lazarus/workflows"
)

// DefaultQueryChunk is how many site IDs one visibility query names.
const DefaultQueryChunk = 200

// TemporalRunning asks Temporal which sites running batches hold: the
// running RestoreSite workflows (by workflow ID, workflows.SiteWorkflowID,
// and their LazarusBatchID search attribute), and the sites that running
// RestoreBatch workflows were started with (or carried over) and have not
// started yet. It only reads.
type TemporalRunning struct {
	Client    client.Client
	Namespace string
	// Address names the Temporal frontend in messages.
	Address string
	// ChunkSize is how many site IDs one visibility query names (0:
	// DefaultQueryChunk).
	ChunkSize int
}

var _ Running = TemporalRunning{}

const (
	runningSites   = "WorkflowType = '" + workflows.RestoreSiteWorkflowName + "' AND ExecutionStatus = 'Running'"
	runningBatches = "WorkflowType = '" + workflows.RestoreBatchWorkflowName + "' AND ExecutionStatus = 'Running'"
)

// RunningBatches answers the running batch of every site of siteIDs that
// one holds.
func (t TemporalRunning) RunningBatches(ctx context.Context, siteIDs []string) (map[string]Holder, error) {
	out := map[string]Holder{}
	if len(siteIDs) == 0 {
		return out, nil
	}
	want := make(map[string]bool, len(siteIDs))
	for _, id := range siteIDs {
		want[id] = true
	}
	if err := t.runningSites(ctx, siteIDs, want, out); err != nil {
		return nil, err
	}
	if err := t.queuedSites(ctx, want, out); err != nil {
		return nil, err
	}
	return out, nil
}

// runningSites adds the sites whose RestoreSite workflow runs. When fewer
// site workflows run than there are IDs, listing them all is cheaper than
// asking by ID; else the IDs are asked in chunks.
func (t TemporalRunning) runningSites(ctx context.Context, ids []string, want map[string]bool, out map[string]Holder) error {
	count, err := t.Client.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: t.Namespace, Query: runningSites})
	if err != nil {
		return fmt.Errorf("count running site workflows: %w", err)
	}
	var mu chunkMutex
	add := func(e *workflowExecution) {
		site := strings.TrimPrefix(e.id, workflows.SiteWorkflowID(""))
		if want[site] {
			mu.do(func() { out[site] = Holder{Batch: e.batch()} })
		}
	}
	if count.GetCount() <= int64(len(ids)) {
		return t.list(ctx, runningSites, add)
	}
	safe, unsafe := quotable(ids)
	for _, id := range unsafe {
		e, err := t.describe(ctx, id)
		if err != nil {
			return err
		}
		if e != nil && e.running {
			add(e)
		}
	}
	return forEachChunk(ctx, chunks(safe, t.chunk()), Parallel, func(ctx context.Context, piece []string) error {
		return t.list(ctx, runningSites+" AND WorkflowId IN ("+quoteWorkflowIDs(piece)+")", add)
	})
}

// queuedSites adds the sites of running batches that have not started:
// those the current run of a batch began with (its input, or the carry of
// its continue-as-new), less those whose workflow ran in that batch.
func (t TemporalRunning) queuedSites(ctx context.Context, want map[string]bool, out map[string]Holder) error {
	var batches []*workflowExecution
	if err := t.list(ctx, runningBatches, func(e *workflowExecution) { batches = append(batches, e) }); err != nil {
		return err
	}
	for _, b := range batches {
		sites, err := t.batchSites(ctx, b)
		if err != nil {
			return err
		}
		var candidates []string
		for _, s := range sites {
			if _, held := out[s]; want[s] && !held {
				candidates = append(candidates, s)
			}
		}
		if len(candidates) == 0 {
			continue
		}
		ran, err := t.ranIn(ctx, b.batch(), candidates)
		if err != nil {
			return err
		}
		for _, s := range candidates {
			if !ran[s] {
				out[s] = Holder{Batch: b.batch(), Queued: true}
			}
		}
	}
	return nil
}

// ranIn is the sites of ids whose workflow ran (and ended) in batch.
func (t TemporalRunning) ranIn(ctx context.Context, batch string, ids []string) (map[string]bool, error) {
	ran := map[string]bool{}
	var mu chunkMutex
	safe, unsafe := quotable(ids)
	if strings.ContainsAny(batch, `'"\`) {
		safe, unsafe = nil, ids
	}
	for _, id := range unsafe {
		e, err := t.describe(ctx, id)
		if err != nil {
			return nil, err
		}
		if e != nil && !e.running && e.batch() == batch {
			ran[id] = true
		}
	}
	q := fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus != 'Running' AND %s = %s", workflows.RestoreSiteWorkflowName,
		workflows.SearchAttrBatchID, quote(batch))
	err := forEachChunk(ctx, chunks(safe, t.chunk()), Parallel, func(ctx context.Context, piece []string) error {
		return t.list(ctx, q+" AND WorkflowId IN ("+quoteWorkflowIDs(piece)+")", func(e *workflowExecution) {
			mu.do(func() { ran[strings.TrimPrefix(e.id, workflows.SiteWorkflowID(""))] = true })
		})
	})
	return ran, err
}

// batchSites reads the sites a batch's current run began with from the
// run's first event. A batch whose input cannot be read (another payload
// codec) adds none.
func (t TemporalRunning) batchSites(ctx context.Context, b *workflowExecution) ([]string, error) {
	resp, err := t.Client.WorkflowService().GetWorkflowExecutionHistory(ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
		Namespace: t.Namespace, Execution: &commonpb.WorkflowExecution{WorkflowId: b.id, RunId: b.runID}, MaximumPageSize: 1})
	if err != nil {
		return nil, fmt.Errorf("read the start of batch workflow %s: %w", b.id, err)
	}
	events := resp.GetHistory().GetEvents()
	if len(events) == 0 || events[0].GetWorkflowExecutionStartedEventAttributes() == nil {
		return nil, nil
	}
	// The fields of RestoreBatchInput and BatchCarry that name sites.
	type siteRef struct {
		SiteID string `json:"site_id"`
	}
	var in struct {
		Sites []siteRef `json:"sites"`
		Carry *struct {
			Pending []siteRef `json:"pending"`
			Blocked []siteRef `json:"blocked"`
		} `json:"carry"`
	}
	if err := codec.DataConverter().FromPayloads(events[0].GetWorkflowExecutionStartedEventAttributes().GetInput(), &in); err != nil {
		return nil, nil
	}
	var sites []string
	refs := in.Sites
	if in.Carry != nil {
		refs = append(append(refs, in.Carry.Pending...), in.Carry.Blocked...)
	}
	for _, r := range refs {
		sites = append(sites, r.SiteID)
	}
	return sites, nil
}

// workflowExecution is what a listing says of one workflow.
type workflowExecution struct {
	id, runID, parent, batchAttr string
	running                      bool
}

// batch is the batch the workflow belongs to: its LazarusBatchID search
// attribute, else its parent batch workflow, else its own batch ID.
func (e *workflowExecution) batch() string {
	switch {
	case e.batchAttr != "":
		return e.batchAttr
	case e.parent != "":
		return strings.TrimPrefix(e.parent, workflows.BatchWorkflowID(""))
	case strings.HasPrefix(e.id, workflows.BatchWorkflowID("")):
		return strings.TrimPrefix(e.id, workflows.BatchWorkflowID(""))
	}
	return "(unknown batch)"
}

func executionOf(info *workflowpb.WorkflowExecutionInfo) *workflowExecution {
	e := &workflowExecution{id: info.GetExecution().GetWorkflowId(), runID: info.GetExecution().GetRunId(),
		parent: info.GetParentExecution().GetWorkflowId(), running: info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING}
	if p := info.GetSearchAttributes().GetIndexedFields()[workflows.SearchAttrBatchID]; p != nil {
		// Search attributes never go through a codec (the server indexes
		// them): the default converter reads them.
		_ = converter.GetDefaultDataConverter().FromPayload(p, &e.batchAttr)
	}
	return e
}

// list calls fn on every workflow the visibility query q matches.
func (t TemporalRunning) list(ctx context.Context, q string, fn func(*workflowExecution)) error {
	var token []byte
	for {
		resp, err := t.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: t.Namespace, Query: q, PageSize: 1000, NextPageToken: token})
		if err != nil {
			return fmt.Errorf("list workflows: %w", err)
		}
		for _, info := range resp.GetExecutions() {
			fn(executionOf(info))
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return nil
		}
	}
}

// describe is the latest workflow of a site (nil when it has none).
func (t TemporalRunning) describe(ctx context.Context, site string) (*workflowExecution, error) {
	d, err := t.Client.DescribeWorkflowExecution(ctx, workflows.SiteWorkflowID(site), "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe the workflow of site %s: %w", site, err)
	}
	return executionOf(d.GetWorkflowExecutionInfo()), nil
}

func (t TemporalRunning) chunk() int {
	if t.ChunkSize > 0 {
		return t.ChunkSize
	}
	return DefaultQueryChunk
}

// DescribeOutage names Temporal and its address when it failed.
func (t TemporalRunning) DescribeOutage(err error) (string, bool) {
	where := "Temporal"
	if t.Address != "" {
		where += " at " + t.Address
	}
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	switch {
	case errors.As(err, &unavailable):
		return where + " is unavailable: could not ask which sites running batches hold", true
	case errors.As(err, &deadline), errors.Is(err, context.DeadlineExceeded):
		return where + " did not answer in time: could not ask which sites running batches hold", true
	}
	return "", false
}

// quotable splits IDs into those a visibility query can quote and those
// it cannot (with a quote or a backslash), which are described one by one.
func quotable(ids []string) (safe, unsafe []string) {
	for _, id := range ids {
		if strings.ContainsAny(id, `'"\`) {
			unsafe = append(unsafe, id)
		} else {
			safe = append(safe, id)
		}
	}
	return safe, unsafe
}

func quote(s string) string { return "'" + s + "'" }

func quoteWorkflowIDs(sites []string) string {
	q := make([]string, len(sites))
	for i, s := range sites {
		q[i] = quote(workflows.SiteWorkflowID(s))
	}
	return strings.Join(q, ", ")
}

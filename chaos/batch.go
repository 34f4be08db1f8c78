package chaos

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/workflows"
)

// Operator is the name the driver's decisions are recorded under.
const Operator = "chaos-operator"

// batch is a scenario's restore batch, started and followed as a
// coordinator would: `lazarus restore start`, then `lazarus batch watch
// --auto-approve` approving the customer-validation gates, run again
// whenever it exits while the batch still runs (as when the Temporal
// server restarts under it).
type batch struct {
	s       *stack
	id      string
	wid     string
	started time.Time
	// histories, when set, is given every history batchWaits reads.
	histories *historyTally
}

// startBatch starts a Restore 2 batch of the deleted sites.
func (s *stack) startBatch(ctx context.Context, id string) (*batch, error) {
	b := &batch{s: s, id: id, wid: workflows.BatchWorkflowID(id), started: time.Now()}
	_, err := s.must(ctx, "restore", "start", "--runbook", "restore2", "--ids-file", s.sitesFile,
		"--restore-offset", s.cfg.RestoreOffset.String(), "--batch-id", id, "--concurrency", strconv.Itoa(s.cfg.Concurrency))
	if err != nil {
		return nil, err
	}
	s.log.Info("batch started", zap.String("batch", id), zap.Int("sites", len(s.sites)))
	return b, nil
}

// watch runs the coordinator's `lazarus batch watch` until ctx ends or the
// batch closed.
func (b *batch) watch(ctx context.Context) {
	for n := 1; ctx.Err() == nil; n++ {
		p, err := startProc("watch", filepath.Join(b.s.logs, "watch.log"), b.s.pids, b.s.env(), b.s.bin("lazarus"),
			"batch", "watch", b.id, "--auto-approve", Operator, "--interval", "2s")
		if err != nil {
			b.s.log.Warn("batch watch", zap.Error(err))
			return
		}
		select {
		case <-p.done:
		case <-ctx.Done():
			_ = p.stop(syscall.SIGINT, 5*time.Second)
			return
		}
		if closed, err := b.closed(ctx); err == nil && closed {
			return
		}
		b.s.log.Info("batch watch exited while the batch runs: watching again", zap.Int("run", n), zap.Error(p.err))
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Second):
		}
	}
}

// closed says whether the batch's latest run has closed.
func (b *batch) closed(ctx context.Context) (bool, error) {
	d, err := b.s.tc.DescribeWorkflowExecution(ctx, b.wid, "")
	if err != nil {
		return false, err
	}
	st := d.GetWorkflowExecutionInfo().GetStatus()
	return st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING && st != enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, nil
}

// progress asks the batch for its progress.
func (b *batch) progress(ctx context.Context) (workflows.BatchProgress, error) {
	var p workflows.BatchProgress
	v, err := b.s.tc.QueryWorkflow(ctx, b.wid, "", workflows.QueryBatchProgress)
	if err != nil {
		return p, err
	}
	return p, v.Get(&p)
}

// result is the batch workflow's result (following its continue-as-new
// chain to the end).
func (b *batch) result(ctx context.Context) (workflows.BatchResult, error) {
	var res workflows.BatchResult
	err := b.s.tc.GetWorkflow(ctx, b.wid, "").Get(ctx, &res)
	return res, err
}

// ended counts the sites that ended (restored, failed, aborted,
// cancelled), from a progress.
func ended(p workflows.BatchProgress) int {
	n := 0
	for st, c := range p.SitesByStatus {
		switch st {
		case workflows.SiteRunning, workflows.SiteQueued, workflows.SiteWaiting, workflows.SiteParked:
		default:
			n += c
		}
	}
	return n
}

// runningSites lists the workflow IDs of the batch's running sites.
func (b *batch) runningSites(ctx context.Context) ([]string, error) {
	q := fmt.Sprintf("%s = '%s' AND WorkflowType = '%s' AND ExecutionStatus = 'Running'",
		workflows.SearchAttrBatchID, b.id, workflows.RestoreSiteWorkflowName)
	var out []string
	var token []byte
	for {
		resp, err := b.s.tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: q, PageSize: 1000, NextPageToken: token})
		if err != nil {
			return nil, err
		}
		for _, e := range resp.GetExecutions() {
			out = append(out, e.GetExecution().GetWorkflowId())
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return out, nil
		}
	}
}

// siteDecision sends an operator's decision on a parked step through the
// CLI (`lazarus site retry|skip SITE STEP`).
func (b *batch) siteDecision(ctx context.Context, decision, site, step, reason string) error {
	_, err := b.s.must(ctx, "site", decision, site, step, "--operator", Operator, "--reason", reason)
	return err
}

// cancel cancels the batch through the CLI.
func (b *batch) cancel(ctx context.Context) error {
	_, err := b.s.must(ctx, "batch", "cancel", b.id, "--operator", Operator)
	return err
}

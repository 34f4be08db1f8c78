package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// registerHandlers registers the batch's queries and the operator's
// updates, each update with its validator (a rejected update leaves no
// trace in the history).
func (b *batchRun) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryBatchProgress, func() (BatchProgress, error) {
		return b.progress(ctx), nil
	}); err != nil {
		return fmt.Errorf("register query %s: %w", QueryBatchProgress, err)
	}
	if err := workflow.SetQueryHandler(ctx, QueryBatchResults, func() ([]SiteResult, error) {
		return append([]SiteResult(nil), b.tally.results...), nil
	}); err != nil {
		return fmt.Errorf("register query %s: %w", QueryBatchResults, err)
	}
	return registerUpdates(ctx,
		updateHandler{UpdatePause, b.onPause, b.notCancelled},
		updateHandler{UpdateResume, b.onResume, b.notCancelled},
		updateHandler{UpdateCancel, b.onCancel, b.notCancelled},
		updateHandler{UpdateSetConcurrency, b.onSetConcurrency, validConcurrency},
		updateHandler{UpdateAddSites, b.onAddSites, b.validAddSites})
}

func (b *batchRun) notCancelled() error {
	if b.cancelled {
		return errors.New("the batch is cancelled")
	}
	return nil
}

func (b *batchRun) onPause(ctx workflow.Context) error {
	b.paused, b.changed = true, true
	b.logger.Info("batch paused")
	return nil
}

func (b *batchRun) onResume(ctx workflow.Context) error {
	b.paused, b.changed = false, true
	b.logger.Info("batch resumed")
	return nil
}

func (b *batchRun) onCancel(ctx workflow.Context) error {
	b.cancel(ctx, "cancelled by an operator")
	return nil
}

func validConcurrency(n int) error {
	if n < 1 {
		return fmt.Errorf("max concurrent sites %d: it must be at least 1", n)
	}
	return nil
}

func (b *batchRun) onSetConcurrency(ctx workflow.Context, n int) error {
	b.maxConcurrent, b.changed = n, true
	b.logger.Info("batch concurrency changed", "max_concurrent_sites", n)
	return nil
}

func (b *batchRun) validAddSites(req AddSitesRequest) error {
	if err := b.notCancelled(); err != nil {
		return err
	}
	if len(req.Sites) == 0 {
		return errors.New("add sites: the list is empty")
	}
	return validateSites(req.Sites, b.win.known)
}

func (b *batchRun) onAddSites(ctx workflow.Context, req AddSitesRequest) error {
	b.addSites(ctx, req.Sites)
	return nil
}

func (b *batchRun) addSites(ctx workflow.Context, sites []Site) {
	b.win.enqueue(sites...)
	if len(b.g.batchSteps) > 0 {
		work, _ := workflow.NewDisconnectedContext(ctx)
		b.startRound(work, sites)
	}
	b.changed = true
	b.logger.Info("sites added to the batch", "added", len(sites), "queued", len(b.win.queue))
}

// cancel stops the batch: sites not started are recorded as cancelled,
// running sites are asked to stop at a safe point; cleanup runs at the end.
func (b *batchRun) cancel(ctx workflow.Context, why string) {
	if b.cancelled {
		return
	}
	b.cancelled = true
	b.changed = true
	b.logger.Warn("batch cancelling", "reason", why, "queued", len(b.win.queue), "running", len(b.win.running))
	for _, s := range b.win.queue {
		b.record(SiteResult{SiteID: s.SiteID, Outcome: SiteCancelled, RestorePoint: s.RestorePoint, Users: s.Users,
			Errors: []string{"not started: " + why}})
	}
	b.win.queue = nil
	b.lead.forget()
	work, _ := workflow.NewDisconnectedContext(ctx)
	for _, id := range b.win.order {
		workflow.RequestCancelExternalWorkflow(work, b.siteWorkflowID(id), "")
	}
}

func (b *batchRun) upsertIdentity(ctx workflow.Context) {
	have := workflow.GetTypedSearchAttributes(ctx)
	var ups []temporal.SearchAttributeUpdate
	if v, ok := have.GetKeyword(SearchKeyBatchID); !ok || v != b.in.BatchID {
		ups = append(ups, SearchKeyBatchID.ValueSet(b.in.BatchID))
	}
	if v, ok := have.GetKeyword(SearchKeyRunbook); !ok || v != b.in.Plan.Runbook {
		ups = append(ups, SearchKeyRunbook.ValueSet(b.in.Plan.Runbook))
	}
	if v, ok := have.GetKeyword(SearchKeyStatus); ok {
		b.pubStatus = v
	}
	if len(ups) > 0 {
		if err := workflow.UpsertTypedSearchAttributes(ctx, ups...); err != nil {
			b.logger.Warn("upsert search attributes", "error", err)
		}
	}
}

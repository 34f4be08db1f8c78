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
	if err := workflow.SetQueryHandler(ctx, QueryBatchQueued, func() ([]Site, error) {
		return append([]Site(nil), b.win.queue...), nil
	}); err != nil {
		return fmt.Errorf("register query %s: %w", QueryBatchQueued, err)
	}
	return registerUpdates(ctx,
		updateHandler{UpdatePause, b.onPause, b.validSteer},
		updateHandler{UpdateResume, b.onResume, b.validSteer},
		updateHandler{UpdateCancel, b.onCancel, b.validSteer},
		updateHandler{UpdateSetConcurrency, b.onSetConcurrency, validConcurrency},
		updateHandler{UpdateAddSites, b.onAddSites, b.validAddSites},
		updateHandler{UpdateSwitchRunbook, b.onSwitchRunbook, b.validSwitch})
}

// Every steering update takes who sends it and why (Operator; for
// set-concurrency a second argument), and records it (batch_operators.go).
// Updates sent without it (by clients older than this) decode it empty,
// recorded as "unknown": no recorded history replays differently, since a
// recorded action is state, not a command.

func (b *batchRun) notCancelled() error {
	if b.cancelled {
		return errors.New("the batch is cancelled")
	}
	return nil
}

// validSteer is the validator of pause, resume and cancel.
func (b *batchRun) validSteer(Operator) error { return b.notCancelled() }

func (b *batchRun) onPause(ctx workflow.Context, op Operator) error {
	b.paused, b.changed = true, true
	b.act(ctx, ActionPause, op, "")
	return nil
}

func (b *batchRun) onResume(ctx workflow.Context, op Operator) error {
	b.paused, b.changed = false, true
	b.act(ctx, ActionResume, op, "")
	return nil
}

func (b *batchRun) onCancel(ctx workflow.Context, op Operator) error {
	b.act(ctx, ActionCancel, op, fmt.Sprintf("%d queued sites not started, %d running asked to stop", len(b.win.queue), len(b.win.running)))
	why := "cancelled by " + orUnknown(op.Operator)
	if op.Reason != "" {
		why += ": " + op.Reason
	}
	b.cancel(ctx, why)
	return nil
}

func validConcurrency(n int, _ Operator) error {
	if n < 1 {
		return fmt.Errorf("max concurrent sites %d: it must be at least 1", n)
	}
	return nil
}

func (b *batchRun) onSetConcurrency(ctx workflow.Context, n int, op Operator) error {
	b.act(ctx, ActionSetConcurrency, op, fmt.Sprintf("max concurrent sites %d -> %d", b.maxConcurrent, n))
	b.maxConcurrent, b.changed = n, true
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
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
	b.act(ctx, ActionAddSites, Operator{Operator: req.Operator, Reason: req.Reason}, fmt.Sprintf("%d sites added", len(req.Sites)))
	b.addSites(ctx, req.Sites)
	return nil
}

func (b *batchRun) addSites(ctx workflow.Context, sites []Site) {
	if b.runbook != "" {
		for i := range sites {
			sites[i].Runbook = b.runbook
			b.switchedSites[b.runbook]++
		}
	}
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
		b.record(SiteResult{SiteID: s.SiteID, Outcome: SiteCancelled, RestorePoint: s.RestorePoint, Users: s.Users, Runbook: s.Runbook,
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

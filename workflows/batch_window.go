package workflows

import (
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// startChildren fills the sliding window from the queue.
func (b *batchRun) startChildren(ctx workflow.Context) {
	if b.paused || b.cancelled || b.due {
		return
	}
	active, inRun := b.win.load()
	starting := 0
	if b.boundsStarts {
		starting = b.win.unconfirmedCount()
	}
	for len(b.win.queue) > 0 && active < b.maxConcurrent && inRun < MaxPendingChildrenPerRun &&
		b.startedInRun < b.maxPerRun && starting < MaxStartingSites {
		if !b.lead.hasWork(b.lead.roundOf(b.win.queue[0].SiteID)) {
			// Every first step of the site waits for a batch step still
			// running: the site starts when one ends, with its values in
			// its input (no signal needed). Later sites wait in line.
			return
		}
		b.startChild(ctx)
		active++
		inRun++
		if b.boundsStarts {
			starting++
		}
	}
}

// MaxStartingSites bounds the child starts of a run that await the
// server's confirmation (in runs recorded since changeBoundedStarts). The
// server starts a child in a task of its own, after the batch asked for it;
// on the 883-site demo (2026-11-29) it started the window's 200 sites of
// the first wave over 3.5 minutes (the last 207 s after it was asked), so
// most of the window was sites that had not started, and a run due to
// continue as new waited 67 s for its last starts to be confirmed while its
// window drained. Bounded, the window fills at the pace the server starts
// sites, the sites asked for start soon after, and a handover has at most
// this many starts to wait for.
const MaxStartingSites = 20

// startChild starts the site at the head of the queue as a RestoreSite
// child, and records its result when it ends.
func (b *batchRun) startChild(ctx workflow.Context) {
	site := b.win.queue[0]
	vars, round := b.lead.take(site.SiteID)
	_, _, packed := b.planOf(site)
	in := RestoreSiteInput{BatchID: b.in.BatchID, Site: site, PackedPlan: packed, Drill: b.in.Drill,
		Vars: vars, Lead: b.lead.pending(round)}
	c := b.win.begin(round, workflow.Now(ctx))
	if b.firstSiteAt.IsZero() {
		b.firstSiteAt = c.startedAt
	}
	c.vars = vars
	b.startedInRun++
	b.changed = true

	opts := b.childOptions(site)
	cctx := workflow.WithChildOptions(ctx, opts)
	if b.kids != nil {
		f := workflow.ExecuteChildWorkflow(cctx, RestoreSiteWorkflowName, in)
		b.watch(&watchedChild{site: site, workflowID: opts.WorkflowID, round: round, vars: vars, c: c, f: f})
		return
	}
	workflow.Go(ctx, func(gctx workflow.Context) {
		f := workflow.ExecuteChildWorkflow(cctx, RestoreSiteWorkflowName, in)
		if err := f.GetChildWorkflowExecution().Get(gctx, nil); err != nil {
			res, ours := b.notStarted(gctx, site, opts.WorkflowID, err)
			if ours {
				// Started by an earlier run whose handover did not see the
				// start confirmed: it runs, and reports its end by signal.
				c.started, c.inRun, b.changed = true, false, true
				if tellsAdoptedLead(gctx) {
					b.tellAdopted(gctx, site.SiteID, round, vars)
				}
				return
			}
			b.record(res)
			return
		}
		c.started = true
		if b.due {
			b.changed = true // a handover waits for every start
		}
		for _, ls := range c.late {
			b.keepSent(site.SiteID, ls, f.SignalChildWorkflow(gctx, SignalLeadStep, ls))
		}
		c.late = nil
		var res SiteResult
		if err := f.Get(gctx, &res); err != nil {
			b.record(failedSite(site, fmt.Sprintf("site workflow %s: %v", opts.WorkflowID, err)))
			return
		}
		b.record(res)
	})
}

// siteWorkflowID is the workflow ID of a site of this batch: a drill's
// sites have their own (DrillSiteWorkflowID), so that a drill never holds
// the ID an incident's restore of the same site needs. No recorded history
// changes: nothing started a batch with Drill set before this (the DrillRun
// workflow came with it), so no GetVersion is needed.
func (b *batchRun) siteWorkflowID(siteID string) string {
	if b.in.Drill {
		return DrillSiteWorkflowID(b.in.BatchID, siteID)
	}
	return SiteWorkflowID(siteID)
}

func (b *batchRun) childOptions(site Site) workflow.ChildWorkflowOptions {
	sa := []temporal.SearchAttributeUpdate{
		SearchKeyBatchID.ValueSet(b.in.BatchID),
		SearchKeySiteID.ValueSet(site.SiteID),
		SearchKeyRunbook.ValueSet(b.runbookOf(site)),
		// Saves the site its first upsert.
		SearchKeyStatus.ValueSet(SiteRunning),
	}
	summary := fmt.Sprintf("%s of site %s (batch %s)", b.runbookOf(site), site.SiteID, b.in.BatchID)
	if b.in.Drill {
		// A drill's batch ID is its drill ID: one filter shows the drill,
		// its batch and its sites.
		sa = append(sa, SearchKeyDrillID.ValueSet(b.in.BatchID))
		summary = fmt.Sprintf("drill %s: %s of site %s into its drill copy", b.in.BatchID, b.in.Plan.Runbook, site.SiteID)
	}
	return workflow.ChildWorkflowOptions{
		WorkflowID:            b.siteWorkflowID(site.SiteID),
		TaskQueue:             WorkflowTaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		// Sites outlive the run that started them (continue-as-new); a
		// cancelled batch cancels them itself.
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WaitForCancellation:   true,
		TypedSearchAttributes: temporal.NewSearchAttributes(sa...),
		StaticSummary:         summary,
	}
}

// notStarted is the result of a site whose workflow did not start. A site
// that another batch is restoring (a second batch that raced past the
// preflight) is reported as being restored by that batch, not as failed:
// this batch leaves it alone.
//
// ours is true when the running site workflow is this batch's own (an
// earlier run started it but handed over before the start was confirmed).
func (b *batchRun) notStarted(ctx workflow.Context, site Site, workflowID string, err error) (res SiteResult, ours bool) {
	if !temporal.IsWorkflowExecutionAlreadyStartedError(err) || !looksUpOwner(ctx) {
		return failedSite(site, fmt.Sprintf("start site workflow %s: %v (is it being restored by another batch?)", workflowID, err)), false
	}
	owner := "another batch"
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: WorkflowTaskQueue, StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	var batchID string
	if err := workflow.ExecuteActivity(actx, ActivitySiteOwner, site.SiteID).Get(ctx, &batchID); err == nil && batchID != "" {
		owner = "batch " + batchID
	}
	if batchID == b.in.BatchID {
		return SiteResult{}, true
	}
	b.logger.Warn("site is being restored by another batch", "site", site.SiteID, "owner", owner)
	return SiteResult{SiteID: site.SiteID, Outcome: SiteElsewhere, RestorePoint: site.RestorePoint, Users: site.Users,
		Errors: []string{fmt.Sprintf("being restored by %s (workflow %s is running); this batch left it alone", owner, workflowID)}}, false
}

func failedSite(site Site, msg string) SiteResult {
	return SiteResult{SiteID: site.SiteID, Outcome: SiteFailed, RestorePoint: site.RestorePoint, Users: site.Users,
		Errors: []string{msg}}
}

// onSiteEvent applies what a running site signals: blocked on a human,
// moving again, or (a site that was blocked) its result.
func (b *batchRun) onSiteEvent(ev SiteEvent) {
	if _, ok := b.win.running[ev.SiteID]; !ok {
		return
	}
	switch ev.Kind {
	case SiteEventParked, SiteEventWaiting:
		b.win.block(ev.SiteID, ev.Kind, ev.StepID, ev.Reason, workflow.Now(b.root))
	case SiteEventResumed:
		b.win.block(ev.SiteID, "", "", "", time.Time{})
	case SiteEventFinished:
		if ev.Result != nil {
			b.record(*ev.Result)
		}
	}
	b.changed = true
}

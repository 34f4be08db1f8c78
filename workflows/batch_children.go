package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"
)

// children waits for every child site workflow's start and end in one
// coroutine (watchChildren), instead of a coroutine per child. The SDK's
// dispatcher resumes every coroutine that is alive at each pass of every
// workflow task (two goroutine switches and a stack walk each): with a
// window of 200 sites, that was a third of the worker's CPU and most of
// the 0.4 to 1 s each batch workflow task took, which is what let the
// server reject a handover again and again as site signals kept arriving.
type children struct {
	// pending are the children whose start or end is awaited, in start
	// order (the order the selector is built in, hence deterministic).
	pending []*watchedChild
	// wake tells the watcher that pending grew while it was blocked.
	wake workflow.Channel
}

// watchedChild is one child site workflow the watcher waits for.
type watchedChild struct {
	site       Site
	workflowID string
	round      int
	vars       map[string]string
	c          *child
	f          workflow.ChildWorkflowFuture
	started    bool
	ended      bool
}

// watchChildren starts the watcher coroutine of this run.
func (b *batchRun) watchChildren(ctx workflow.Context) {
	b.kids = &children{wake: workflow.NewBufferedChannel(ctx, 1)}
	workflow.Go(ctx, func(gctx workflow.Context) {
		for {
			sel := workflow.NewSelector(gctx)
			sel.AddReceive(b.kids.wake, func(c workflow.ReceiveChannel, _ bool) { c.Receive(gctx, nil) })
			for _, w := range b.kids.pending {
				if !w.started {
					sel.AddFuture(w.f.GetChildWorkflowExecution(), func(f workflow.Future) { b.childStarted(gctx, w, f) })
				} else {
					sel.AddFuture(w.f, func(f workflow.Future) { b.childEnded(gctx, w, f) })
				}
			}
			sel.Select(gctx)
			for sel.HasPending() {
				sel.Select(gctx)
			}
			kept := b.kids.pending[:0]
			for _, w := range b.kids.pending {
				if !w.ended {
					kept = append(kept, w)
				}
			}
			b.kids.pending = kept
		}
	})
}

// watch adds a child just started to the watcher's list.
func (b *batchRun) watch(w *watchedChild) {
	b.kids.pending = append(b.kids.pending, w)
	b.kids.wake.SendAsync(true)
}

// childStarted applies a child's start: confirmed (the lead-step statuses
// that ended meanwhile are sent to it), or refused (notStarted, in a
// coroutine of its own since it may ask an activity who owns the site).
func (b *batchRun) childStarted(ctx workflow.Context, w *watchedChild, f workflow.Future) {
	if err := f.Get(ctx, nil); err != nil {
		w.ended = true
		workflow.Go(ctx, func(gctx workflow.Context) {
			res, ours := b.notStarted(gctx, w.site, w.workflowID, err)
			if ours {
				// Started by an earlier run whose handover did not see the
				// start confirmed: it runs, and reports its end by signal.
				w.c.started, w.c.inRun, b.changed = true, false, true
				b.tellAdopted(gctx, w.site.SiteID, w.round, w.vars)
				return
			}
			b.record(res)
		})
		return
	}
	w.started = true
	w.c.started = true
	if b.due || b.boundsStarts {
		b.changed = true // a handover waits for every start; a bounded window starts the next
	}
	for _, ls := range w.c.late {
		b.keepSent(w.site.SiteID, ls, w.f.SignalChildWorkflow(ctx, SignalLeadStep, ls))
	}
	w.c.late = nil
}

// childEnded records a child's result (or its failure).
func (b *batchRun) childEnded(ctx workflow.Context, w *watchedChild, f workflow.Future) {
	w.ended = true
	var res SiteResult
	if err := f.Get(ctx, &res); err != nil {
		b.record(failedSite(w.site, fmt.Sprintf("site workflow %s: %v", w.workflowID, err)))
		return
	}
	b.record(res)
}

package workflows

import "go.temporal.io/sdk/workflow"

// A run that is due to continue as new first lets its own commands settle:
// the child starts it asked for are confirmed, and the lead signals it sent
// are delivered. Each confirmation is an event of this run; one that
// arrives while the run's continue-as-new task is in flight makes the
// server refuse that task (UNHANDLED_COMMAND), and the worker then replays
// the whole run before it can try again. Measured on the 883-site demo
// (2026-11-29): the server confirmed child starts up to 85 s after they
// were asked for, and a run that went on after a fixed 15 s wait had its
// handover refused six times in 37 s, every time by its own confirmations
// or by the timers of its wait.
//
// So the run waits for as long as confirmations keep arriving: it gives up
// only after QuickHandoverWait without one (a start the server never
// confirms goes back to the queue: requeueUnconfirmed), or MaxHandoverWait
// after it became due. It has one timer at a time.

// outstanding counts this run's commands the server has not settled yet:
// unconfirmed child starts and undelivered lead signals.
func (b *batchRun) outstanding() int {
	n := b.win.unconfirmedCount()
	for _, s := range b.sent {
		if !s.f.IsReady() {
			n++
		}
	}
	return n
}

// settled says whether every command of this run has settled.
func (b *batchRun) settled() bool { return b.outstanding() == 0 }

// settle waits for a change, a settled command or the quiet timer. When
// the timer fires with no command settled since it started, or the run has
// been due for MaxHandoverWait, the run goes on without waiting further
// (stale); else another quiet period starts.
func (b *batchRun) settle(ctx workflow.Context) error {
	if b.quiet == nil {
		b.quiet = workflow.NewTimer(ctx, QuickHandoverWait)
		b.quietFrom = b.outstanding()
	}
	last := b.outstanding()
	if err := workflow.Await(ctx, func() bool {
		return b.changed || b.quiet.IsReady() || b.outstanding() != last
	}); err != nil {
		return err
	}
	if !b.quiet.IsReady() {
		return nil
	}
	_ = b.quiet.Get(ctx, nil)
	b.quiet = nil
	if b.outstanding() >= b.quietFrom || workflow.Now(ctx).Sub(b.dueAt) >= MaxHandoverWait {
		b.stale = true
		b.logger.Warn("handover goes on with commands the server has not settled", "outstanding", b.outstanding())
	}
	return nil
}

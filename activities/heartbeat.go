package activities

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
)

// How an attempt shows it is alive. Every step has a heartbeat timeout (30s
// unless its runbook says otherwise): an attempt that stops heartbeating
// for that long is failed by Temporal and retried, so a lost task, a dead
// worker or a hung call costs that long, not the step's whole timeout.
//
//   - Where there is progress, the action heartbeats it (heartbeat): tables
//     copied and bytes streaming, media keys done, vendor operations polled,
//     clones made. Those details are also what a retry resumes from.
//   - Around one call with nothing to report (a platform request, a query, a
//     clone's recovery), keepAlive heartbeats on a ticker, but only until
//     the call's deadline: the call gets a context that ends then, so a hang
//     ends in an error (and a retry); a call that ignores its context stops
//     heartbeating at the deadline, and the heartbeat timeout fails it.
//
// Every outbound call has a deadline: the ones below, and beneath them the
// adapters' own (httpapi's per-request timeout, PostgreSQL's connect and
// statement timeouts, S3's per-operation timeouts).
const (
	// DefaultHeartbeatEvery is the ticker's period (never more than a third
	// of the attempt's heartbeat timeout).
	DefaultHeartbeatEvery = 10 * time.Second
	// DefaultCallTimeout bounds one call to a platform service or one read
	// of a tenant's rows: they take milliseconds to a few seconds; a minute
	// is a hung call. It is longer than httpapi's per-request timeout (30s),
	// whose error names the service and its address, so that one fires first.
	DefaultCallTimeout = time.Minute
	// DefaultCopyTimeout bounds one store's tenant copy (every table of the
	// store): about a million rows a minute here; 30 minutes holds a tenant
	// of tens of millions of rows. Its statements are bounded by the
	// restore's session limits (pg.RestoreLimits) long before.
	DefaultCopyTimeout = 30 * time.Minute
	// DefaultCloneTimeout bounds making (or tearing down) one point-in-time
	// clone: copying the base backup, starting the scratch cluster (at most
	// 2 minutes) and replaying WAL to the point (at most 5 minutes, pitr's
	// RecoverTimeout). Under a second here; 20 minutes holds a production
	// base backup of tens of gigabytes, and ends a stuck copy or start.
	DefaultCloneTimeout = 20 * time.Minute
	// DefaultMediaTimeout bounds one media undelete (a site's or a
	// product's keys), each S3 operation being bounded by s3media's own
	// deadlines: 30 minutes holds tens of thousands of keys.
	DefaultMediaTimeout = 30 * time.Minute
)

// pulse is an attempt's latest heartbeat details. The ticker of keepAlive
// repeats them, so that a call's heartbeats never overwrite the progress a
// retry resumes from.
type pulse struct {
	mu      sync.Mutex
	details any
}

type pulseKey struct{}

// withPulse gives an attempt its pulse, seeded with the details the
// previous attempt last recorded (as raw JSON): until this attempt reports
// progress of its own, its heartbeats carry them on for the next one.
func withPulse(ctx context.Context) context.Context {
	p := &pulse{}
	var raw json.RawMessage
	if lastHeartbeat(ctx, &raw) && len(raw) > 0 {
		p.details = raw
	}
	return context.WithValue(ctx, pulseKey{}, p)
}

// latest returns the attempt's latest heartbeat details (nil without a pulse).
func latest(ctx context.Context) any {
	p, _ := ctx.Value(pulseKey{}).(*pulse)
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.details
}

// QuietStart (Deps.QuietStart unless set): an attempt's progress goes to
// Temporal as a heartbeat only once the attempt has run this long. Most steps end within a second, and
// the first heartbeat of an attempt is sent at once (the SDK throttles only
// the later ones): a server write per step, 3% of the dev server's CPU in
// the demo's profile, for details no retry would need. Until then the
// details stay in the attempt's pulse, where keepAlive's ticker and the
// next progress report find them; a worker that dies within QuietStart
// makes its retry redo under QuietStart of idempotent work.
const QuietStart = 2 * time.Second

// heartbeat records progress: the attempt is alive and the details are
// where a retry resumes.
func (a *Activities) heartbeat(ctx context.Context, details any) {
	if p, _ := ctx.Value(pulseKey{}).(*pulse); p != nil {
		p.mu.Lock()
		p.details = details
		p.mu.Unlock()
	}
	if activity.IsActivity(ctx) && a.d.QuietStart > 0 && a.d.Now().Sub(activity.GetInfo(ctx).StartedTime) < a.d.QuietStart {
		return
	}
	a.beat(ctx, details)
}

// recordHeartbeat is Activities.beat outside tests: a heartbeat when the
// context is an activity's (tests also call the methods directly).
func recordHeartbeat(ctx context.Context, details ...any) {
	if activity.IsActivity(ctx) {
		activity.RecordHeartbeat(ctx, details...)
	}
}

// beatEvery is the ticker's period: Deps.HeartbeatEvery, or a third of the
// attempt's heartbeat timeout when that is shorter.
func (a *Activities) beatEvery(ctx context.Context) time.Duration {
	every := a.d.HeartbeatEvery
	if activity.IsActivity(ctx) {
		if hb := activity.GetInfo(ctx).HeartbeatTimeout; hb > 0 && hb/3 < every {
			every = hb / 3
		}
	}
	return max(every, time.Millisecond)
}

// keepAlive runs beside one call that has nothing to report while it runs.
// It returns the call's context, which ends limit from now (or with ctx):
// the call must use it. Until then, or until stop, it heartbeats every
// beatEvery with details() (the attempt's latest details when details is
// nil). It never heartbeats past the deadline, even when the call ignores
// its context and runs on: then the step's heartbeat timeout fails the
// attempt and Temporal retries it. stop must be called when the call
// returns; it waits for the ticker to end.
func (a *Activities) keepAlive(ctx context.Context, limit time.Duration, details func() any) (context.Context, func()) {
	cctx, cancel := context.WithTimeout(ctx, limit)
	if details == nil {
		details = func() any { return latest(ctx) }
	}
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(a.beatEvery(ctx))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-cctx.Done():
				return
			case <-t.C:
				// Both may be ready at once: the deadline wins.
				if cctx.Err() != nil {
					return
				}
				a.beat(ctx, details())
			}
		}
	}()
	return cctx, func() { close(done); <-exited; cancel() }
}

// call makes one call to a platform service or one query under
// Deps.CallTimeout, heartbeating while it runs (see keepAlive).
func (a *Activities) call(ctx context.Context, f func(ctx context.Context) error) error {
	cctx, stop := a.keepAlive(ctx, a.d.CallTimeout, nil)
	defer stop()
	return f(cctx)
}

// lastHeartbeat loads an earlier attempt's heartbeat details into v; false
// when there are none.
func lastHeartbeat(ctx context.Context, v any) bool {
	if !activity.IsActivity(ctx) || !activity.HasHeartbeatDetails(ctx) {
		return false
	}
	return activity.GetHeartbeatDetails(ctx, v) == nil
}

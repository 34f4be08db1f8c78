package chaos

import (
	"context"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
)

// SamplePeriod is how often the sampler describes the batch's running
// workflows. An attempt lost to a timeout stays pending in state Started
// for at least its heartbeat timeout (30 s in the default runbooks), so
// the sampler sees every such attempt running.
const SamplePeriod = 5 * time.Second

// attempts is what the sampler saw of one activity's attempts (the
// history records only the final attempt's start).
type attempts struct {
	failure map[int32]string    // attempt -> how it failed (seen on the next one)
	started map[int32]time.Time // attempt -> its start (seen running)
	ended   map[int32]time.Time // attempt -> its end (seen while a retry waited)
	ready   map[int32]time.Time // attempt -> when it was due to run (a retry, seen waiting)
}

// lostSince is when the first attempt before final that the sampler saw
// began; false when it saw none.
func (a attempts) lostSince(final int32) (time.Time, bool) {
	for k := int32(1); k < final; k++ {
		if t, ok := a.begin(k); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

// begin is when attempt k began as the sampler saw it: its start, else
// its end.
func (a attempts) begin(k int32) (time.Time, bool) {
	if t, ok := a.started[k]; ok {
		return t, true
	}
	t, ok := a.ended[k]
	return t, ok
}

// resumed is when the first attempt after k that the sampler saw (or the
// final one, which started at finalStart) could run: due to run, else
// started.
func (a attempts) resumed(k, final int32, finalStart time.Time) time.Time {
	for j := k + 1; j < final; j++ {
		if t, ok := a.ready[j]; ok {
			return t
		}
		if t, ok := a.started[j]; ok {
			return t
		}
	}
	if t, ok := a.ready[final]; ok && t.Before(finalStart) {
		return t
	}
	return finalStart
}

// longestWait is the longest recovery of a step whose final attempt
// started at finalStart, attempt final-1 having failed with finalCause.
// A wait opens at the beginning of a failed attempt the sampler saw and
// closes when an attempt after it could run: after an attempt lost to a
// timeout (each loss recovers on its own), or after the last failed
// attempt. Attempts that failed with an error in between join the wait
// (the step waits for the failing service). false when the sampler saw
// no earlier attempt.
func (a attempts) longestWait(final int32, finalStart time.Time, finalCause string) (time.Duration, bool) {
	var longest time.Duration
	var from time.Time
	open, seen := false, false
	for k := int32(1); k < final; k++ {
		if b, ok := a.begin(k); ok && !open {
			from, open, seen = b, true, true
		}
		cause := a.failure[k]
		if k == final-1 && finalCause != "" {
			cause = finalCause
		}
		if open && (strings.Contains(cause, "timeout") || k == final-1) {
			longest = max(longest, a.resumed(k, final, finalStart).Sub(from))
			open = false
		}
	}
	return longest, seen
}

// sampler keeps what it saw, by run ID and activity ID.
type sampler struct {
	mu   sync.Mutex
	seen map[string]*attempts
}

func newSampler() *sampler { return &sampler{seen: map[string]*attempts{}} }

// of returns what the sampler saw of one activity.
func (sm *sampler) of(runID, activityID string) attempts {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if a := sm.seen[runID+"/"+activityID]; a != nil {
		return *a
	}
	return attempts{}
}

// record notes one pending activity as a description shows it.
func (sm *sampler) record(runID string, pa *workflowpb.PendingActivityInfo) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	key := runID + "/" + pa.GetActivityId()
	a := sm.seen[key]
	if a == nil {
		a = &attempts{failure: map[int32]string{}, started: map[int32]time.Time{}, ended: map[int32]time.Time{}, ready: map[int32]time.Time{}}
		sm.seen[key] = a
	}
	k := pa.GetAttempt()
	if f := pa.GetLastFailure(); f != nil && k > 1 {
		a.failure[k-1] = failureText(f)
	}
	switch pa.GetState() {
	case enumspb.PENDING_ACTIVITY_STATE_STARTED:
		if t := pa.GetLastStartedTime(); t != nil {
			a.started[k] = t.AsTime()
		}
	case enumspb.PENDING_ACTIVITY_STATE_SCHEDULED:
		if k > 1 {
			if t := pa.GetLastAttemptCompleteTime(); t != nil {
				a.ended[k-1] = t.AsTime()
			}
			if t := pa.GetScheduledTime(); t != nil {
				a.ready[k] = t.AsTime()
			}
		}
	}
}

// sample describes the batch's current run and its running sites every
// SamplePeriod until ctx ends.
func (sm *sampler) sample(ctx context.Context, b *batch) {
	for {
		wids, err := b.runningSites(ctx)
		if err == nil {
			forEach(ctx, append(wids, b.wid), 4, func(wid string) {
				d, err := b.s.tc.DescribeWorkflowExecution(ctx, wid, "")
				if err != nil {
					return
				}
				rid := d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
				for _, pa := range d.GetPendingActivities() {
					sm.record(rid, pa)
				}
			})
		}
		if !sleep(ctx, SamplePeriod) {
			return
		}
	}
}

package chaos

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.uber.org/zap"
)

// target is an activity the driver saw running on a worker, by the
// server's record of it (a pending activity in state Started whose last
// worker is that worker).
type target struct {
	WorkflowID string `json:"workflow_id"`
	ActivityID string `json:"activity_id"`
	Action     string `json:"action"`
	Attempt    int32  `json:"attempt"`
	Worker     string `json:"worker"`
}

func (t *target) String() string {
	if t == nil {
		return "no activity seen running"
	}
	return fmt.Sprintf("%s of %s (activity %s, attempt %d)", t.Action, strings.TrimPrefix(t.WorkflowID, "lazarus-site-"), t.ActivityID, t.Attempt)
}

// huntBatch is how many running sites one round of a hunt describes.
const huntBatch = 40

// hunt looks, for up to within, for an activity of one of the types in
// actions (any type when empty) that worker w runs now, and returns it
// with w frozen (SIGSTOP): the caller kills w next, so the activity cannot
// end between the sighting and the kill. It returns nil, w running, when
// it saw none in time.
//
// A round describes a sample of the running sites with w running. An
// activity seen started is confirmed with w frozen (one that ended in
// between is dropped). An activity seen scheduled, not started yet, is
// watched closely until w starts it, then confirmed the same way: steps
// of a fraction of a second (a small site's media undelete) are caught
// that way, where a sample of 40 sites every few hundred milliseconds
// mostly came too late.
func (b *batch) hunt(ctx context.Context, actions []string, w *proc, within time.Duration) *target {
	deadline := time.Now().Add(within)
	who := strconv.Itoa(w.PID()) + "@"
	var sites []string
	var listed time.Time
	// What the hunt saw, logged when it ends empty-handed.
	var rounds, maxSites, sawStarted, sawScheduled int
	var listErr error
	defer func() {
		b.s.log.Info("hunt ended", zap.Strings("actions", actions), zap.Int("worker_pid", w.PID()), zap.Int("rounds", rounds),
			zap.Int("max_running_sites", maxSites), zap.Int("seen_started", sawStarted), zap.Int("seen_scheduled", sawScheduled),
			zap.NamedError("list_error", listErr), zap.Bool("ctx_done", ctx.Err() != nil))
	}()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		rounds++
		if time.Since(listed) > 2*time.Second {
			s, err := b.runningSites(ctx)
			if err == nil {
				sites, listed = s, time.Now()
				maxSites = max(maxSites, len(s))
			} else {
				listErr = err
			}
		}
		b.s.rng.Shuffle(len(sites), func(i, j int) { sites[i], sites[j] = sites[j], sites[i] })
		seen := b.describeFor(ctx, sites[:min(len(sites), huntBatch)], actions, who)
		var started, scheduled []*target
		for _, t := range seen {
			if t.Worker == "" {
				scheduled = append(scheduled, t)
			} else {
				started = append(started, t)
			}
		}
		sawStarted, sawScheduled = sawStarted+len(started), sawScheduled+len(scheduled)
		if t := b.confirmFrozen(ctx, started, actions, who, w); t != nil {
			return t
		}
		if len(scheduled) > 0 {
			if t := b.watchStart(ctx, scheduled[0], actions, who, w, min(5*time.Second, time.Until(deadline))); t != nil {
				return t
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// watchStart describes one site's workflow every 10 ms, for up to within,
// until w starts the scheduled activity t, and confirms it frozen.
func (b *batch) watchStart(ctx context.Context, t *target, actions []string, who string, w *proc, within time.Duration) *target {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		for _, now := range b.describeFor(ctx, []string{t.WorkflowID}, actions, who) {
			if now.Worker != "" {
				return b.confirmFrozen(ctx, []*target{now}, actions, who, w)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// confirmFrozen freezes w and describes again the sites of seen (activities
// w had started): it returns the first still running in the same attempt,
// w frozen, or nil with w running again.
func (b *batch) confirmFrozen(ctx context.Context, seen []*target, actions []string, who string, w *proc) *target {
	if len(seen) == 0 || w.freeze() != nil {
		return nil
	}
	wids := make([]string, 0, len(seen))
	for _, t := range seen {
		wids = append(wids, t.WorkflowID)
	}
	for _, t := range b.describeFor(ctx, wids, actions, who) {
		if t.Worker != "" && sameAttempt(seen, t) {
			return t
		}
	}
	w.thaw()
	return nil
}

// sameAttempt says whether t is one of seen, in the same attempt.
func sameAttempt(seen []*target, t *target) bool {
	for _, s := range seen {
		if s.WorkflowID == t.WorkflowID && s.ActivityID == t.ActivityID && s.Attempt == t.Attempt {
			return true
		}
	}
	return false
}

// describeFor describes the workflows, four at a time, and returns, at
// most one per workflow, a pending activity of a type in actions (any when
// empty) either started by a worker whose identity begins with who
// (Worker set) or scheduled and not started yet (Worker empty); a started
// one is preferred.
func (b *batch) describeFor(ctx context.Context, wids []string, actions []string, who string) []*target {
	var mu sync.Mutex
	var found []*target
	forEach(ctx, wids, 4, func(wid string) {
		d, err := b.s.tc.DescribeWorkflowExecution(ctx, wid, "")
		if err != nil {
			return
		}
		pick := pickTarget(wid, d.GetPendingActivities(), actions, who)
		if pick != nil {
			mu.Lock()
			found = append(found, pick)
			mu.Unlock()
		}
	})
	return found
}

// pickTarget is, of a workflow's pending activities of a type in actions
// (any when empty), the first started by a worker whose identity begins
// with who, else the first scheduled and not started yet, else nil.
func pickTarget(wid string, pending []*workflowpb.PendingActivityInfo, actions []string, who string) *target {
	var scheduled *target
	for _, pa := range pending {
		if len(actions) > 0 && !slices.Contains(actions, pa.GetActivityType().GetName()) {
			continue
		}
		t := &target{WorkflowID: wid, ActivityID: pa.GetActivityId(), Action: pa.GetActivityType().GetName(), Attempt: pa.GetAttempt()}
		switch pa.GetState() {
		case enumspb.PENDING_ACTIVITY_STATE_STARTED:
			if strings.HasPrefix(pa.GetLastWorkerIdentity(), who) {
				t.Worker = pa.GetLastWorkerIdentity()
				return t
			}
		case enumspb.PENDING_ACTIVITY_STATE_SCHEDULED:
			if scheduled == nil {
				scheduled = t
			}
		}
	}
	return scheduled
}

// stillRunning says whether t is still pending in the same attempt and
// state: asked right after its worker was killed, it tells a kill that
// caught the activity running from one that came after it ended.
func (b *batch) stillRunning(ctx context.Context, t *target) bool {
	d, err := b.s.tc.DescribeWorkflowExecution(ctx, t.WorkflowID, "")
	if err != nil {
		return false
	}
	for _, pa := range d.GetPendingActivities() {
		if pa.GetActivityId() == t.ActivityID {
			return pa.GetAttempt() == t.Attempt && pa.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED
		}
	}
	return false
}

package chaos

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
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

// hunt looks, for up to within, for an activity of type action (any type
// when empty) that the worker with pid runs now. It returns nil when it
// saw none in time.
func (b *batch) hunt(ctx context.Context, action string, pid int, within time.Duration) *target {
	deadline := time.Now().Add(within)
	who := strconv.Itoa(pid) + "@"
	var sites []string
	var listed time.Time
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if time.Since(listed) > 2*time.Second {
			if s, err := b.runningSites(ctx); err == nil {
				sites, listed = s, time.Now()
			}
		}
		b.s.rng.Shuffle(len(sites), func(i, j int) { sites[i], sites[j] = sites[j], sites[i] })
		if t := b.describeFor(ctx, sites[:min(len(sites), huntBatch)], action, who); t != nil {
			return t
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// describeFor describes the workflows, four at a time, and returns the
// first pending activity of type action started by a worker whose
// identity begins with who.
func (b *batch) describeFor(ctx context.Context, wids []string, action, who string) *target {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var found *target
	forEach(ctx, wids, 4, func(wid string) {
		d, err := b.s.tc.DescribeWorkflowExecution(ctx, wid, "")
		if err != nil {
			return
		}
		for _, pa := range d.GetPendingActivities() {
			if pa.GetState() != enumspb.PENDING_ACTIVITY_STATE_STARTED || !strings.HasPrefix(pa.GetLastWorkerIdentity(), who) ||
				(action != "" && pa.GetActivityType().GetName() != action) {
				continue
			}
			mu.Lock()
			if found == nil {
				found = &target{WorkflowID: wid, ActivityID: pa.GetActivityId(), Action: pa.GetActivityType().GetName(),
					Attempt: pa.GetAttempt(), Worker: pa.GetLastWorkerIdentity()}
				cancel()
			}
			mu.Unlock()
			return
		}
	})
	return found
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

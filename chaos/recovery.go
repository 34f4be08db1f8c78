package chaos

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/lazarus-dr/lazarus/internal/codec"
	"github.com/lazarus-dr/lazarus/workflows"
)

// A recovery wait is how long a step waited to recover from a failed or
// lost attempt. Per activity execution (one ActivityTaskScheduled event in
// the history of the batch, any of its runs, or of a site) that needed
// more than one attempt, it is the longest of its waits, each of which
// runs:
//
//   - from the start of a failed or lost attempt, as the sampler saw it
//     running (every SamplePeriod the driver describes the running
//     workflows: a pending activity in state Started shows its attempt's
//     start; one waiting for a retry shows how and when its previous
//     attempt ended, the end used when the start was not seen, and when
//     the retry is due);
//   - to when an attempt after it could run: due to run (the loss detected
//     by a timeout, the backoff served), as the sampler saw it waiting,
//     else its start (for the final attempt, its ActivityTaskStarted
//     event, whose time the server sets to the attempt's start).
//
// An attempt lost to a timeout (its worker killed, its task lost, its call
// hung) closes its wait when the next attempt can run: each loss recovers
// on its own. Attempts that failed with an error (a service failing, an
// outage) join one wait until an attempt runs that does not fail so. So
// a step two kills hit in a row shows the longer of two recoveries, and a
// step that met an outage shows the whole outage. Queueing behind other
// work once an attempt could run is throughput, not recovery: it is left
// out, as is the queueing before the first attempt.
//
// A step that gave up (its final attempt failed or timed out) waited from
// its first failed attempt's start to its ActivityTaskFailed or
// ActivityTaskTimedOut event. A step still pending
// when the scenario ended runs to the end (see pendingWaits). When the
// sampler saw no earlier attempt (they all ended within one SamplePeriod:
// quick errors, never a lost attempt, which stays Started for its whole
// heartbeat timeout), the wait runs from ActivityTaskScheduled instead and
// is marked Bound: an upper bound that includes the queueing before the
// first attempt, which does not count against the scenario unless its
// cause was a timeout.
//
// A workflow task that timed out or failed waited from its start (its
// scheduling when it never started) to the start of the next one.
type Wait struct {
	Workflow string        `json:"workflow"`
	Step     string        `json:"step"`
	Action   string        `json:"action,omitempty"`
	Attempt  int32         `json:"attempt,omitempty"`
	Took     time.Duration `json:"took"`
	Cause    string        `json:"cause,omitempty"`
	Pending  bool          `json:"pending,omitempty"`
	// Bound: no earlier attempt was seen, Took runs from the scheduling.
	Bound bool `json:"upper_bound,omitempty"`
}

// counts says whether the wait counts against the scenario's bound.
func (w Wait) counts() bool { return !w.Bound || strings.Contains(w.Cause, "timeout") }

// StuckAfter is how long a first attempt may run before a pending activity
// counts as waiting (no step here runs that long on the sandbox).
const StuckAfter = time.Minute

func (w Wait) String() string {
	s := fmt.Sprintf("%s: %s", strings.TrimPrefix(w.Workflow, "lazarus-"), w.Step)
	if w.Attempt > 0 {
		s += fmt.Sprintf(" (attempt %d)", w.Attempt)
	}
	if w.Pending {
		s += " still pending"
	}
	if w.Bound {
		s += " (upper bound: no earlier attempt seen)"
	}
	if w.Cause != "" {
		s += ", after: " + oneLine(w.Cause, 160)
	}
	return s
}

// openActivity is an activity execution read so far from a history.
type openActivity struct {
	id        string
	scheduled time.Time
	action    string
	step      string
	started   time.Time
	attempt   int32
	cause     string
}

// historyWaits lists the recovery waits of one workflow history (seen
// says what the sampler saw of an activity's attempts), and the
// activities still open at its end by activity ID.
func historyWaits(wid string, events []*historypb.HistoryEvent, seen func(activityID string) attempts) ([]Wait, map[string]*openActivity) {
	var out []Wait
	acts := map[int64]*openActivity{}
	wfTimes := map[int64]time.Time{}
	var lostAt time.Time
	var lostCause string
	// wait adds the wait of activity a, which recovered at to (its final
	// attempt's start) or gave up at to (failed, timed out).
	wait := func(a *openActivity, to time.Time, recovered bool, cause string) {
		w := Wait{Workflow: wid, Step: a.step, Action: a.action, Attempt: a.attempt, Cause: cause}
		seenA := seen(a.id)
		if recovered {
			if gap, ok := seenA.longestWait(a.attempt, to, cause); ok {
				w.Took = gap
				out = append(out, w)
				return
			}
		} else if from, ok := seenA.lostSince(max(a.attempt, 2)); ok {
			w.Took = to.Sub(from)
			out = append(out, w)
			return
		}
		w.Took, w.Bound = to.Sub(a.scheduled), true
		out = append(out, w)
	}
	for _, e := range events {
		t := e.GetEventTime().AsTime()
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			at := e.GetActivityTaskScheduledEventAttributes()
			acts[e.GetEventId()] = &openActivity{id: at.GetActivityId(), scheduled: t, action: at.GetActivityType().GetName(), step: summary(e, at.GetActivityId())}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			at := e.GetActivityTaskStartedEventAttributes()
			if a := acts[at.GetScheduledEventId()]; a != nil {
				a.started, a.attempt, a.cause = t, at.GetAttempt(), failureText(at.GetLastFailure())
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			id := e.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()
			if a := acts[id]; a != nil && a.attempt > 1 {
				wait(a, a.started, true, a.cause)
			}
			delete(acts, id)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
			at := e.GetActivityTaskFailedEventAttributes()
			if a := acts[at.GetScheduledEventId()]; a != nil && a.attempt > 1 {
				wait(a, t, false, failureText(at.GetFailure()))
			}
			delete(acts, at.GetScheduledEventId())
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
			at := e.GetActivityTaskTimedOutEventAttributes()
			if a := acts[at.GetScheduledEventId()]; a != nil {
				wait(a, t, false, failureText(at.GetFailure()))
			}
			delete(acts, at.GetScheduledEventId())
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
			delete(acts, e.GetActivityTaskCanceledEventAttributes().GetScheduledEventId())
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
			wfTimes[e.GetEventId()] = t
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
			if !lostAt.IsZero() {
				out = append(out, Wait{Workflow: wid, Step: "workflow task", Took: t.Sub(lostAt), Cause: lostCause})
				lostAt = time.Time{}
			}
			wfTimes[e.GetEventId()] = t
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
			at := e.GetWorkflowTaskTimedOutEventAttributes()
			if lostAt.IsZero() {
				lostAt = taskTime(wfTimes, at.GetStartedEventId(), at.GetScheduledEventId())
				lostCause = "workflow task timed out (" + timeoutName(at.GetTimeoutType()) + ")"
			}
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
			at := e.GetWorkflowTaskFailedEventAttributes()
			if lostAt.IsZero() {
				lostAt = taskTime(wfTimes, at.GetStartedEventId(), at.GetScheduledEventId())
				lostCause = "workflow task failed: " + failureText(at.GetFailure())
			}
		}
	}
	open := map[string]*openActivity{}
	for _, a := range acts {
		open[a.id] = a
	}
	return out, open
}

// pendingWaits lists the recovery waits of the pending activities of a
// workflow still running at end (see Wait); open are its history's open
// activities by activity ID, seen what the sampler saw of each.
func pendingWaits(wid string, pending []*workflowpb.PendingActivityInfo, open map[string]*openActivity, end time.Time, seen func(string) attempts) []Wait {
	var out []Wait
	for _, pa := range pending {
		w := Wait{Workflow: wid, Step: "activity " + pa.GetActivityId(), Action: pa.GetActivityType().GetName(),
			Attempt: pa.GetAttempt(), Pending: true, Cause: failureText(pa.GetLastFailure())}
		first := pa.GetScheduledTime().AsTime()
		if a := open[pa.GetActivityId()]; a != nil {
			w.Step, first = a.step, a.scheduled
		}
		started := pa.GetLastStartedTime().AsTime()
		switch {
		case pa.GetAttempt() > 1:
			from, ok := seen(pa.GetActivityId()).lostSince(pa.GetAttempt())
			if !ok {
				from, w.Bound = first, true
			}
			w.Took = end.Sub(from)
		case pa.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED && end.Sub(started) > StuckAfter:
			w.Took = end.Sub(started)
			w.Cause = "its first attempt started " + w.Took.Round(time.Second).String() + " before the end and never completed"
		default:
			continue
		}
		out = append(out, w)
	}
	return out
}

// taskTime is the time of a workflow task's start, or of its scheduling
// when it never started.
func taskTime(times map[int64]time.Time, started, scheduled int64) time.Time {
	if t, ok := times[started]; ok && started != 0 {
		return t
	}
	return times[scheduled]
}

// summary is an activity's summary (the step ID, as the workflows set
// it), else its activity ID.
func summary(e *historypb.HistoryEvent, activityID string) string {
	if p := e.GetUserMetadata().GetSummary(); p != nil {
		var s string
		if codec.DataConverter().FromPayload(p, &s) == nil && s != "" {
			return s
		}
	}
	return "activity " + activityID
}

// failureText is a failure's message, its timeout type named.
func failureText(f *failurepb.Failure) string {
	if f == nil {
		return ""
	}
	msg := f.GetMessage()
	if ti := f.GetTimeoutFailureInfo(); ti != nil {
		msg = timeoutName(ti.GetTimeoutType()) + " timeout"
	}
	if c := f.GetCause(); c != nil && c.GetMessage() != "" && !strings.Contains(msg, c.GetMessage()) {
		msg += ": " + c.GetMessage()
	}
	return msg
}

// timeoutName names a timeout type as people write it.
func timeoutName(t enumspb.TimeoutType) string {
	switch t {
	case enumspb.TIMEOUT_TYPE_START_TO_CLOSE:
		return "start-to-close"
	case enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START:
		return "schedule-to-start"
	case enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE:
		return "schedule-to-close"
	case enumspb.TIMEOUT_TYPE_HEARTBEAT:
		return "heartbeat"
	}
	return "unknown"
}

// oneLine cuts s to one line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// batchWaits reads the histories of every workflow of the batch (each
// run of the batch workflow, each site) and returns every recovery wait,
// longest first. end is the end of the scenario, for what still runs; sm
// is what the sampler saw.
func (b *batch) batchWaits(ctx context.Context, end time.Time, sm *sampler) ([]Wait, error) {
	q := fmt.Sprintf("%s = '%s'", workflows.SearchAttrBatchID, b.id)
	type exec struct {
		wid, rid string
		running  bool
	}
	var execs []exec
	var token []byte
	for {
		resp, err := b.s.tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: q, PageSize: 1000, NextPageToken: token})
		if err != nil {
			return nil, fmt.Errorf("list the batch's workflows: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			execs = append(execs, exec{e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId(),
				e.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING})
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	var mu sync.Mutex
	var all []Wait
	var firstErr error
	forEach(ctx, execs, 4, func(x exec) {
		ws, err := b.execWaits(ctx, x.wid, x.rid, x.running, end, sm)
		mu.Lock()
		defer mu.Unlock()
		if err != nil && firstErr == nil {
			firstErr = err
		}
		all = append(all, ws...)
	})
	sort.SliceStable(all, func(i, j int) bool { return all[i].Took > all[j].Took })
	return all, firstErr
}

// execWaits reads one run's history (and, while it runs, its pending
// activities).
func (b *batch) execWaits(ctx context.Context, wid, rid string, running bool, end time.Time, sm *sampler) ([]Wait, error) {
	it := b.s.tc.GetWorkflowHistory(ctx, wid, rid, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var events []*historypb.HistoryEvent
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", wid, err)
		}
		events = append(events, e)
	}
	if b.histories != nil {
		b.histories.add(wid, events)
	}
	seen := func(id string) attempts { return sm.of(rid, id) }
	ws, open := historyWaits(wid, events, seen)
	if running {
		d, err := b.s.tc.DescribeWorkflowExecution(ctx, wid, rid)
		if err != nil {
			return ws, fmt.Errorf("describe %s: %w", wid, err)
		}
		ws = append(ws, pendingWaits(wid, d.GetPendingActivities(), open, end, seen)...)
	}
	return ws, nil
}

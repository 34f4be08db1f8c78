package chaos

import (
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// history builds events from (second, event) pairs, numbering them.
type history struct{ events []*historypb.HistoryEvent }

func (h *history) add(sec float64, typ enumspb.EventType, set func(e *historypb.HistoryEvent)) int64 {
	e := &historypb.HistoryEvent{EventId: int64(len(h.events) + 1), EventType: typ,
		EventTime: timestamppb.New(t0.Add(time.Duration(sec * float64(time.Second))))}
	if set != nil {
		set(e)
	}
	h.events = append(h.events, e)
	return e.EventId
}

func (h *history) scheduled(sec float64, id, action, step string) int64 {
	p, _ := converter.GetDefaultDataConverter().ToPayload(step)
	return h.add(sec, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, func(e *historypb.HistoryEvent) {
		e.UserMetadata = &sdkpb.UserMetadata{Summary: p}
		e.Attributes = &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{
			ActivityId: id, ActivityType: &commonpb.ActivityType{Name: action}}}
	})
}

func (h *history) started(sec float64, sched int64, attempt int32, last *failurepb.Failure) {
	h.add(sec, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_ActivityTaskStartedEventAttributes{ActivityTaskStartedEventAttributes: &historypb.ActivityTaskStartedEventAttributes{
			ScheduledEventId: sched, Attempt: attempt, LastFailure: last}}
	})
}

func (h *history) completed(sec float64, sched int64) {
	h.add(sec, enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_ActivityTaskCompletedEventAttributes{ActivityTaskCompletedEventAttributes: &historypb.ActivityTaskCompletedEventAttributes{ScheduledEventId: sched}}
	})
}

func heartbeatTimeout() *failurepb.Failure {
	return &failurepb.Failure{Message: "activity Heartbeat timeout", FailureInfo: &failurepb.Failure_TimeoutFailureInfo{
		TimeoutFailureInfo: &failurepb.TimeoutFailureInfo{TimeoutType: enumspb.TIMEOUT_TYPE_HEARTBEAT}}}
}

func TestHistoryWaitsActivities(t *testing.T) {
	var h history
	// First attempt done: no wait, however long it queued.
	a := h.scheduled(0, "1", "catalog.undelete", "catalog-undelete")
	h.started(40, a, 1, nil)
	h.completed(41, a)
	// Lost attempt: scheduled at 10, final attempt started at 55 after a
	// heartbeat timeout.
	b := h.scheduled(10, "2", "db.restore_tenant", "restore-db-jira")
	h.started(55, b, 2, heartbeatTimeout())
	h.completed(56, b)
	// Failed after three attempts at 30 s.
	c := h.scheduled(12, "3", "validate.automated", "validate-site")
	h.started(28, c, 3, &failurepb.Failure{Message: "HTTP 500"})
	h.add(30, enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_ActivityTaskFailedEventAttributes{ActivityTaskFailedEventAttributes: &historypb.ActivityTaskFailedEventAttributes{
			ScheduledEventId: c, Failure: &failurepb.Failure{Message: "validate: HTTP 500"}}}
	})
	// A permanent error on the first attempt parks at once: no wait.
	d := h.scheduled(13, "4", "search.reindex", "reindex-jira")
	h.started(14, d, 1, nil)
	h.add(14.1, enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_ActivityTaskFailedEventAttributes{ActivityTaskFailedEventAttributes: &historypb.ActivityTaskFailedEventAttributes{ScheduledEventId: d}}
	})
	// Timed out (start-to-close) on its only attempt: waited until then.
	e := h.scheduled(15, "5", "identity.sync", "identity-sync")
	h.add(915, enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, func(ev *historypb.HistoryEvent) {
		ev.Attributes = &historypb.HistoryEvent_ActivityTaskTimedOutEventAttributes{ActivityTaskTimedOutEventAttributes: &historypb.ActivityTaskTimedOutEventAttributes{
			ScheduledEventId: e, Failure: &failurepb.Failure{FailureInfo: &failurepb.Failure_TimeoutFailureInfo{TimeoutFailureInfo: &failurepb.TimeoutFailureInfo{TimeoutType: enumspb.TIMEOUT_TYPE_START_TO_CLOSE}}}}}
	})
	// Still open at the end of the history.
	h.scheduled(20, "6", "media.undelete", "media-jira")

	// The sampler saw restore-db-jira's first attempt running from +20s
	// and its retry due at +52s (it then queued until +55s).
	seen := func(id string) attempts {
		if id != "2" {
			return attempts{}
		}
		return attempts{started: map[int32]time.Time{1: t0.Add(20 * time.Second)}, ready: map[int32]time.Time{2: t0.Add(52 * time.Second)}}
	}
	ws, open := historyWaits("lazarus-site-s1", h.events, seen)
	want := map[string]struct {
		took         time.Duration
		cause        string
		bound, count bool
	}{
		"restore-db-jira": {32 * time.Second, "heartbeat timeout", false, true},
		"validate-site":   {18 * time.Second, "validate: HTTP 500", true, false},
		"identity-sync":   {900 * time.Second, "start-to-close timeout", true, true},
	}
	if len(ws) != len(want) {
		t.Fatalf("waits %+v, want %d", ws, len(want))
	}
	for _, w := range ws {
		x, ok := want[w.Step]
		if !ok || w.Took != x.took || w.Cause != x.cause || w.Bound != x.bound || w.counts() != x.count {
			t.Errorf("wait %+v (counts %v), want %+v", w, w.counts(), x)
		}
	}
	if len(open) != 1 || open["6"] == nil || open["6"].step != "media-jira" || !open["6"].scheduled.Equal(t0.Add(20*time.Second)) {
		t.Fatalf("open activities %+v, want media-jira scheduled at +20s", open)
	}
}

func TestHistoryWaitsWorkflowTasks(t *testing.T) {
	var h history
	s1 := h.add(0, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, nil)
	st1 := h.add(1, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED, nil)
	h.add(11, enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_WorkflowTaskTimedOutEventAttributes{WorkflowTaskTimedOutEventAttributes: &historypb.WorkflowTaskTimedOutEventAttributes{
			ScheduledEventId: s1, StartedEventId: st1, TimeoutType: enumspb.TIMEOUT_TYPE_START_TO_CLOSE}}
	})
	h.add(11, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, nil)
	h.add(13.5, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED, nil)
	// A sticky task never started: counted from its scheduling.
	s3 := h.add(20, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, nil)
	h.add(25, enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_WorkflowTaskTimedOutEventAttributes{WorkflowTaskTimedOutEventAttributes: &historypb.WorkflowTaskTimedOutEventAttributes{
			ScheduledEventId: s3, TimeoutType: enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START}}
	})
	h.add(25, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, nil)
	h.add(26, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED, nil)
	ws, _ := historyWaits("lazarus-batch-b", h.events, func(string) attempts { return attempts{} })
	if len(ws) != 2 || ws[0].Took != 12500*time.Millisecond || ws[1].Took != 6*time.Second ||
		ws[0].Cause != "workflow task timed out (start-to-close)" || ws[1].Cause != "workflow task timed out (schedule-to-start)" {
		t.Fatalf("workflow task waits %+v", ws)
	}
}

func TestPendingWaits(t *testing.T) {
	end := t0.Add(10 * time.Minute)
	open := map[string]*openActivity{"7": {id: "7", scheduled: t0, step: "apps"}}
	pending := []*workflowpb.PendingActivityInfo{
		// Past its first attempt: from its scheduling in the history.
		{ActivityId: "7", ActivityType: &commonpb.ActivityType{Name: "apps.reattach"}, Attempt: 3,
			State: enumspb.PENDING_ACTIVITY_STATE_SCHEDULED, LastFailure: heartbeatTimeout(), ScheduledTime: timestamppb.New(t0.Add(9 * time.Minute))},
		// A first attempt started 4 minutes before the end: a lost task.
		{ActivityId: "8", ActivityType: &commonpb.ActivityType{Name: "flags.restore"}, Attempt: 1,
			State: enumspb.PENDING_ACTIVITY_STATE_STARTED, LastStartedTime: timestamppb.New(end.Add(-4 * time.Minute))},
		// Queued or just started: no wait.
		{ActivityId: "9", Attempt: 1, State: enumspb.PENDING_ACTIVITY_STATE_SCHEDULED},
		{ActivityId: "10", Attempt: 1, State: enumspb.PENDING_ACTIVITY_STATE_STARTED, LastStartedTime: timestamppb.New(end.Add(-5 * time.Second))},
	}
	ws := pendingWaits("lazarus-site-s", pending, open, end, func(string) attempts { return attempts{} })
	if len(ws) != 2 {
		t.Fatalf("pending waits %+v, want 2", ws)
	}
	if ws[0].Step != "apps" || ws[0].Took != 10*time.Minute || !ws[0].Pending || !ws[0].Bound || ws[0].Cause != "heartbeat timeout" {
		t.Errorf("retried pending activity: %+v", ws[0])
	}
	if ws[1].Step != "activity 8" || ws[1].Took != 4*time.Minute || !strings.Contains(ws[1].Cause, "never completed") {
		t.Errorf("lost first attempt: %+v", ws[1])
	}
	if s := ws[0].String(); !strings.Contains(s, "site-s: apps (attempt 3) still pending (upper bound: no earlier attempt seen), after: heartbeat timeout") {
		t.Errorf("String() = %q", s)
	}
}

func TestSamplerRecordsAttempts(t *testing.T) {
	sm := newSampler()
	at := func(sec int) *timestamppb.Timestamp { return timestamppb.New(t0.Add(time.Duration(sec) * time.Second)) }
	// Attempt 1 seen running, then its retry waiting (attempt 1 ended at
	// +40, attempt 2 due at +41), then attempt 2 running.
	sm.record("run", &workflowpb.PendingActivityInfo{ActivityId: "5", Attempt: 1, State: enumspb.PENDING_ACTIVITY_STATE_STARTED, LastStartedTime: at(3)})
	sm.record("run", &workflowpb.PendingActivityInfo{ActivityId: "5", Attempt: 2, State: enumspb.PENDING_ACTIVITY_STATE_SCHEDULED,
		LastAttemptCompleteTime: at(40), ScheduledTime: at(41), LastFailure: heartbeatTimeout()})
	sm.record("run", &workflowpb.PendingActivityInfo{ActivityId: "5", Attempt: 2, State: enumspb.PENDING_ACTIVITY_STATE_STARTED, LastStartedTime: at(45)})
	a := sm.of("run", "5")
	if from, ok := a.lostSince(2); !ok || !from.Equal(t0.Add(3*time.Second)) {
		t.Errorf("lostSince(2) = %v %v, want +3s", from, ok)
	}
	// One loss: from attempt 1's start to attempt 2 due.
	if w, ok := a.longestWait(2, t0.Add(45*time.Second), "heartbeat timeout"); !ok || w != 38*time.Second {
		t.Errorf("longestWait(2) = %s %v, want 38s (+3s to +41s)", w, ok)
	}
	// Two losses in a row recover one at a time: 38s, then +45s to +100s.
	if w, ok := a.longestWait(3, t0.Add(100*time.Second), "heartbeat timeout"); !ok || w != 55*time.Second {
		t.Errorf("longestWait(3) after two timeouts = %s %v, want 55s", w, ok)
	}
	// Errors join one wait: from +3s to +100s (attempt 1 failing with a
	// 503 this time).
	sm.record("run", &workflowpb.PendingActivityInfo{ActivityId: "5", Attempt: 2, State: enumspb.PENDING_ACTIVITY_STATE_STARTED,
		LastStartedTime: at(45), LastFailure: &failurepb.Failure{Message: "catalog: HTTP 503"}})
	if w, ok := sm.of("run", "5").longestWait(3, t0.Add(100*time.Second), "catalog: HTTP 503"); !ok || w != 97*time.Second {
		t.Errorf("longestWait(3) after two errors = %s %v, want 97s", w, ok)
	}
	if from, ok := a.lostSince(3); !ok || !from.Equal(t0.Add(3*time.Second)) {
		t.Errorf("lostSince(3) = %v %v, want the first attempt's start", from, ok)
	}
	// Only an end seen: the loss counts from it.
	sm.record("run", &workflowpb.PendingActivityInfo{ActivityId: "6", Attempt: 3, State: enumspb.PENDING_ACTIVITY_STATE_SCHEDULED, LastAttemptCompleteTime: at(9)})
	if from, ok := sm.of("run", "6").lostSince(3); !ok || !from.Equal(t0.Add(9*time.Second)) {
		t.Errorf("lostSince from an end = %v %v, want +9s", from, ok)
	}
	if _, ok := sm.of("other-run", "5").lostSince(2); ok {
		t.Error("another run's activity 5 was seen")
	}
}

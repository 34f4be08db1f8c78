package main

import (
	"context"
	"fmt"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"
)

// The Temporal server's warning limits of one run's history (the defaults
// of limit.historySize.warn and limit.historyCount.warn): a batch run must
// continue as new well before them.
const (
	historyBytesWarn  = 10 * 1024 * 1024
	historyEventsWarn = 10 * 1024
)

// limits is what the histories of a Lazarus batch's runs say about the
// server's limits.
type limits struct {
	Runs      int
	MaxEvents int
	MaxBytes  int
	// TaskFailures counts WorkflowTaskFailed events, of any cause, and
	// TaskTimeouts WorkflowTaskTimedOut events (neither is a limit unless
	// a failure's cause is a size or a count).
	TaskFailures, TaskTimeouts int
	// Hit lists every limit hit, one line each (none: nil).
	Hit []string
}

// merge adds o (another run of the program) to l.
func (l *limits) merge(o limits) {
	l.Runs = max(l.Runs, o.Runs)
	l.MaxEvents = max(l.MaxEvents, o.MaxEvents)
	l.MaxBytes = max(l.MaxBytes, o.MaxBytes)
	l.TaskFailures += o.TaskFailures
	l.TaskTimeouts += o.TaskTimeouts
	l.Hit = append(l.Hit, o.Hit...)
}

// batchLimits reads every run of the batch workflow wid, from its first
// run runID along the continue-as-new chain, and checks each against the
// warning limits and for workflow tasks that failed over a size or a
// limit.
func batchLimits(ctx context.Context, c client.Client, wid, runID string) (limits, error) {
	var l limits
	for runID != "" {
		var events []*historypb.HistoryEvent
		it := c.GetWorkflowHistory(ctx, wid, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				return l, fmt.Errorf("history of %s run %s: %w", wid, runID, err)
			}
			events = append(events, e)
		}
		l.Runs++
		n, size := len(events), proto.Size(&historypb.History{Events: events})
		l.MaxEvents, l.MaxBytes = max(l.MaxEvents, n), max(l.MaxBytes, size)
		if n > historyEventsWarn {
			l.Hit = append(l.Hit, fmt.Sprintf("run %d: %d events (warning limit %d)", l.Runs, n, historyEventsWarn))
		}
		if size > historyBytesWarn {
			l.Hit = append(l.Hit, fmt.Sprintf("run %d: %d bytes of history (warning limit %d)", l.Runs, size, historyBytesWarn))
		}
		runID = ""
		for _, e := range events {
			switch e.GetEventType() {
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
				l.TaskFailures++
				at := e.GetWorkflowTaskFailedEventAttributes()
				if why, ok := sizeFailure(at.GetCause(), at.GetFailure().GetMessage()); ok {
					l.Hit = append(l.Hit, fmt.Sprintf("run %d: workflow task failed: %s", l.Runs, why))
				}
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
				l.TaskTimeouts++
			case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
				runID = e.GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()
			case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
				l.Hit = append(l.Hit, fmt.Sprintf("run %d: terminated: %s", l.Runs, e.GetWorkflowExecutionTerminatedEventAttributes().GetReason()))
			}
		}
	}
	return l, nil
}

// sizeFailure says whether a workflow task failed over a size or a count
// limit, and how.
func sizeFailure(cause enumspb.WorkflowTaskFailedCause, msg string) (string, bool) {
	switch cause {
	case enumspb.WORKFLOW_TASK_FAILED_CAUSE_GRPC_MESSAGE_TOO_LARGE,
		enumspb.WORKFLOW_TASK_FAILED_CAUSE_PAYLOADS_TOO_LARGE,
		enumspb.WORKFLOW_TASK_FAILED_CAUSE_REQUEST_TOO_LARGE,
		enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_INPUT_SIZE,
		enumspb.WORKFLOW_TASK_FAILED_CAUSE_PENDING_CHILD_WORKFLOWS_LIMIT_EXCEEDED,
		enumspb.WORKFLOW_TASK_FAILED_CAUSE_PENDING_ACTIVITIES_LIMIT_EXCEEDED,
		enumspb.WORKFLOW_TASK_FAILED_CAUSE_PENDING_SIGNALS_LIMIT_EXCEEDED,
		enumspb.WORKFLOW_TASK_FAILED_CAUSE_PENDING_REQUEST_CANCEL_LIMIT_EXCEEDED:
		return cause.String() + ": " + msg, true
	}
	low := strings.ToLower(msg)
	for _, s := range []string{"size limit", "too large", "exceeds limit", "limit exceeded"} {
		if strings.Contains(low, s) {
			return cause.String() + ": " + msg, true
		}
	}
	return "", false
}

package chaos

import (
	"math"
	"sort"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lazarus-dr/lazarus/runbooks"
)

// HistoryStats is where a batch spent its time, action by action, and how
// large its histories grew, read from the same histories as the recovery
// waits (every run of the batch workflow and every site workflow).
type HistoryStats struct {
	// Actions are the closed activity executions by activity type.
	Actions map[string]ActionStats `json:"actions"`
	// Activities counts the closed executions of runbook actions (the
	// Lazarus-internal activities, such as lazarus.site-owner, left out).
	Activities int `json:"activities"`
	// SiteHistoryEvents are the events per site workflow history.
	SiteHistoryEvents Spread `json:"site_history_events"`
	// BatchRuns counts the batch workflow's runs (continue-as-new).
	BatchRuns int `json:"batch_runs"`
	// BatchMaxHistoryEvents and BatchMaxHistoryBytes are the largest of
	// the batch runs' histories (bytes: the serialized events).
	BatchMaxHistoryEvents int `json:"batch_max_history_events"`
	BatchMaxHistoryBytes  int `json:"batch_max_history_bytes"`
}

// ActionStats are the times of one action's activity executions, from
// ActivityTaskScheduled to the event that closed it (total), split into
// the queue (scheduled to ActivityTaskStarted) and the run (started to the
// close), as nearest-rank percentiles in seconds. The history keeps only
// the final attempt's start, so for a retried execution the earlier
// attempts and their retry waits count as queue (Retried says how many
// executions needed more than one attempt).
type ActionStats struct {
	Count    int     `json:"count"`
	Failed   int     `json:"failed,omitempty"` // closed other than completed
	Retried  int     `json:"retried,omitempty"`
	P50      float64 `json:"p50_seconds"`
	P95      float64 `json:"p95_seconds"`
	QueueP50 float64 `json:"queue_p50_seconds"`
	QueueP95 float64 `json:"queue_p95_seconds"`
	RunP50   float64 `json:"run_p50_seconds"`
	RunP95   float64 `json:"run_p95_seconds"`
}

// Spread is a count's nearest-rank median and maximum over N values.
type Spread struct {
	N   int `json:"n"`
	P50 int `json:"p50"`
	Max int `json:"max"`
}

// activityTime is one closed activity execution of a history.
type activityTime struct {
	action      string
	scheduledAt time.Time
	startedAt   time.Time
	total       time.Duration
	queue, run  time.Duration
	started     bool // queue and run were measured
	completed   bool
	attempt     int32 // the final attempt's number
}

// activityTimes pairs each ActivityTaskScheduled event of a history with
// its ActivityTaskStarted and its closing event (each names the scheduled
// event by ID) and returns the closed executions, in closing order.
func activityTimes(events []*historypb.HistoryEvent) []activityTime {
	open := map[int64]*activityTime{}
	var out []activityTime
	closeAt := func(id int64, at time.Time, completed bool) {
		a := open[id]
		if a == nil {
			return
		}
		delete(open, id)
		a.total, a.completed = at.Sub(a.scheduledAt), completed
		if a.started {
			a.queue, a.run = a.startedAt.Sub(a.scheduledAt), at.Sub(a.startedAt)
		}
		out = append(out, *a)
	}
	for _, e := range events {
		t := e.GetEventTime().AsTime()
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			name := e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
			open[e.GetEventId()] = &activityTime{action: name, scheduledAt: t}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			at := e.GetActivityTaskStartedEventAttributes()
			if a := open[at.GetScheduledEventId()]; a != nil {
				a.started, a.startedAt, a.attempt = true, t, at.GetAttempt()
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			closeAt(e.GetActivityTaskCompletedEventAttributes().GetScheduledEventId(), t, true)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
			closeAt(e.GetActivityTaskFailedEventAttributes().GetScheduledEventId(), t, false)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
			closeAt(e.GetActivityTaskTimedOutEventAttributes().GetScheduledEventId(), t, false)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
			closeAt(e.GetActivityTaskCanceledEventAttributes().GetScheduledEventId(), t, false)
		}
	}
	return out
}

// historyTally gathers the histories a batch's measurement reads (from
// several goroutines) into HistoryStats.
type historyTally struct {
	batchWID string

	mu         sync.Mutex
	acts       map[string][]activityTime
	siteEvents []int
	runEvents  []int
	runBytes   []int
}

// newHistoryTally tallies the histories of the batch whose workflow ID is
// batchWID (its runs) and of its sites (every other workflow).
func newHistoryTally(batchWID string) *historyTally {
	return &historyTally{batchWID: batchWID, acts: map[string][]activityTime{}}
}

// add takes one run's history: wid is its workflow ID (the batch's, or a
// site's).
func (t *historyTally) add(wid string, events []*historypb.HistoryEvent) {
	times := activityTimes(events)
	size := 0
	if wid == t.batchWID {
		size = proto.Size(&historypb.History{Events: events})
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, a := range times {
		t.acts[a.action] = append(t.acts[a.action], a)
	}
	if wid == t.batchWID {
		t.runEvents = append(t.runEvents, len(events))
		t.runBytes = append(t.runBytes, size)
		return
	}
	t.siteEvents = append(t.siteEvents, len(events))
}

// stats sums up what add was given.
func (t *historyTally) stats() HistoryStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	runbook := map[string]bool{}
	for _, name := range runbooks.ActivityNames() {
		runbook[name] = true
	}
	s := HistoryStats{Actions: map[string]ActionStats{}, BatchRuns: len(t.runEvents),
		SiteHistoryEvents: spread(t.siteEvents)}
	for _, n := range t.runEvents {
		s.BatchMaxHistoryEvents = max(s.BatchMaxHistoryEvents, n)
	}
	for _, n := range t.runBytes {
		s.BatchMaxHistoryBytes = max(s.BatchMaxHistoryBytes, n)
	}
	for name, times := range t.acts {
		s.Actions[name] = actionStats(times)
		if runbook[name] {
			s.Activities += len(times)
		}
	}
	return s
}

// actionStats are the percentiles of one action's executions.
func actionStats(times []activityTime) ActionStats {
	var total, queue, run []float64
	st := ActionStats{Count: len(times)}
	for _, a := range times {
		total = append(total, a.total.Seconds())
		if a.started {
			queue = append(queue, a.queue.Seconds())
			run = append(run, a.run.Seconds())
		}
		if !a.completed {
			st.Failed++
		}
		if a.attempt > 1 {
			st.Retried++
		}
	}
	st.P50, st.P95 = nearestRank(total, 50), nearestRank(total, 95)
	st.QueueP50, st.QueueP95 = nearestRank(queue, 50), nearestRank(queue, 95)
	st.RunP50, st.RunP95 = nearestRank(run, 50), nearestRank(run, 95)
	return st
}

// nearestRank is the p-th percentile of xs by the nearest-rank method (the
// smallest value with at least p% of the values at or below it), rounded
// to the millisecond; 0 for no values. It sorts xs.
func nearestRank(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	rank := int(math.Ceil(p / 100 * float64(len(xs))))
	rank = min(max(rank, 1), len(xs))
	return math.Round(xs[rank-1]*1000) / 1000
}

// spread is the median and maximum of ns.
func spread(ns []int) Spread {
	if len(ns) == 0 {
		return Spread{}
	}
	xs := make([]float64, len(ns))
	m := 0
	for i, n := range ns {
		xs[i] = float64(n)
		m = max(m, n)
	}
	return Spread{N: len(ns), P50: int(nearestRank(xs, 50)), Max: m}
}

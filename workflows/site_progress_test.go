package workflows

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/runbooks"
)

// memoLog records a site's memo upserts of its progress, with the
// workflow's clock at each.
type memoLog struct {
	mu    sync.Mutex
	start time.Time
	at    []time.Duration // since the workflow's start
	got   []SiteProgress
	ends  int // upserts of the full result
}

func watchMemo(env *testsuite.TestWorkflowEnvironment) *memoLog {
	start := env.Now()
	l := &memoLog{start: start}
	env.OnUpsertMemo(mock.Anything).Run(func(args mock.Arguments) {
		m := args.Get(0).(map[string]interface{})
		l.mu.Lock()
		defer l.mu.Unlock()
		if p, ok := m[MemoSiteProgress]; ok {
			l.at = append(l.at, env.Now().Sub(start))
			l.got = append(l.got, p.(SiteProgress))
		}
		if _, ok := m[MemoSiteResult]; ok {
			l.ends++
		}
	}).Return(nil)
	return l
}

// chain is a plan of steps one after the other, each of its own stage
// (stage-<id>) unless stage is set.
func chain(stage string, ids ...string) runbooks.Plan {
	var steps []runbooks.PlanStep
	for i, id := range ids {
		st := step(id, id)
		if i > 0 {
			st = step(id, id, ids[i-1])
		}
		if stage != "" {
			st.Stage = stage
		}
		steps = append(steps, st)
	}
	return plan(steps...)
}

// runChain runs the plan's steps, each taking d on the workflow's clock,
// and returns the memo's progress upserts.
func runChain(t *testing.T, p runbooks.Plan, d time.Duration) *memoLog {
	return runChainIn(t, newEnv(t), p, d)
}

// runChainIn is runChain in env.
func runChainIn(t *testing.T, env *testsuite.TestWorkflowEnvironment, p runbooks.Plan, d time.Duration) *memoLog {
	rec := newRecorder()
	for _, st := range p.Steps {
		rec.register(env, st.Action, ok(st.Action))
	}
	for _, st := range p.Steps {
		env.OnActivity(st.Action, mock.Anything, mock.Anything).After(d).Return(contract.StepOutput{Message: st.Action}, nil)
	}
	l := watchMemo(env)
	env.ExecuteWorkflow(RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "b1", Site: testSite, Plan: p})
	if res := siteResult(t, env); res.Outcome != SiteRestored {
		t.Fatalf("outcome %s, want restored (%v)", res.Outcome, res.Errors)
	}
	if l.ends != 1 {
		t.Errorf("%d upserts of the full result, want 1", l.ends)
	}
	return l
}

// without drops the upserts' times, which the memoLog keeps apart.
func without(ps []SiteProgress) []SiteProgress {
	out := make([]SiteProgress, len(ps))
	for i, p := range ps {
		p.At = time.Time{}
		out[i] = p
	}
	return out
}

// A running site whose steps take longer than StageUpsertInterval, each
// of its own stage, upserts its stage after each step, and its done steps
// per stage with it; not at its end (its batch counts them from its
// result).
func TestSiteKeepsProgressInMemo(t *testing.T) {
	step := StageUpsertInterval + time.Second
	l := runChain(t, chain("", "a", "b", "c"), step)
	want := []SiteProgress{
		{StepsDone: 1, StepsDoneByStage: map[string]int{"stage-a": 1}},
		{StepsDone: 2, StepsDoneByStage: map[string]int{"stage-a": 1, "stage-b": 1}},
	}
	if got := without(l.got); !reflect.DeepEqual(got, want) {
		t.Fatalf("progress upserted %+v, want %+v", got, want)
	}
	for i, at := range l.at {
		if want := time.Duration(i+1) * step; at != want || !l.got[i].At.Equal(l.start.Add(want)) {
			t.Errorf("upsert %d at %s (says %s), want %s (when step %d ended)", i, at, l.got[i].At, want, i+1)
		}
	}
}

// Steps that end within StageUpsertInterval of the site's start upsert no
// search attribute, and no progress: the memo takes no moment of its own
// before ProgressUpsertInterval.
func TestSiteProgressWaitsForTheInterval(t *testing.T) {
	l := runChain(t, chain("", "a", "b", "c"), time.Second)
	if len(l.got) != 0 {
		t.Fatalf("progress upserted %+v at %v, want none (3 steps of 1 s, then the end)", l.got, l.at)
	}
}

// A site that stays in one stage upserts no search attribute; its
// progress goes on its own once ProgressUpsertInterval has passed.
func TestSiteProgressOnItsOwnInOneStage(t *testing.T) {
	l := runChain(t, chain("data", "a", "b", "c", "d"), 10*time.Second)
	want := []SiteProgress{{StepsDone: 3, StepsDoneByStage: map[string]int{"data": 3}}}
	if got := without(l.got); !reflect.DeepEqual(got, want) || l.at[0] != ProgressUpsertInterval {
		t.Fatalf("progress upserted %+v at %v, want %+v at %s", got, l.at, want, ProgressUpsertInterval)
	}
}

// A worker whose data converter encodes every payload with a codec (zlib
// here; an encryption service behind a remote codec in production) writes
// the progress memo encoded. The site does not read its memo back (it
// could not decode it: workflow code has no access to the worker's data
// converter), so it keeps the same pace as with plain payloads: one upsert
// per ProgressUpsertInterval, not one per step once the first interval has
// passed.
func TestSiteProgressPaceWithACodec(t *testing.T) {
	env := newEnv(t)
	env.SetDataConverter(converter.NewCodecDataConverter(converter.GetDefaultDataConverter(),
		converter.NewZlibCodec(converter.ZlibCodecOptions{AlwaysEncode: true})))
	l := runChainIn(t, env, chain("data", "a", "b", "c", "d", "e", "f", "g", "h"), 10*time.Second)
	want := []time.Duration{ProgressUpsertInterval, 2 * ProgressUpsertInterval}
	if !reflect.DeepEqual(l.at, want) {
		t.Fatalf("progress upserted at %v (%+v), want at %v", l.at, without(l.got), want)
	}
}

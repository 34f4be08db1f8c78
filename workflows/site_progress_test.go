package workflows

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/lazarus-dr/lazarus/contract"
)

// memoLog records a site's memo upserts of its progress, with the
// workflow's clock at each.
type memoLog struct {
	mu   sync.Mutex
	at   []time.Duration // since the workflow's start
	got  []SiteProgress
	ends int // upserts of the full result
}

func watchMemo(env *testsuite.TestWorkflowEnvironment) *memoLog {
	l := &memoLog{}
	start := env.Now()
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

// slowChain runs three steps one after the other (stages stage-a, -b, -c),
// each taking d on the workflow's clock.
func slowChain(t *testing.T, d time.Duration) *memoLog {
	env := newEnv(t)
	rec := newRecorder()
	for _, a := range []string{"a", "b", "c"} {
		rec.register(env, a, ok(a))
	}
	for _, a := range []string{"a", "b", "c"} {
		env.OnActivity(a, mock.Anything, mock.Anything).After(d).Return(contract.StepOutput{Message: a}, nil)
	}
	l := watchMemo(env)
	env.ExecuteWorkflow(RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "b1", Site: testSite,
		Plan: plan(step("a", "a"), step("b", "b", "a"), step("c", "c", "b"))})
	if res := siteResult(t, env); res.Outcome != SiteRestored {
		t.Fatalf("outcome %s, want restored (%v)", res.Outcome, res.Errors)
	}
	if l.ends != 1 {
		t.Errorf("%d upserts of the full result, want 1", l.ends)
	}
	return l
}

// A running site whose steps take longer than StageUpsertInterval keeps
// its done steps per stage in its memo after each step; it does not
// upsert them at its end (its batch counts them from its result).
func TestSiteKeepsProgressInMemo(t *testing.T) {
	l := slowChain(t, StageUpsertInterval+time.Second)
	want := []SiteProgress{
		{StepsDone: 1, StepsDoneByStage: map[string]int{"stage-a": 1}},
		{StepsDone: 2, StepsDoneByStage: map[string]int{"stage-a": 1, "stage-b": 1}},
	}
	if !reflect.DeepEqual(l.got, want) {
		t.Fatalf("progress upserted %+v, want %+v", l.got, want)
	}
	step := StageUpsertInterval + time.Second
	for i, at := range l.at {
		if at != time.Duration(i+1)*step {
			t.Errorf("upsert %d at %s, want %s (when step %d ended)", i, at, time.Duration(i+1)*step, i+1)
		}
	}
}

// Steps that end within StageUpsertInterval of the site's start upsert no
// progress: the memo costs no moment of its own.
func TestSiteProgressWaitsForTheInterval(t *testing.T) {
	l := slowChain(t, time.Second)
	if len(l.got) != 0 {
		t.Fatalf("progress upserted %+v at %v, want none (3 steps of 1 s, then the end)", l.got, l.at)
	}
}

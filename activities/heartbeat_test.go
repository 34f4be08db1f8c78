package activities

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/platform"
)

// patience bounds how long a test waits for a deadline of a few hundred
// milliseconds to end a call: generous for a loaded 2-core machine, far
// below the defaults (a minute and more) that would mean it was ignored.
const patience = 10 * time.Second

// beats counts an Activities' heartbeats.
type beats struct {
	mu sync.Mutex
	n  int
}

func countBeats(a *Activities) *beats {
	b := &beats{}
	a.beat = func(context.Context, ...any) { b.mu.Lock(); b.n++; b.mu.Unlock() }
	return b
}

func (b *beats) count() int { b.mu.Lock(); defer b.mu.Unlock(); return b.n }

// steady waits until no heartbeat came for several periods and returns
// the count: polling, not a fixed sleep, so a slow machine only waits longer.
func (b *beats) steady(t *testing.T, period time.Duration) int {
	t.Helper()
	last, quiet := b.count(), 0
	for deadline := time.Now().Add(patience); time.Now().Before(deadline); {
		time.Sleep(period)
		if n := b.count(); n != last {
			last, quiet = n, 0
			continue
		}
		if quiet++; quiet >= 10 {
			return last
		}
	}
	t.Fatalf("still heartbeating %s after the deadline", patience)
	return 0
}

// A call that hangs but honours its context ends at keepAlive's deadline
// with an error; the ticker heartbeats while the call runs and never after.
func TestKeepAliveEndsAHungCallAtItsDeadline(t *testing.T) {
	const every = 20 * time.Millisecond
	a := New(Deps{HeartbeatEvery: every})
	b := countBeats(a)
	began := time.Now()
	cctx, stop := a.keepAlive(context.Background(), 300*time.Millisecond, func() any { return "x" })
	<-cctx.Done() // the hung call
	err := cctx.Err()
	stop()
	if took := time.Since(began); !errors.Is(err, context.DeadlineExceeded) || took > patience {
		t.Fatalf("hung call ended with %v after %s, want its deadline (300ms)", err, took)
	}
	during := b.count()
	if during == 0 {
		t.Error("no heartbeat while the call ran")
	}
	time.Sleep(10 * every)
	if after := b.count(); after != during {
		t.Errorf("%d heartbeats after the call ended", after-during)
	}
}

// A call that ignores its context (it runs on past the deadline): the ticker
// stops at the deadline by itself, so the step's heartbeat timeout fails
// the attempt and Temporal retries it.
func TestKeepAliveStopsAtTheDeadlineOfACallThatIgnoresIt(t *testing.T) {
	const every = 20 * time.Millisecond
	a := New(Deps{HeartbeatEvery: every})
	b := countBeats(a)
	cctx, stop := a.keepAlive(context.Background(), 300*time.Millisecond, nil)
	defer stop() // the call returns at last
	select {
	case <-cctx.Done():
	case <-time.After(patience):
		t.Fatal("the call's context did not end at its deadline")
	}
	if n := b.steady(t, every); n == 0 {
		t.Error("no heartbeat before the deadline")
	}
}

// hungFrontDoor answers only when the caller gives up.
type hungFrontDoor struct{}

func (hungFrontDoor) CheckSite(ctx context.Context, _ string) (platform.SiteHealth, error) {
	<-ctx.Done()
	return platform.SiteHealth{}, ctx.Err()
}

// hungPITR's clones never finish until the caller gives up.
type hungPITR struct{ fakePITR }

func (*hungPITR) Clone(ctx context.Context, _ platform.Cluster, _ time.Time) (CloneRef, error) {
	<-ctx.Done()
	return CloneRef{}, ctx.Err()
}

// Through Funcs, a hung platform call and a hung clone end at their
// deadlines in a retryable error that says so, with the attempt's details.
func TestHungCallsEndInARetryableError(t *testing.T) {
	a := New(Deps{Description: testDescription(), Catalog: fakeCatalog{}, FrontDoor: hungFrontDoor{}, PITR: &hungPITR{},
		CallTimeout: 300 * time.Millisecond, CloneTimeout: 300 * time.Millisecond})
	cases := map[string]contract.StepInput{
		contract.ActionValidateAutomated: {BatchID: "b", SiteID: "s1", StepID: "v", Action: contract.ActionValidateAutomated},
		contract.ActionDBClone: {BatchID: "b", StepID: "c", Action: contract.ActionDBClone, Params: map[string]string{"cluster": "platform"},
			Sites: []contract.SiteTarget{{SiteID: "s1", RestorePoint: time.Now().Add(-time.Hour)}}},
	}
	for action, in := range cases {
		began := time.Now()
		_, err := a.Funcs()[action](context.Background(), in)
		took := time.Since(began)
		if !errors.Is(err, context.DeadlineExceeded) || IsPermanent(err) || took > patience {
			t.Errorf("%s: %v after %s, want a retryable deadline error after about 300ms", action, err, took)
		}
		var d contract.FailureDetails
		if ae := appError(err); ae == nil || ae.Details(&d) != nil {
			t.Errorf("%s: %v carries no failure details", action, err)
		}
	}
}

// A call's heartbeats repeat the attempt's latest progress: before this
// attempt reports any, the previous attempt's, so that the details a retry
// resumes from are never overwritten by a heartbeat that only says "alive".
func TestKeepAliveRepeatsTheLatestProgress(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	a := New(Deps{HeartbeatEvery: 10 * time.Millisecond, QuietStart: -1})
	var mu sync.Mutex
	var seen []copyResume
	a.beat = func(_ context.Context, details ...any) {
		// What the SDK would send (before its throttling).
		raw, err := json.Marshal(details[0])
		var r copyResume
		if err != nil || json.Unmarshal(raw, &r) != nil {
			t.Errorf("heartbeat details %v: %v", details, err)
		}
		mu.Lock()
		seen = append(seen, r)
		mu.Unlock()
	}
	before := copyResume{Done: map[string][]string{"identity": {"users"}}, Rows: 7}
	env.SetHeartbeatDetails(before)
	slow := step(func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
		err := a.call(ctx, func(context.Context) error { time.Sleep(200 * time.Millisecond); return nil })
		a.heartbeat(ctx, copyResume{Done: map[string][]string{"identity": {"users", "groups"}}, Rows: 9})
		return contract.StepOutput{}, err
	})
	env.RegisterActivityWithOptions(slow, activity.RegisterOptions{Name: "slow"})
	if _, err := env.ExecuteActivity("slow", contract.StepInput{}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 2 {
		t.Fatalf("%d heartbeats, want the call's and the progress", len(seen))
	}
	for _, r := range seen[:len(seen)-1] {
		if r.Rows != before.Rows || len(r.Done["identity"]) != 1 {
			t.Errorf("a call's heartbeat %+v lost the previous attempt's progress %+v", r, before)
		}
	}
	if last := seen[len(seen)-1]; last.Rows != 9 {
		t.Errorf("last heartbeat %+v, want this attempt's progress", last)
	}
}

// Progress reported within QuietStart of the attempt's start stays in the
// pulse (no heartbeat is sent); after it, it is sent.
func TestProgressIsQuietAtTheStart(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	a := New(Deps{HeartbeatEvery: time.Hour, QuietStart: 150 * time.Millisecond})
	var mu sync.Mutex
	var sent []int
	a.beat = func(_ context.Context, details ...any) {
		mu.Lock()
		defer mu.Unlock()
		n, _ := details[0].(int)
		sent = append(sent, n)
	}
	act := step(func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
		ctx = withPulse(ctx)
		a.heartbeat(ctx, 1)
		if got := latest(ctx); got != 1 {
			t.Errorf("pulse holds %v, want the quiet progress 1", got)
		}
		time.Sleep(200 * time.Millisecond)
		a.heartbeat(ctx, 2)
		return contract.StepOutput{}, nil
	})
	env.RegisterActivityWithOptions(act, activity.RegisterOptions{Name: "quiet"})
	if _, err := env.ExecuteActivity("quiet", contract.StepInput{}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sent) != 1 || sent[0] != 2 {
		t.Fatalf("heartbeats sent %v, want only the progress after QuietStart [2]", sent)
	}
}

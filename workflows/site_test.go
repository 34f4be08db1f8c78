package workflows

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/runbooks"
	"github.com/stretchr/testify/mock"
)

var testSite = Site{SiteID: "s1", RestorePoint: time.Date(2026, 4, 5, 7, 33, 0, 0, time.UTC)}

// updateOutcome is what became of an update (the test env answers later).
type updateOutcome struct {
	name     string
	rejected error
	done     bool
	err      error
}

// update sends an update; check the outcome after the workflow ran.
func update(t *testing.T, env *testsuite.TestWorkflowEnvironment, name string, arg any) *updateOutcome {
	t.Helper()
	u := &updateOutcome{name: name}
	env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
		OnAccept:   func() {},
		OnReject:   func(err error) { u.rejected = err },
		OnComplete: func(_ any, err error) { u.done, u.err = true, err },
	}, arg)
	return u
}

func (u *updateOutcome) mustAccept(t *testing.T) {
	t.Helper()
	if u.rejected != nil || !u.done || u.err != nil {
		t.Errorf("update %s: rejected %v, done %v, err %v", u.name, u.rejected, u.done, u.err)
	}
}

// acceptLater checks, when the test ends, that the update was accepted and
// completed.
func (u *updateOutcome) acceptLater(t *testing.T) {
	t.Cleanup(func() { u.mustAccept(t) })
}

func (u *updateOutcome) mustReject(t *testing.T, contains string) {
	t.Helper()
	if u.rejected == nil || !strings.Contains(u.rejected.Error(), contains) {
		t.Errorf("update %s: rejected %v, want a rejection containing %q", u.name, u.rejected, contains)
	}
}

func query(t *testing.T, env *testsuite.TestWorkflowEnvironment) SiteState {
	t.Helper()
	v, err := env.QueryWorkflow(QuerySiteState)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	var st SiteState
	if err := v.Get(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func siteResult(t *testing.T, env *testsuite.TestWorkflowEnvironment) SiteResult {
	t.Helper()
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow error: %v", err)
	}
	var res SiteResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	// The site returns the brief result; its steps come from its state.
	if len(res.Steps) > 0 {
		t.Fatalf("the site returned %d step states, want the brief result (step times)", len(res.Steps))
	}
	res.Steps = query(t, env).Steps
	for _, bt := range res.StepTimes {
		if st := stepState(t, res.Steps, bt.StepID); st.Status != bt.Status {
			t.Fatalf("brief result: step %s %s, its state says %s", bt.StepID, bt.Status, st.Status)
		}
	}
	return res
}

func sleepy(d time.Duration, values map[string]string) func(context.Context, contract.StepInput) (contract.StepOutput, error) {
	return func(context.Context, contract.StepInput) (contract.StepOutput, error) {
		time.Sleep(d)
		return contract.StepOutput{Message: "slept", Values: values}, nil
	}
}

func TestSiteIndependentStepsRunConcurrently(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	rec.register(env, "a", sleepy(10*time.Millisecond, map[string]string{"new_site_id": "n1"}))
	rec.register(env, "b", sleepy(200*time.Millisecond, nil))
	rec.register(env, "c", sleepy(200*time.Millisecond, map[string]string{"x": "from-c"}))
	rec.register(env, "d", ok("d"))
	p := plan(step("a", "a"), step("b", "b", "a"), step("c", "c", "a"), step("d", "d", "b", "c"))
	env.ExecuteWorkflow(RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "b1", Site: testSite, Plan: p,
		Vars: map[string]string{"restore_point": "2026-04-05T07:30:00Z", "clone.jira.dsn": "postgres://x"}})
	res := siteResult(t, env)
	if res.Outcome != SiteRestored {
		t.Fatalf("outcome %s, errors %v", res.Outcome, res.Errors)
	}
	b, c := rec.spans["s1/b"], rec.spans["s1/c"]
	if !(b[0].Before(c[1]) && c[0].Before(b[1])) {
		t.Fatalf("b %v and c %v did not overlap", b, c)
	}
	if a, b := rec.spans["s1/a"], rec.spans["s1/b"]; b[0].Before(a[1]) {
		t.Fatalf("b started before a ended")
	}
	d := rec.inputs("d")[0]
	if d.Vars["new_site_id"] != "n1" || d.Vars["x"] != "from-c" || d.Vars["clone.jira.dsn"] != "postgres://x" {
		t.Fatalf("d vars %v", d.Vars)
	}
	if want := time.Date(2026, 4, 5, 7, 30, 0, 0, time.UTC); !d.RestorePoint.Equal(want) || !res.RestorePoint.Equal(want) {
		t.Fatalf("restore point %v / %v, want %v from vars", d.RestorePoint, res.RestorePoint, want)
	}
	for _, st := range res.Steps {
		if st.Status != StepDone || st.Attempts != 1 {
			t.Fatalf("step %+v", st)
		}
	}
}

// flaky fails until *allow is set.
func flaky(allow *atomic.Bool) func(context.Context, contract.StepInput) (contract.StepOutput, error) {
	return func(context.Context, contract.StepInput) (contract.StepOutput, error) {
		if allow.Load() {
			return contract.StepOutput{Message: "fixed"}, nil
		}
		return contract.StepOutput{}, temporal.NewApplicationError("shard unreachable", "Unreachable")
	}
}

func parkPlan() runbooks.Plan {
	// bad parks; indep goes on; after needs bad.
	return plan(step("bad", "bad"), step("indep", "indep"), step("after", "after", "bad"))
}

func TestSiteParkThenRetry(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	var allow atomic.Bool
	var ups []*updateOutcome
	rec.register(env, "bad", flaky(&allow))
	rec.register(env, "indep", ok("indep"))
	rec.register(env, "after", ok("after"))
	env.RegisterDelayedCallback(func() {
		st := query(t, env)
		if got := stepState(t, st.Steps, "bad").Status; got != StepParked {
			t.Errorf("bad is %s, want parked", got)
		}
		if got := stepState(t, st.Steps, "indep").Status; got != StepDone {
			t.Errorf("independent step is %s, want done while bad is parked", got)
		}
		if got := stepState(t, st.Steps, "after").Status; got != StepPending {
			t.Errorf("dependent step is %s, want pending", got)
		}
		if st.Status != SiteParked || !st.NeedsAttention {
			t.Errorf("site status %s attention %v", st.Status, st.NeedsAttention)
		}
		ups = append(ups,
			update(t, env, UpdateStepDecision, StepDecision{StepID: "indep", Decision: "retry", Operator: "op"}),
			update(t, env, UpdateStepDecision, StepDecision{StepID: "bad", Decision: "retry"}),
			update(t, env, UpdateStepDecision, StepDecision{StepID: "bad", Decision: "maybe", Operator: "op"}),
			update(t, env, UpdateStepDecision, StepDecision{StepID: "nope", Decision: "skip", Operator: "op"}))
		allow.Store(true)
		ups = append(ups, update(t, env, UpdateStepDecision, StepDecision{StepID: "bad", Decision: "retry", Operator: "op", Reason: "shard back"}))
	}, time.Hour)
	env.ExecuteWorkflow(RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "b1", Site: testSite, Plan: parkPlan()})
	res := siteResult(t, env)
	if len(ups) != 5 {
		t.Fatalf("%d updates sent", len(ups))
	}
	ups[0].mustReject(t, `step "indep" of site s1 is done, not parked`)
	ups[1].mustReject(t, "operator is empty")
	ups[2].mustReject(t, `"maybe" is not one of retry, skip, abort`)
	ups[3].mustReject(t, `has no step "nope"`)
	ups[4].mustAccept(t)
	if res.Outcome != SiteRestored {
		t.Fatalf("outcome %s %v", res.Outcome, res.Errors)
	}
	bad := stepState(t, res.Steps, "bad")
	if bad.Attempts != 2 || bad.Status != StepDone {
		t.Fatalf("bad %+v", bad)
	}
	if n := len(rec.inputs("indep")); n != 1 {
		t.Fatalf("independent step ran %d times, want once (completed steps never rerun)", n)
	}
}

func TestSiteParkThenSkip(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	var never atomic.Bool
	rec.register(env, "bad", flaky(&never))
	rec.register(env, "indep", ok("indep"))
	rec.register(env, "after", ok("after"))
	env.RegisterDelayedCallback(func() {
		update(t, env, UpdateStepDecision, StepDecision{StepID: "bad", Decision: "skip", Operator: "op", Reason: "not needed"}).acceptLater(t)
	}, time.Hour)
	env.ExecuteWorkflow(RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "b1", Site: testSite, Plan: parkPlan()})
	res := siteResult(t, env)
	if res.Outcome != SiteRestored {
		t.Fatalf("outcome %s", res.Outcome)
	}
	if st := stepState(t, res.Steps, "bad"); st.Status != StepSkipped {
		t.Fatalf("bad %+v", st)
	}
	if st := stepState(t, res.Steps, "after"); st.Status != StepDone {
		t.Fatalf("dependent of a skipped step %+v, want done", st)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0], "shard unreachable") {
		t.Fatalf("errors %v", res.Errors)
	}
}

func TestSiteParkThenAbort(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	var never atomic.Bool
	rec.register(env, "bad", flaky(&never))
	rec.register(env, "indep", ok("indep"))
	rec.register(env, "after", ok("after"))
	env.RegisterDelayedCallback(func() {
		update(t, env, UpdateStepDecision, StepDecision{StepID: "bad", Decision: "abort", Operator: "op", Reason: "wrong site"}).acceptLater(t)
	}, time.Hour)
	var full SiteResult
	env.OnUpsertMemo(mock.Anything).Run(func(args mock.Arguments) {
		if r, ok := args.Get(0).(map[string]interface{})[MemoSiteResult]; ok {
			full = r.(SiteResult)
		}
	}).Return(nil)
	env.ExecuteWorkflow(RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "b1", Site: testSite, Plan: parkPlan()})
	res := siteResult(t, env)
	if res.Outcome != SiteAborted {
		t.Fatalf("outcome %s, want aborted", res.Outcome)
	}
	if len(res.Decisions) != 0 {
		t.Fatalf("the brief result carries decisions %+v; they belong in the memo", res.Decisions)
	}
	if d := full.Decisions; len(d) != 1 || d[0].Action != "abort" || d[0].Operator != "op" || d[0].Reason != "wrong site" || d[0].Detail != "site "+testSite.SiteID+" step bad" {
		t.Fatalf("decisions %+v, want the abort by op", d)
	}
	if st := stepState(t, res.Steps, "after"); st.Status != StepPending {
		t.Fatalf("dependent of an aborted step ran: %+v", st)
	}
	if n := len(rec.inputs("after")); n != 0 {
		t.Fatalf("after ran %d times", n)
	}
}

func TestSiteAbortCancelsRunningSteps(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	var never atomic.Bool
	rec.register(env, "bad", flaky(&never))
	rec.register(env, "slow", func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
		<-ctx.Done()
		return contract.StepOutput{}, ctx.Err()
	})
	p := plan(step("bad", "bad"), step("slow", "slow"))
	p.Steps[1].Heartbeat = 0
	env.RegisterDelayedCallback(func() {
		update(t, env, UpdateStepDecision, StepDecision{StepID: "bad", Decision: "abort", Operator: "op"}).acceptLater(t)
	}, 200*time.Millisecond)
	env.ExecuteWorkflow(RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "b1", Site: testSite, Plan: p})
	res := siteResult(t, env)
	if res.Outcome != SiteAborted {
		t.Fatalf("outcome %s", res.Outcome)
	}
	if st := stepState(t, res.Steps, "slow"); st.Status != StepFailed {
		t.Fatalf("running step after abort: %+v, want failed (cancelled)", st)
	}
}

func TestSiteFailPolicyFailsSite(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	var never atomic.Bool
	rec.register(env, "bad", flaky(&never))
	rec.register(env, "after", ok("after"))
	rec.register(env, "opt", flaky(&never))
	p := plan(step("bad", "bad"), step("after", "after", "bad"), step("opt", "opt"))
	p.Steps[0].OnFailure = runbooks.OnFailureFail
	p.Steps[2].OnFailure = runbooks.OnFailureSkip
	p.Steps[0].Needs = []string{"opt"}
	p.Steps[0], p.Steps[2] = p.Steps[2], p.Steps[0] // topological order: opt, after?, bad
	p.Steps = []runbooks.PlanStep{p.Steps[0], p.Steps[2], p.Steps[1]}
	env.ExecuteWorkflow(RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "b1", Site: testSite, Plan: p})
	res := siteResult(t, env)
	if res.Outcome != SiteFailed {
		t.Fatalf("outcome %s", res.Outcome)
	}
	if st := stepState(t, res.Steps, "opt"); st.Status != StepSkipped {
		t.Fatalf("opt %+v, want skipped (on_failure skip)", st)
	}
	if st := stepState(t, res.Steps, "bad"); st.Status != StepFailed {
		t.Fatalf("bad %+v", st)
	}
	if len(rec.inputs("after")) != 0 {
		t.Fatal("a step after a failed step ran")
	}
	if len(res.Errors) != 2 {
		t.Fatalf("errors %v", res.Errors)
	}
}

func gatePlan(g runbooks.Gate) runbooks.Plan {
	return plan(step("a", "a"), gateStep("customer", g, "a"), step("z", "z", "customer"))
}

func TestGateEscalatesThenDeadlineApproves(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	rec.register(env, "a", ok("a"))
	rec.register(env, "z", ok("z"))
	g := runbooks.Gate{Escalation: time.Hour, Deadline: 3 * time.Hour, OnDeadline: "approve"}
	var attentionSeen []bool
	var notGate *updateOutcome
	env.RegisterDelayedCallback(func() {
		st := query(t, env)
		attentionSeen = append(attentionSeen, st.NeedsAttention)
		if st.Status != SiteWaiting || stepState(t, st.Steps, "customer").Status != StepWaiting {
			t.Errorf("before escalation: %s %+v", st.Status, stepState(t, st.Steps, "customer"))
		}
		notGate = update(t, env, UpdateGateDecision, GateDecision{StepID: "a", Decision: "approve", Operator: "x"})
	}, 30*time.Minute)
	env.RegisterDelayedCallback(func() {
		attentionSeen = append(attentionSeen, query(t, env).NeedsAttention)
	}, 2*time.Hour)
	env.ExecuteWorkflow(RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "b1", Site: testSite, Plan: gatePlan(g)})
	res := siteResult(t, env)
	notGate.mustReject(t, `step "a" of site s1 is not a gate`)
	if len(attentionSeen) != 2 || attentionSeen[0] || !attentionSeen[1] {
		t.Fatalf("needs attention at 30m, 2h: %v, want [false true]", attentionSeen)
	}
	gs := stepState(t, res.Steps, "customer")
	if res.Outcome != SiteRestored || gs.Status != StepDone || !strings.Contains(gs.Message, "deadline") {
		t.Fatalf("outcome %s gate %+v", res.Outcome, gs)
	}
	if d := gs.EndedAt.Sub(gs.StartedAt); d != 3*time.Hour {
		t.Fatalf("gate waited %v, want the 3h deadline", d)
	}
}

func TestGateDeadlineRejectFailsSite(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	rec.register(env, "a", ok("a"))
	rec.register(env, "z", ok("z"))
	p := gatePlan(runbooks.Gate{Escalation: time.Hour, Deadline: 2 * time.Hour, OnDeadline: "reject"})
	p.Steps[1].OnFailure = runbooks.OnFailureFail
	env.ExecuteWorkflow(RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "b1", Site: testSite, Plan: p})
	res := siteResult(t, env)
	if res.Outcome != SiteFailed || len(rec.inputs("z")) != 0 {
		t.Fatalf("outcome %s, z ran %d", res.Outcome, len(rec.inputs("z")))
	}
}

func TestGateApprovedByHuman(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	rec.register(env, "a", ok("a"))
	rec.register(env, "z", ok("z"))
	env.RegisterDelayedCallback(func() {
		update(t, env, UpdateGateDecision, GateDecision{StepID: "customer", Decision: "approve", Operator: "cust@example.com", Reason: "all there"}).acceptLater(t)
	}, 10*time.Minute)
	env.ExecuteWorkflow(RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "b1", Site: testSite,
		Plan: gatePlan(runbooks.Gate{Escalation: time.Hour, Deadline: 2 * time.Hour, OnDeadline: "park"})})
	res := siteResult(t, env)
	gs := stepState(t, res.Steps, "customer")
	if res.Outcome != SiteRestored || !strings.Contains(gs.Message, "cust@example.com") || len(rec.inputs("z")) != 1 {
		t.Fatalf("outcome %s gate %+v", res.Outcome, gs)
	}
}

func TestGateDeadlineParks(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	rec.register(env, "a", ok("a"))
	rec.register(env, "z", ok("z"))
	env.RegisterDelayedCallback(func() {
		if st := query(t, env); stepState(t, st.Steps, "customer").Status != StepParked {
			t.Errorf("gate after deadline: %+v, want parked", stepState(t, st.Steps, "customer"))
		}
		// Retry reopens the gate; then the customer approves.
		update(t, env, UpdateStepDecision, StepDecision{StepID: "customer", Decision: "retry", Operator: "op"}).acceptLater(t)
	}, 3*time.Hour)
	env.RegisterDelayedCallback(func() {
		update(t, env, UpdateGateDecision, GateDecision{StepID: "customer", Decision: "approve", Operator: "c"}).acceptLater(t)
	}, 3*time.Hour+10*time.Minute)
	env.ExecuteWorkflow(RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "b1", Site: testSite,
		Plan: gatePlan(runbooks.Gate{Escalation: time.Hour, Deadline: 2 * time.Hour, OnDeadline: "park"})})
	res := siteResult(t, env)
	if gs := stepState(t, res.Steps, "customer"); res.Outcome != SiteRestored || gs.Attempts != 2 {
		t.Fatalf("outcome %s gate %+v", res.Outcome, gs)
	}
}

func TestSiteRejectsInvalidPlan(t *testing.T) {
	env := newEnv(t)
	p := plan(step("a", "a", "missing"), step("a", "b"))
	env.ExecuteWorkflow(RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "b1", Site: testSite, Plan: p})
	err := env.GetWorkflowError()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() || !strings.Contains(err.Error(), `needs "missing"`) || !strings.Contains(err.Error(), "appears twice") {
		t.Fatalf("error %v", err)
	}
}

// Cancelling a site stops it at a safe point: the running step finishes,
// nothing new starts, a waiting gate ends.
func TestSiteCancelStopsAtSafePoint(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	rec.register(env, "slow", sleepy(300*time.Millisecond, nil))
	rec.register(env, "after", ok("after"))
	p := plan(step("slow", "slow"), step("after", "after", "slow"),
		gateStep("gate", runbooks.Gate{Deadline: 48 * time.Hour, OnDeadline: "approve"}))
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 50*time.Millisecond)
	env.ExecuteWorkflow(RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "b1", Site: testSite, Plan: p})
	res := siteResult(t, env)
	if res.Outcome != SiteCancelled {
		t.Fatalf("outcome %s", res.Outcome)
	}
	if st := stepState(t, res.Steps, "slow"); st.Status != StepDone {
		t.Fatalf("running step at cancel: %+v, want done (safe point)", st)
	}
	if st := stepState(t, res.Steps, "after"); st.Status != StepPending || len(rec.inputs("after")) != 0 {
		t.Fatalf("a step started after cancel: %+v", st)
	}
	if st := stepState(t, res.Steps, "gate"); st.Status != StepFailed {
		t.Fatalf("gate after cancel: %+v", st)
	}
}

// A site started by a batch before its batch step ended waits for the
// batch's signal, then uses the values it carries.
func TestSiteWaitsForLeadSignal(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	rec.register(env, "restore", ok("restore"))
	rec.register(env, "catalog", ok("catalog"))
	clone := cloneStep()
	p := plan(clone, step("catalog", "catalog"), step("restore", "restore", "clone", "catalog"))
	env.RegisterDelayedCallback(func() {
		st := query(t, env)
		if stepState(t, st.Steps, "catalog").Status != StepDone || stepState(t, st.Steps, "restore").Status != StepPending {
			t.Errorf("before the lead signal: %+v", st.Steps)
		}
		env.SignalWorkflow(SignalLeadStep, LeadStatus{StepID: "clone", Status: LeadDone,
			Values: map[string]string{"clone.jira.dsn": "postgres://c", "restore_point": "2026-04-05T07:31:00Z"}})
	}, time.Hour)
	env.ExecuteWorkflow(RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "b1", Site: testSite, Plan: p,
		Lead: []LeadStatus{{StepID: "clone", Status: LeadPending}}})
	res := siteResult(t, env)
	in := rec.inputs("restore")
	if res.Outcome != SiteRestored || len(in) != 1 || in[0].Vars["clone.jira.dsn"] != "postgres://c" ||
		in[0].RestorePoint.Format(time.RFC3339) != "2026-04-05T07:31:00Z" {
		t.Fatalf("outcome %s inputs %+v", res.Outcome, in)
	}
}

func TestSiteLeadFailureFailsDependents(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	rec.register(env, "restore", ok("restore"))
	rec.register(env, "catalog", ok("catalog"))
	p := plan(cloneStep(), step("catalog", "catalog"), step("restore", "restore", "clone"))
	env.ExecuteWorkflow(RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "b1", Site: testSite, Plan: p,
		Lead: []LeadStatus{{StepID: "clone", Status: LeadFailed, Error: "WAL archive missing"}}})
	res := siteResult(t, env)
	if res.Outcome != SiteFailed || len(rec.inputs("restore")) != 0 || len(rec.inputs("catalog")) != 1 ||
		len(res.Errors) != 1 || !strings.Contains(res.Errors[0], "WAL archive missing") {
		t.Fatalf("outcome %s errors %v", res.Outcome, res.Errors)
	}
}

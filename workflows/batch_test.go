package workflows

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/runbooks"
)

func sites(n int, prefix string) []Site {
	out := make([]Site, n)
	for i := range out {
		out[i] = Site{SiteID: fmt.Sprintf("%s%05d", prefix, i), RestorePoint: testSite.RestorePoint, Users: 3}
	}
	return out
}

func cloneStep() runbooks.PlanStep {
	s := step("clone", "db.clone")
	s.Scope = runbooks.ScopeBatch
	s.Service = "db"
	s.Cleanup = "db.drop_clone"
	s.Params = map[string]string{"cluster": "jira"}
	return s
}

// cloneActivity returns per-site values for every site it is given.
func cloneActivity(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
	out := contract.StepOutput{Values: map[string]string{"clone": fmt.Sprintf("clone-%d-sites", len(in.Sites))}, PerSite: map[string]contract.Vars{}}
	for _, s := range in.Sites {
		out.PerSite[s.SiteID] = map[string]string{"clone.jira.dsn": "postgres://clone/" + s.SiteID[:2], "restore_point": "2026-04-05T07:30:00Z"}
	}
	return out, nil
}

func batchResult(t *testing.T, env *testsuite.TestWorkflowEnvironment) BatchResult {
	t.Helper()
	if !env.IsWorkflowCompleted() {
		t.Fatal("batch did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("batch error: %v", err)
	}
	var res BatchResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

func outcomes(res BatchResult) map[string]int {
	m := map[string]int{}
	for _, s := range res.Sites {
		m[s.Outcome]++
	}
	return m
}

func batchProgress(t *testing.T, env *testsuite.TestWorkflowEnvironment) BatchProgress {
	t.Helper()
	v, err := env.QueryWorkflow(QueryBatchProgress)
	if err != nil {
		t.Fatalf("query progress: %v", err)
	}
	var p BatchProgress
	if err := v.Get(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBatch2000SitesContinuesAsNew runs a batch of 2,000 sites through
// several continue-as-new runs (each run a fresh test environment fed with
// the carried input) and checks every site is accounted for exactly once.
func TestBatch2000SitesContinuesAsNew(t *testing.T) {
	in := RestoreBatchInput{BatchID: "big", Plan: plan(cloneStep(), step("restore", "restore", "clone")),
		Sites: sites(2000, "s"), MaxConcurrentSites: 150, MaxChildrenPerRun: 500}
	runs := 0
	var res BatchResult
	cleanups := 0
	for {
		runs++
		if runs > 10 {
			t.Fatal("more than 10 runs")
		}
		next, last, n := runBigBatchOnce(t, in, runs)
		cleanups += n
		if next != nil {
			in = *next
			continue
		}
		res = last
		break
	}
	if runs < 4 {
		t.Fatalf("%d runs: the batch did not continue as new", runs)
	}
	assertEachSiteRestoredOnce(t, res, sites(2000, "s"))
	if len(res.Sites) != 2000 || cleanups != 1 {
		t.Fatalf("%d results, %d cleanups", len(res.Sites), cleanups)
	}
	t.Logf("2,000 sites in %d runs", runs)
}

// runBigBatchOnce runs one run of the batch in a fresh test environment.
// It returns the carried input when the run continued as new, else the
// batch's result, and the number of cleanups the run ran.
func runBigBatchOnce(t *testing.T, in RestoreBatchInput, runs int) (*RestoreBatchInput, BatchResult, int) {
	t.Helper()
	env := newEnv(t)
	env.SetTestTimeout(3 * time.Minute)
	rec := newRecorder()
	rec.register(env, "db.clone", cloneActivity)
	rec.register(env, "db.drop_clone", ok("dropped"))
	var missingDSN atomic.Int64
	rec.register(env, "restore", func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
		if in.Vars["clone.jira.dsn"] == "" {
			missingDSN.Add(1)
		}
		time.Sleep(50 * time.Millisecond) // sites are still running at the handover
		return contract.StepOutput{}, nil
	})
	finishAdopted(env, in.Carry)
	env.ExecuteWorkflow(RestoreBatchWorkflowName, in)
	if n := missingDSN.Load(); n > 0 {
		t.Fatalf("run %d: %d sites ran without their clone's values", runs, n)
	}
	cleanups := len(rec.inputs("db.drop_clone"))
	err := env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		return nil, batchResult(t, env), cleanups
	}
	var next RestoreBatchInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.Carry == nil || next.Carry.Runs != runs || len(next.Sites) != 0 {
		t.Fatalf("carry after run %d: %+v", runs, next.Carry)
	}
	if n := len(rec.inputs("restore")); n > 500 {
		t.Fatalf("run %d started %d sites, more than MaxChildrenPerRun", runs, n)
	}
	if adoptedMoving(next.Carry) == 0 {
		t.Fatalf("run %d handed over no running site: it drained its window before continuing as new", runs)
	}
	return &next, BatchResult{}, cleanups
}

// adoptedMoving counts the sites a carry hands over running (not blocked).
func adoptedMoving(c *BatchCarry) int {
	n := 0
	for _, bs := range c.Blocked {
		if bs.Kind == SiteRunning {
			n++
		}
	}
	return n
}

// finishAdopted plays the sites an earlier run handed over still running:
// in a real batch they go on and signal their end to the batch's current
// run; here each signals "restored" a second after the run starts.
func finishAdopted(env *testsuite.TestWorkflowEnvironment, c *BatchCarry) {
	if c == nil {
		return
	}
	for _, bs := range c.Blocked {
		if bs.Kind != SiteRunning {
			continue
		}
		res := SiteResult{SiteID: bs.SiteID, Outcome: SiteRestored,
			Steps: []StepState{{StepID: "restore", Status: StepDone}}}
		env.RegisterDelayedCallback(func() {
			env.SignalWorkflow(SignalSiteEvent, SiteEvent{SiteID: bs.SiteID, Kind: SiteEventFinished, Result: &res})
		}, time.Second)
	}
}

// assertEachSiteRestoredOnce checks every result is a restored site and
// every one of want is accounted for exactly once.
func assertEachSiteRestoredOnce(t *testing.T, res BatchResult, want []Site) {
	t.Helper()
	seen := map[string]int{}
	for _, s := range res.Sites {
		seen[s.SiteID]++
		if s.Outcome != SiteRestored {
			t.Fatalf("site %+v", s)
		}
	}
	for _, s := range want {
		if seen[s.SiteID] != 1 {
			t.Fatalf("site %s accounted %d times", s.SiteID, seen[s.SiteID])
		}
	}
}

// A site step that does not need the batch step runs before it ends.
func TestBatchSiteStepsDoNotWaitForUnneededLead(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	rec.register(env, "db.clone", func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
		time.Sleep(300 * time.Millisecond)
		return cloneActivity(ctx, in)
	})
	rec.register(env, "db.drop_clone", ok("dropped"))
	rec.register(env, "catalog", ok("catalog"))
	rec.register(env, "restore", ok("restore"))
	p := plan(cloneStep(), step("catalog", "catalog"), step("restore", "restore", "clone", "catalog"))
	env.ExecuteWorkflow(RestoreBatchWorkflowName, RestoreBatchInput{BatchID: "b", Plan: p, Sites: sites(3, "s"), MaxConcurrentSites: 5})
	res := batchResult(t, env)
	if outcomes(res)[SiteRestored] != 3 {
		t.Fatalf("outcomes %v %v", outcomes(res), res.Errors)
	}
	clone := rec.spans["/db.clone"]
	for _, s := range sites(3, "s") {
		cat := rec.spans[s.SiteID+"/catalog"]
		if !cat[1].Before(clone[1]) {
			t.Fatalf("site %s catalog ended %v, after the clone %v: it waited for a batch step it does not need", s.SiteID, cat[1], clone[1])
		}
		if r := rec.spans[s.SiteID+"/restore"]; r[0].Before(clone[1]) {
			t.Fatalf("site %s restore started before the clone ended", s.SiteID)
		}
	}
	for _, in := range rec.inputs("restore") {
		if in.Vars["clone.jira.dsn"] != "postgres://clone/"+in.SiteID[:2] || in.RestorePoint.Format(time.RFC3339) != "2026-04-05T07:30:00Z" {
			t.Fatalf("restore input %+v", in)
		}
	}
	drops := rec.inputs("db.drop_clone")
	if len(drops) != 1 || drops[0].Vars["clone"] != "clone-3-sites" || len(drops[0].Sites) != 3 {
		t.Fatalf("cleanup %+v", drops)
	}
}

// gated sites wait an hour of workflow time at a gate approved at its deadline.
func gatedPlan() runbooks.Plan {
	return plan(cloneStep(), step("restore", "restore", "clone"),
		gateStep("customer", runbooks.Gate{Deadline: time.Hour, OnDeadline: "approve"}, "restore"), step("z", "z", "customer"))
}

func registerGated(env *testsuite.TestWorkflowEnvironment, rec *recorder) {
	rec.register(env, "db.clone", cloneActivity)
	rec.register(env, "db.drop_clone", ok("dropped"))
	rec.register(env, "restore", ok("restore"))
	rec.register(env, "z", ok("z"))
}

func TestBatchCancelRunsCleanup(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	registerGated(env, rec)
	var cancel *updateOutcome
	env.RegisterDelayedCallback(func() {
		cancel = update(t, env, UpdateCancel, nil)
	}, 30*time.Minute)
	env.ExecuteWorkflow(RestoreBatchWorkflowName, RestoreBatchInput{BatchID: "b", Plan: gatedPlan(), Sites: sites(5, "s"), MaxConcurrentSites: 2})
	res := batchResult(t, env)
	cancel.mustAccept(t)
	if o := outcomes(res); o[SiteCancelled] != 5 || len(res.Sites) != 5 {
		t.Fatalf("outcomes %v", o)
	}
	if n := len(rec.inputs("z")); n != 0 {
		t.Fatalf("%d sites went past the gate after cancel", n)
	}
	drops := rec.inputs("db.drop_clone")
	if len(drops) != 1 || drops[0].Vars["clone"] != "clone-5-sites" {
		t.Fatalf("cleanup after cancel: %+v", drops)
	}
}

func TestBatchPauseStopsNewSites(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	registerGated(env, rec)
	p := gatedPlan()
	p.Steps[2].Gate = nil
	p.Steps[2].Action = "wait"
	rec.register(env, "wait", func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
		return contract.StepOutput{}, nil
	})
	var mid, paused BatchProgress
	var ups []*updateOutcome
	env.RegisterDelayedCallback(func() { ups = append(ups, update(t, env, UpdatePause, nil)) }, 0)
	env.RegisterDelayedCallback(func() { paused = batchProgress(t, env) }, time.Hour)
	env.RegisterDelayedCallback(func() {
		mid = batchProgress(t, env)
		ups = append(ups, update(t, env, UpdateSetConcurrency, 0), update(t, env, UpdateSetConcurrency, 4), update(t, env, UpdateResume, nil))
	}, 2*time.Hour)
	env.ExecuteWorkflow(RestoreBatchWorkflowName, RestoreBatchInput{BatchID: "b", Plan: p, Sites: sites(6, "s"), MaxConcurrentSites: 2})
	res := batchResult(t, env)
	if !paused.Paused || paused.Status != BatchPaused || mid.SitesByStatus[SiteQueued] != 6 || mid.SitesByStatus[SiteRunning] != 0 {
		t.Fatalf("while paused: %+v", mid)
	}
	if n := len(rec.inputs("restore")); n != 6 {
		t.Fatalf("%d sites restored", n)
	}
	ups[0].mustAccept(t)
	ups[1].mustReject(t, "at least 1")
	ups[2].mustAccept(t)
	ups[3].mustAccept(t)
	if outcomes(res)[SiteRestored] != 6 {
		t.Fatalf("outcomes %v", outcomes(res))
	}
}

func TestBatchAddSitesAndProgress(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	registerGated(env, rec)
	var ups []*updateOutcome
	var prog BatchProgress
	env.RegisterDelayedCallback(func() {
		prog = batchProgress(t, env)
		ups = append(ups,
			update(t, env, UpdateAddSites, AddSitesRequest{Sites: []Site{{SiteID: "s00000"}}}),
			update(t, env, UpdateAddSites, AddSitesRequest{Sites: []Site{{SiteID: ""}}}),
			update(t, env, UpdateAddSites, AddSitesRequest{Sites: []Site{{SiteID: "n1"}, {SiteID: "n1"}}}),
			update(t, env, UpdateAddSites, AddSitesRequest{}),
			update(t, env, UpdateAddSites, AddSitesRequest{Sites: sites(2, "n")}))
	}, 30*time.Minute)
	env.ExecuteWorkflow(RestoreBatchWorkflowName, RestoreBatchInput{BatchID: "b", Plan: gatedPlan(), Sites: sites(3, "s"), MaxConcurrentSites: 10})
	res := batchResult(t, env)
	ups[0].mustReject(t, `"s00000" is already in the batch`)
	ups[1].mustReject(t, "empty id")
	ups[2].mustReject(t, `"n1" is listed twice`)
	ups[3].mustReject(t, "empty")
	ups[4].mustAccept(t)
	if prog.SitesByStatus[SiteWaiting] != 3 || prog.SitesTotal != 3 || prog.StepsTotal != 9 || prog.ETA <= 0 {
		t.Fatalf("progress at 30m: %+v", prog)
	}
	var ids []string
	for _, s := range res.Sites {
		ids = append(ids, s.SiteID)
		if s.Outcome != SiteRestored || s.Duration <= 0 {
			t.Fatalf("site %+v", s)
		}
	}
	sort.Strings(ids)
	if fmt.Sprint(ids) != "[n00000 n00001 s00000 s00001 s00002]" {
		t.Fatalf("sites %v", ids)
	}
	clones := rec.inputs("db.clone")
	if len(clones) != 2 || len(clones[1].Sites) != 2 || clones[1].Sites[0].SiteID != "n00000" {
		t.Fatalf("clone rounds %+v", clones)
	}
	if n := len(rec.inputs("db.drop_clone")); n != 2 {
		t.Fatalf("%d cleanups, want one per round", n)
	}
}

// A site parked forever does not hold the window: the rest of the batch goes on.
func TestBatchParkedSiteDoesNotHoldWindow(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	rec.register(env, "restore", func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
		if in.SiteID == "s00000" {
			return contract.StepOutput{}, errors.New("tenant rows conflict")
		}
		return contract.StepOutput{}, nil
	})
	var prog BatchProgress
	var abort *updateOutcome
	env.RegisterDelayedCallback(func() {
		prog = batchProgress(t, env)
		abort = update(t, env, UpdateCancel, nil)
	}, 5*time.Hour)
	env.ExecuteWorkflow(RestoreBatchWorkflowName, RestoreBatchInput{BatchID: "b", Plan: plan(step("restore", "restore")), Sites: sites(5, "s"), MaxConcurrentSites: 1})
	res := batchResult(t, env)
	abort.mustAccept(t)
	if len(prog.Parked) != 1 || prog.Parked[0].SiteID != "s00000" || prog.Parked[0].Reason != "tenant rows conflict" || prog.SitesByStatus[SiteRestored] != 4 {
		t.Fatalf("progress %+v", prog)
	}
	if o := outcomes(res); o[SiteRestored] != 4 || o[SiteCancelled] != 1 {
		t.Fatalf("outcomes %v", o)
	}
}

// Sites whose every first step needs a batch step wait in the queue until
// it ends and then start with its values in their input: no lead pending
// in the input, so no signal is needed (a site that could start a step
// before, starts at once: TestBatchSiteStepsDoNotWaitForUnneededLead).
func TestBatchStartsSitesWithLeadValuesInTheirInput(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	rec.register(env, "db.clone", cloneActivity)
	rec.register(env, "db.drop_clone", ok("dropped"))
	rec.register(env, "restore", ok("restore"))
	var inputs []RestoreSiteInput
	env.SetOnChildWorkflowStartedListener(func(_ *workflow.Info, _ workflow.Context, args converter.EncodedValues) {
		var in RestoreSiteInput
		if err := args.Get(&in); err != nil {
			t.Error(err)
		}
		inputs = append(inputs, in)
	})
	env.ExecuteWorkflow(RestoreBatchWorkflowName, RestoreBatchInput{BatchID: "b", Plan: plan(cloneStep(), step("restore", "restore", "clone")),
		Sites: sites(3, "s"), MaxConcurrentSites: 5})
	res := batchResult(t, env)
	if outcomes(res)[SiteRestored] != 3 || len(inputs) != 3 {
		t.Fatalf("outcomes %v, %d children", outcomes(res), len(inputs))
	}
	for _, in := range inputs {
		if len(in.Lead) != 0 || in.Vars["clone.jira.dsn"] != "postgres://clone/"+in.Site.SiteID[:2] {
			t.Fatalf("site %s started with lead %+v vars %v", in.Site.SiteID, in.Lead, in.Vars)
		}
	}
}

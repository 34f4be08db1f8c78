package workflows

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/runbooks"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// switchPlans: the batch's runbook "test" (clone, restore) and "other",
// with the same clone and two other site steps (undelete, check).
func switchPlans() (runbooks.Plan, runbooks.Plan) {
	a := plan(cloneStep(), step("restore", "restore", "clone"))
	b := plan(cloneStep(), step("undelete", "undelete", "clone"), step("check", "check", "undelete"))
	b.Runbook = "other"
	return a, b
}

// switchEnv is a test environment with the activities of both plans.
func switchEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *recorder) {
	env := newEnv(t)
	rec := newRecorder()
	rec.register(env, "db.clone", cloneActivity)
	rec.register(env, "db.drop_clone", ok("dropped"))
	for _, a := range []string{"restore", "undelete", "check"} {
		rec.register(env, a, ok(a))
	}
	return env, rec
}

// A switch moves the listed queued sites (then every queued one, and the
// sites added later) to another runbook; running sites keep theirs; each
// site's result names the runbook it ran; the progress counts each site's
// own steps; every steering update is recorded with its operator.
func TestBatchSwitchRunbook(t *testing.T) {
	env, rec := switchEnv(t)
	a, b := switchPlans()
	badLead := b
	badLead.Steps = append([]runbooks.PlanStep{}, b.Steps...)
	badLead.Steps[0].Params = map[string]string{"cluster": "confluence"}
	var ups []*updateOutcome
	var after BatchProgress
	env.RegisterDelayedCallback(func() { ups = append(ups, update(t, env, UpdatePause, Operator{Operator: "alice"})) }, 0)
	env.RegisterDelayedCallback(func() {
		ups = append(ups,
			update(t, env, UpdateSwitchRunbook, SwitchRunbookRequest{Plan: b, Sites: []string{"s00001", "s00003"}, Operator: "bob", Reason: "restore2 is faster"}),
			update(t, env, UpdateSwitchRunbook, SwitchRunbookRequest{Plan: badLead, Operator: "bob"}),
			update(t, env, UpdateSwitchRunbook, SwitchRunbookRequest{Plan: b, Sites: []string{"nope"}, Operator: "bob"}),
			update(t, env, UpdateSwitchRunbook, SwitchRunbookRequest{Plan: b}))
	}, time.Hour)
	env.RegisterDelayedCallback(func() {
		after = batchProgress(t, env)
		ups = append(ups, update(t, env, UpdateResume, Operator{Operator: "alice"}))
	}, time.Hour+time.Minute)
	env.ExecuteWorkflow(RestoreBatchWorkflowName, RestoreBatchInput{BatchID: "b", Plan: a, Sites: sites(5, "s"), MaxConcurrentSites: 2})
	res := batchResult(t, env)
	ups[0].mustAccept(t)
	ups[1].mustAccept(t)
	ups[2].mustReject(t, "batch-scoped step clone differs")
	ups[3].mustReject(t, "site nope is not in batch b")
	ups[4].mustReject(t, "operator is empty")
	ups[5].mustAccept(t)

	ran := map[string]string{}
	for _, s := range res.Sites {
		if s.Outcome != SiteRestored {
			t.Fatalf("site %+v", s)
		}
		ran[s.SiteID] = s.Runbook
	}
	want := map[string]string{"s00000": "", "s00001": "other", "s00002": "", "s00003": "other", "s00004": ""}
	if fmt.Sprint(ran) != fmt.Sprint(want) {
		t.Fatalf("runbook per site %v, want %v", ran, want)
	}
	var undeleted []string
	for _, in := range rec.inputs("undelete") {
		undeleted = append(undeleted, in.SiteID)
		if in.Runbook != "other" {
			t.Errorf("undelete of %s ran with runbook %q in its input", in.SiteID, in.Runbook)
		}
	}
	sort.Strings(undeleted)
	if fmt.Sprint(undeleted) != "[s00001 s00003]" || len(rec.inputs("restore")) != 3 || len(rec.inputs("check")) != 2 {
		t.Fatalf("undelete ran for %v, restore %d times, check %d", undeleted, len(rec.inputs("restore")), len(rec.inputs("check")))
	}
	if after.StepsTotal != 3*1+2*2 {
		t.Fatalf("steps total after the switch %d, want 7 (3 sites x 1 step + 2 x 2)", after.StepsTotal)
	}
	wantActions(t, res.Actions, "[pause/alice switch-runbook/bob resume/alice]")
	if res.Actions[1].Reason != "restore2 is faster" || res.Actions[1].Detail != "test -> other for 2 queued sites" {
		t.Fatalf("switch action %+v", res.Actions[1])
	}
}

// A switch of every queued site also switches the sites added later, and
// survives continue-as-new (the carry keeps the plans and the default).
func TestBatchSwitchAllCarriesOver(t *testing.T) {
	a, b := switchPlans()
	env, rec := switchEnv(t)
	var ups []*updateOutcome
	env.RegisterDelayedCallback(func() { ups = append(ups, update(t, env, UpdatePause, Operator{Operator: "alice"})) }, 0)
	env.RegisterDelayedCallback(func() {
		ups = append(ups,
			update(t, env, UpdateSwitchRunbook, SwitchRunbookRequest{Plan: b, Operator: "bob"}),
			update(t, env, UpdateAddSites, AddSitesRequest{Sites: sites(2, "n"), Operator: "carol", Reason: "found two more"}),
			update(t, env, UpdateResume, Operator{Operator: "alice"}))
	}, time.Hour)
	env.ExecuteWorkflow(RestoreBatchWorkflowName, RestoreBatchInput{BatchID: "b", Plan: a, Sites: sites(3, "s"),
		MaxConcurrentSites: 5, MaxChildrenPerRun: 2})
	for _, u := range ups {
		u.mustAccept(t)
	}
	// The first run continues as new after 2 sites: play the next runs.
	var res BatchResult
	for run := 1; ; run++ {
		next := continuedAs(t, env)
		if next == nil {
			res = batchResult(t, env)
			break
		}
		if run == 1 && (len(next.Switched) != 1 || next.Carry.Runbook != "other" || len(next.Carry.Actions) != 4) {
			t.Fatalf("carry after run 1: switched %d plans, runbook %q, actions %+v", len(next.Switched), next.Carry.Runbook, next.Carry.Actions)
		}
		if run > 5 {
			t.Fatal("more than 5 runs")
		}
		env = newEnv(t)
		for _, x := range []string{"db.clone", "db.drop_clone", "restore", "undelete", "check"} {
			rec.register(env, x, ok(x))
		}
		finishAdopted(env, next.Carry)
		env.ExecuteWorkflow(RestoreBatchWorkflowName, *next)
	}
	for _, s := range res.Sites {
		if s.Runbook != "other" || s.Outcome != SiteRestored {
			t.Fatalf("site %+v: want restored by other", s)
		}
	}
	if len(res.Sites) != 5 || len(res.Actions) != 4 || res.Actions[2].Operator != "carol" || res.Actions[2].Reason != "found two more" {
		t.Fatalf("%d sites, actions %+v", len(res.Sites), res.Actions)
	}
}

// continuedAs is the input of the run the batch continued as, or nil when
// it completed.
func continuedAs(t *testing.T, env *testsuite.TestWorkflowEnvironment) *RestoreBatchInput {
	t.Helper()
	var can *workflow.ContinueAsNewError
	if !errors.As(env.GetWorkflowError(), &can) {
		return nil
	}
	var next RestoreBatchInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	return &next
}

// wantActions compares the actions' action/operator pairs.
func wantActions(t *testing.T, acts []OperatorAction, want string) {
	t.Helper()
	var got []string
	for _, x := range acts {
		got = append(got, x.Action+"/"+x.Operator)
	}
	if fmt.Sprint(got) != want {
		t.Fatalf("actions %v, want %s", got, want)
	}
}

// With IncludeParked, a parked site is cancelled where it parked and
// starts again from its first step with the new runbook; without it, the
// switch names the parked site and is refused.
func TestBatchSwitchMovesParkedSite(t *testing.T) {
	env, rec := switchEnv(t)
	rec.register(env, "restore", func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
		if in.SiteID == "s00000" {
			return contract.StepOutput{}, temporal.NewNonRetryableApplicationError("tenant rows conflict", "Conflict", nil)
		}
		return contract.StepOutput{Message: "ok"}, nil
	})
	a, b := switchPlans()
	var ups []*updateOutcome
	env.RegisterDelayedCallback(func() {
		ups = append(ups,
			update(t, env, UpdateSwitchRunbook, SwitchRunbookRequest{Plan: b, Sites: []string{"s00000"}, Operator: "bob"}),
			update(t, env, UpdateSwitchRunbook, SwitchRunbookRequest{Plan: b, Sites: []string{"s00000"}, IncludeParked: true, Operator: "bob"}))
	}, time.Hour)
	env.ExecuteWorkflow(RestoreBatchWorkflowName, RestoreBatchInput{BatchID: "b", Plan: a, Sites: sites(3, "s"), MaxConcurrentSites: 3})
	res := batchResult(t, env)
	ups[0].mustReject(t, "site s00000 is parked: pass --include-parked")
	ups[1].mustAccept(t)
	ran := map[string]string{}
	for _, s := range res.Sites {
		if s.Outcome != SiteRestored {
			t.Fatalf("site %+v", s)
		}
		ran[s.SiteID] = s.Runbook
	}
	if len(res.Sites) != 3 || ran["s00000"] != "other" || ran["s00001"] != "" {
		t.Fatalf("results %+v", res.Sites)
	}
	if n := len(rec.inputs("undelete")); n != 1 {
		t.Fatalf("undelete ran %d times, want once (the moved site)", n)
	}
	if d := res.Actions[0].Detail; d != "test -> other for 0 queued sites, 1 parked sites cancelled to start again" {
		t.Fatalf("switch detail %q", d)
	}
}

// A parked site handed over by continue-as-new keeps its lead values and
// round (BlockedSite.LeadRow, a row of the carry's LeadTable), so that a
// later switch with IncludeParked can start it again with its clone; a
// moving site does not need them and carries none.
func TestParkedSiteCarriesItsLeadValues(t *testing.T) {
	a, _ := switchPlans()
	g, err := newGraph(a)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"clone.jira.dsn": "postgres://clone/s0"}
	b := &batchRun{in: RestoreBatchInput{Plan: a}, g: g, win: newWindow(), lead: newLeadRounds(g), tally: &tally{}}
	b.win.enqueue(sites(2, "s")...)
	for _, id := range []string{"s00000", "s00001"} {
		c := b.win.begin(1, time.Unix(0, 0))
		c.started, c.vars = true, vars
		if id == "s00000" {
			b.win.block(id, SiteEventParked, "restore", "tenant rows conflict", time.Unix(60, 0))
		}
	}
	carry := b.carry()
	var parked, moving BlockedSite
	for _, bs := range carry.Blocked {
		if bs.SiteID == "s00000" {
			parked = bs
		} else {
			moving = bs
		}
	}
	if parked.LeadRow < 1 || parked.LeadRow > len(carry.LeadTable) || carry.LeadTable[parked.LeadRow-1]["clone.jira.dsn"] != "postgres://clone/s0" ||
		parked.Round != 1 || !parked.Since.Equal(time.Unix(60, 0)) || moving.LeadRow != 0 {
		t.Fatalf("carried: parked %+v, moving %+v, lead table %v", parked, moving, carry.LeadTable)
	}
	next := &batchRun{in: RestoreBatchInput{Plan: a}, g: g, win: newWindow(), lead: newLeadRounds(g)}
	next.resume(carry)
	if c := next.win.running["s00000"]; c == nil || c.vars["clone.jira.dsn"] != "postgres://clone/s0" || c.round != 1 {
		t.Fatalf("the next run adopted the parked site as %+v", c)
	}
}

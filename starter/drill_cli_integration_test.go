//go:build integration

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/drill"
	"github.com/lazarus-dr/lazarus/internal/devserver"
	"github.com/lazarus-dr/lazarus/workflows"
)

// TestDrillScheduleCLI drives a drill schedule through the CLI on a real
// dev server: create it with --every 1m, see it in `drill list -o json`
// with its next run, pause, unpause, trigger (a DrillRun workflow starts;
// no worker runs it, so it stays running), refuse a second trigger while
// that drill runs, delete. It also starts a drill with `drill run` and asks
// for its report while it runs.
func TestDrillScheduleCLI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	srv, err := devserver.Start(ctx, devserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	h := lazarus(t, "TEMPORAL_ADDRESS="+srv.FrontendHostPort(), "LAZARUS_UI_ADDRESS=http://ui.test:8233")
	run := func(args ...string) (string, string, int) {
		t.Helper()
		r := h.Run(t, ctx, args...)
		return r.Stdout, r.Stderr, r.Code
	}
	// list is `drill list -o json`, polled until ok accepts it (the list
	// of schedules is eventually consistent).
	list := func(what string, ok func([]drillScheduleRow) bool) []drillScheduleRow {
		t.Helper()
		var rows []drillScheduleRow
		for {
			out, errOut, code := run("drill", "list", "-o", "json")
			if code != 0 {
				t.Fatalf("drill list: exit %d: %s", code, errOut)
			}
			rows = nil
			if err := json.Unmarshal([]byte(out), &rows); err != nil {
				t.Fatalf("drill list -o json: %v: %s", err, out)
			}
			if ok(rows) {
				return rows
			}
			select {
			case <-ctx.Done():
				t.Fatalf("drill list never showed %s: %+v", what, rows)
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
	find := func(rows []drillScheduleRow, id string) *drillScheduleRow {
		for i := range rows {
			if rows[i].ScheduleID == id {
				return &rows[i]
			}
		}
		return nil
	}
	const id = "it-every"

	out, errOut, code := run("drill", "schedule", "--schedule-id", id, "--every", "1m", "--sample", "2", "--seed", "7")
	if code != 0 || !strings.Contains(out, "created drill schedule "+id+": every 1m0s, 2 sampled live sites with restore1, seed 7, overlap SKIP, catch-up window 1h0m0s") ||
		!strings.Contains(out, "http://ui.test:8233/namespaces/default/schedules/"+id) {
		t.Fatalf("schedule: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := run("drill", "schedule", "--schedule-id", id, "--every", "1m", "--sample", "2"); code != 1 || !strings.Contains(errOut, "schedule "+id+" already exists") {
		t.Errorf("the same schedule twice: exit %d: %s", code, errOut)
	}
	rows := list("the new schedule", func(rs []drillScheduleRow) bool { return find(rs, id) != nil })
	row := find(rows, id)
	if row.Spec != "every 1m0s" || row.Sample != 2 || row.Runbook != drill.DefaultRunbook || row.Paused || row.State != "active" || row.LastResult != lastResultNone {
		t.Errorf("new schedule: %+v", row)
	}
	if until := time.Until(row.NextRun); until <= -5*time.Second || until > 61*time.Second {
		t.Errorf("next run %s is not within the minute", row.NextRun)
	}

	if out, errOut, code := run("drill", "pause", id, "--reason", "platform freeze"); code != 0 || !strings.Contains(out, "schedule "+id+": paused") {
		t.Fatalf("pause: exit %d %s%s", code, out, errOut)
	}
	row = find(list("paused", func(rs []drillScheduleRow) bool { r := find(rs, id); return r != nil && r.Paused }), id)
	if row.State != "paused" || row.Note != "platform freeze" || !row.NextRun.IsZero() {
		t.Errorf("paused schedule: %+v", row)
	}
	if out, errOut, code := run("drill", "unpause", id); code != 0 || !strings.Contains(out, "unpaused") {
		t.Fatalf("unpause: exit %d %s%s", code, out, errOut)
	}
	list("unpaused", func(rs []drillScheduleRow) bool {
		r := find(rs, id)
		return r != nil && !r.Paused && !r.NextRun.IsZero()
	})

	if out, errOut, code := run("drill", "trigger", id); code != 0 || !strings.Contains(out, "triggered a drill") {
		t.Fatalf("trigger: exit %d %s%s", code, out, errOut)
	}
	row = find(list("the triggered drill running", func(rs []drillScheduleRow) bool {
		r := find(rs, id)
		return r != nil && r.LastResult == drill.ResultRunning
	}), id)
	if !strings.HasPrefix(row.LastWorkflow, workflows.DrillWorkflowID(id)+"-") || row.Actions < 1 {
		t.Errorf("last drill: %+v", row)
	}
	// The workflow is a DrillRun on the batch queue with its search
	// attribute, one filter away.
	q := fmt.Sprintf("WorkflowType = '%s' AND TemporalScheduledById = '%s' AND %s = '%s'", workflows.DrillWorkflowName, id, workflows.SearchAttrDrillResult, drill.ResultRunning)
	for {
		resp, err := srv.Client().ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: q})
		if err != nil {
			t.Fatalf("list %s: %v", q, err)
		}
		if len(resp.GetExecutions()) > 0 {
			if e := resp.GetExecutions()[0]; e.GetExecution().GetWorkflowId() != row.LastWorkflow || e.GetTaskQueue() != workflows.BatchTaskQueue {
				t.Errorf("drill workflow %s on %s, want %s on %s", e.GetExecution().GetWorkflowId(), e.GetTaskQueue(), row.LastWorkflow, workflows.BatchTaskQueue)
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no workflow for %s", q)
		case <-time.After(500 * time.Millisecond):
		}
	}
	if _, errOut, code := run("drill", "trigger", id); code != 1 || !strings.Contains(errOut, "is still running, and two drills never run at once: not triggered") {
		t.Errorf("a second trigger while the first drill runs: exit %d: %s", code, errOut)
	}

	if out, errOut, code := run("drill", "delete", id); code != 0 || !strings.Contains(out, "deleted") {
		t.Fatalf("delete: exit %d %s%s", code, out, errOut)
	}
	list("no schedule", func(rs []drillScheduleRow) bool { return find(rs, id) == nil })
	for _, verb := range []string{"trigger", "pause", "unpause", "delete"} {
		if _, errOut, code := run("drill", verb, id); code != 1 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, `no schedule "`+id+`"`) {
			t.Errorf("%s of a deleted schedule: exit %d: %s", verb, code, errOut)
		}
	}

	// drill run starts a DrillRun that no worker runs: its report waits.
	out, errOut, code = run("drill", "run", "--sample", "2", "--drill-id", "it-run", "--seed", "3")
	if code != 0 || !strings.Contains(out, "started drill it-run: 2 sampled live sites, runbook restore1, seed 3") ||
		!strings.Contains(out, "http://ui.test:8233/namespaces/default/workflows/"+workflows.DrillWorkflowID("it-run")) {
		t.Fatalf("drill run: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := run("drill", "run", "--sample", "2", "--drill-id", "it-run"); code != 1 || !strings.Contains(errOut, "drill it-run already exists") {
		t.Errorf("the same drill ID twice: exit %d: %s", code, errOut)
	}
	if _, errOut, code := run("drill", "report", "it-run", "--format", "json"); code != 1 || !strings.Contains(errOut, "drill it-run is still running") {
		t.Errorf("report of a running drill: exit %d: %s", code, errOut)
	}
	if _, errOut, code := run("drill", "report", "no-such-drill"); code != 1 || !strings.Contains(errOut, "no drill no-such-drill") {
		t.Errorf("report of no drill: exit %d: %s", code, errOut)
	}
}

// fakeDrillSeedFails makes fakeDrillRun fail its first site and take four
// times as long on its step.
const fakeDrillSeedFails = 666

// fakeDrillRun stands in for the DrillRun workflow, which others write:
// it derives its drill ID as a scheduled drill must, runs a fake batch
// under the drill's batch workflow ID (so that --wait can query its
// progress), and returns a drill.Result.
func fakeDrillRun(ctx workflow.Context, in drill.Input) (drill.Result, error) {
	id := in.DrillID
	if id == "" {
		id = drill.ID(in.ScheduleID, workflow.GetInfo(ctx).WorkflowStartTime)
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, workflows.SearchKeyDrillID.ValueSet(id)); err != nil {
		return drill.Result{}, err
	}
	start := workflow.Now(ctx)
	n := max(in.Sample, len(in.Sites))
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: workflows.BatchWorkflowID(id)})
	if err := workflow.ExecuteChildWorkflow(cctx, "fakeDrillBatch", n).Get(ctx, nil); err != nil {
		return drill.Result{}, err
	}
	res := drill.Result{DrillID: id, Runbook: in.Runbook, ScheduleID: in.ScheduleID, Seed: in.Seed, StartedAt: start, EndedAt: workflow.Now(ctx),
		RestorePoint: start.Add(-in.PointAge), ProductionUnchanged: true, ProductionChecked: 10, CleanedUp: true, LiveSitesBefore: 10, LiveSitesAfter: 10, Passed: true}
	for i := 0; i < n; i++ {
		site := drill.Site{SiteID: fmt.Sprintf("site-%d", i), CopyID: fmt.Sprintf("copy-%d", i), Stratum: drill.StratumSmall, Validated: true, Outcome: "restored",
			RTOSeconds: float64(30 + i), RPOSeconds: in.PointAge.Seconds(), RestorePoint: res.RestorePoint,
			Steps: []drill.Step{{StepID: "restore-db", Status: "done", Seconds: 10}}}
		if in.Seed == fakeDrillSeedFails {
			site.Steps[0].Seconds = 40
			if i == 0 {
				site.Validated, site.Outcome, site.Errors = false, "parked", []string{"restore-db: shard down"}
				res.Passed = false
			}
		}
		res.Sites = append(res.Sites, site)
	}
	verdict := drill.ResultPassed
	if !res.Passed {
		verdict = drill.ResultFailed
	}
	return res, workflow.UpsertTypedSearchAttributes(ctx, workflows.SearchKeyDrillResult.ValueSet(verdict))
}

// fakeDrillBatch answers the batch progress query while its n sites end,
// one a second.
func fakeDrillBatch(ctx workflow.Context, n int) error {
	done := 0
	err := workflow.SetQueryHandler(ctx, workflows.QueryBatchProgress, func() (workflows.BatchProgress, error) {
		return workflows.BatchProgress{SitesTotal: n, SitesByStatus: map[string]int{workflows.SiteRestored: done, workflows.SiteRunning: n - done}}, nil
	})
	if err != nil {
		return err
	}
	for done < n {
		if err := workflow.Sleep(ctx, time.Second); err != nil {
			return err
		}
		done++
	}
	return nil
}

// TestDrillRunWaitReportAndSchedule runs drills on a fake DrillRun worker:
// `drill run --wait` shows the sites done and exits 0 for a drill that
// passed, 1 for one that failed; `drill report` finds the earlier drill
// and the regressions; a schedule created with --every 1m fires on its
// own and `drill list` shows its last result.
func TestDrillRunWaitReportAndSchedule(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	srv, err := devserver.Start(ctx, devserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	w := sdkworker.New(srv.Client(), workflows.BatchTaskQueue, sdkworker.Options{})
	w.RegisterWorkflowWithOptions(fakeDrillRun, workflow.RegisterOptions{Name: workflows.DrillWorkflowName})
	w.RegisterWorkflowWithOptions(fakeDrillBatch, workflow.RegisterOptions{Name: "fakeDrillBatch"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	h := lazarus(t, "TEMPORAL_ADDRESS="+srv.FrontendHostPort())
	run := func(args ...string) (string, string, int) {
		t.Helper()
		r := h.Run(t, ctx, args...)
		return r.Stdout, r.Stderr, r.Code
	}

	// The schedule first: it fires at the next minute while the rest runs.
	const sched = "it-fires"
	if out, errOut, code := run("drill", "schedule", "--schedule-id", sched, "--every", "1m", "--sample", "3"); code != 0 {
		t.Fatalf("schedule: exit %d %s%s", code, out, errOut)
	}

	out, errOut, code := run("drill", "run", "--sample", "4", "--drill-id", "it-pass", "--wait", "--interval", "100ms")
	if code != 0 {
		t.Fatalf("a drill that passed: exit %d\n%s%s", code, out, errOut)
	}
	// The last progress line may be missed (the drill can end between two
	// looks), the lines before it are not.
	for _, want := range []string{"drill it-pass: 1/4 sites done (restored 1, running 3)", "drill it-pass PASSED after",
		"sites validated       4/4\n", "production unchanged  yes (10 tenants checked before and after)", "cleaned up            yes (live sites 10 before, 10 after)",
		"report                lazarus drill report it-pass -o html --out drill-it-pass.html"} {
		if !strings.Contains(out, want) {
			t.Errorf("drill run --wait lacks %q", want)
		}
	}
	if !strings.Contains(out, "/4 sites done (restored ") || strings.Count(out, "sites done") < 2 {
		t.Errorf("drill run --wait shows no progress")
	}

	out, errOut, code = run("drill", "run", "--sample", "4", "--drill-id", "it-fail", "--seed", fmt.Sprint(fakeDrillSeedFails), "--wait", "--interval", "100ms", "-o", "json")
	if code != 1 || !strings.Contains(errOut, "drill it-fail FAILED after") || !strings.Contains(errOut, "Error: drill it-fail FAILED: 1 of 4 sites not validated") {
		t.Errorf("a drill that failed: exit %d\n%s", code, errOut)
	}
	var doc drillRunDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.DrillID != "it-fail" || doc.Result == nil || doc.Result.Passed || len(doc.Result.Sites) != 4 {
		t.Errorf("drill run -o json: %v: %s", err, out)
	}

	out, errOut, code = run("drill", "report", "it-fail", "--format", "json")
	if code != 0 {
		t.Fatalf("report: exit %d %s", code, errOut)
	}
	var res drill.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, r := range res.Regressions {
		kinds = append(kinds, r.Kind+":"+r.SiteID+r.StepID)
	}
	if strings.Join(kinds, " ") != "failed-site:site-0 slower-step:restore-db" {
		t.Errorf("regressions of it-fail against it-pass: %v", kinds)
	}
	file := t.TempDir() + "/drill.html"
	out, errOut, code = run("drill", "report", "it-fail", "--format", "html", "--output", file)
	// The earlier drills are it-pass, and the schedule's first drill when it
	// fired (at the minute's turn) before it-fail started: a fresh-clone
	// make test on 2026-11-30 started the schedule at 04:40:58, it fired at
	// 04:41:00, and the report counted 2.
	prefix := "report of drill it-fail written to " + file + ": FAILED, 3/4 sites validated, 2 regressions against "
	if code != 0 || (!strings.Contains(out, prefix+"1 earlier drills of restore1") && !strings.Contains(out, prefix+"2 earlier drills of restore1")) {
		t.Errorf("report --output: exit %d %s%s", code, out, errOut)
	}

	// The schedule's drill: it fires on its own within a minute and ends;
	// the list shows its result.
	for {
		out, errOut, code = run("drill", "list")
		if code != 0 {
			t.Fatalf("drill list: exit %d %s", code, errOut)
		}
		if strings.Contains(out, "passed (3/3 sites validated)") {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the schedule's drill never showed as passed:\n%s", out)
		case <-time.After(2 * time.Second):
		}
	}
	for _, want := range []string{sched, "every 1m0s", "restore1", "active", sched + "-"} {
		if !strings.Contains(out, want) {
			t.Errorf("drill list lacks %q:\n%s", want, out)
		}
	}
	if _, _, code := run("drill", "delete", sched); code != 0 {
		t.Errorf("delete: exit %d", code)
	}
}

//go:build integration

package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/devserver"
	"github.com/lazarus-dr/lazarus/internal/tconn"
	"github.com/lazarus-dr/lazarus/internal/testpg"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/httpapi"
	"github.com/lazarus-dr/lazarus/preflight"
	"github.com/lazarus-dr/lazarus/runbooks"
	"github.com/lazarus-dr/lazarus/sandbox"
	"github.com/lazarus-dr/lazarus/sandbox/schema"
	"github.com/lazarus-dr/lazarus/sandbox/traffic"
	"github.com/lazarus-dr/lazarus/worker"
	"github.com/lazarus-dr/lazarus/workflows"
)

// The disaster of the test: 10 sites deleted where app IDs were meant, 3
// correct app IDs; 8 sites come back with Restore 2 (same IDs), 2 with
// Restore 1 (new IDs, same URLs).
const (
	fleetSites     = 60
	disasterSites  = 10
	disasterApps   = 3
	restore2Sites  = 8
	restoreOffset  = time.Second
	afterBackup    = 2 * time.Second
	trafficRate    = 40
	workerStopWait = 45 * time.Second
)

// TestRestoreAfterA2022LikeDisaster is the product on real components: a
// Temporal dev server, the sandbox (PostgreSQL with WAL archiving,
// versitygw, HTTP services), live traffic to the other tenants, a
// 2022-like disaster, the preflight refusing the mixed ID list (every app
// ID named with its site, nothing started), the worker with the real
// activities, a Restore 2 batch started and watched by the `lazarus` CLI
// with the customer-validation gates approved, the sandbox verifying every
// site against its truth and every other tenant untouched, a Restore 1
// batch (new IDs, URLs unchanged) verified the same way, and a shutdown
// that leaves no process behind.
func TestRestoreAfterA2022LikeDisaster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	began := time.Now()
	log := zap.NewNop()
	tmp := t.TempDir()

	// The CLI builds while the stack comes up.
	type built struct {
		bin string
		err error
	}
	buildDone := make(chan built, 1)
	go func() {
		bin, err := buildCLI(ctx, tmp)
		buildDone <- built{bin, err}
	}()

	// 1. The stack: dev server (every Lazarus search attribute) and sandbox.
	t0 := time.Now()
	srv, err := devserver.Start(ctx, devserver.Options{})
	if err != nil {
		t.Fatalf("dev server: %v", err)
	}
	srvStopped := false
	t.Cleanup(func() {
		if !srvStopped {
			_ = srv.Stop()
		}
	})
	// A client with a quiet logger (the dev server's own logs at debug);
	// the worker runs on it too.
	tc, _, err := tconn.Dial(ctx, tconn.Config{Address: srv.FrontendHostPort(), Namespace: "default", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	t.Logf("dev server up in %s at %s", time.Since(t0).Round(time.Millisecond), srv.FrontendHostPort())

	t0 = time.Now()
	dir := testpg.Dir(t, "lazarus-e2e-")
	p, err := sandbox.Up(ctx, sandbox.Options{StateDir: dir, Logger: log})
	if err != nil {
		t.Fatalf("sandbox up: %v", err)
	}
	downed := false
	t.Cleanup(func() {
		if !downed {
			_ = p.Down(context.Background())
		}
	})
	t.Logf("sandbox up in %s", time.Since(t0).Round(time.Millisecond))

	// 2. Seed, base backups, traffic to the other tenants, the disaster.
	t0 = time.Now()
	seeded, err := p.Seed(ctx, sandbox.SeedOptions{Sites: fleetSites, Seed: 2022})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	t.Logf("seed %d sites: %s, %d rows, %d objects, %d apps", seeded.Sites, time.Since(t0).Round(time.Millisecond), seeded.Rows, seeded.Objects, seeded.Apps)
	t0 = time.Now()
	if _, err := p.Backup(ctx); err != nil {
		t.Fatalf("backup: %v", err)
	}
	t.Logf("base backups: %s", time.Since(t0).Round(time.Millisecond))
	backupEnd := time.Now()

	ids, err := p.Like2022(ctx, disasterSites, disasterApps, 7)
	if err != nil {
		t.Fatalf("like-2022: %v", err)
	}
	if len(ids) != disasterSites+disasterApps {
		t.Fatalf("like-2022: %d IDs, want %d sites and %d apps", len(ids), disasterSites, disasterApps)
	}
	apps, sites := ids[:disasterApps], ids[disasterApps:]
	r2Sites, r1Sites := sites[:restore2Sites], sites[restore2Sites:]
	cat, err := p.Pool(ctx, schema.DBCatalog)
	if err != nil {
		t.Fatal(err)
	}
	urls := siteURLs(ctx, t, cat, sites)
	if len(urls) != disasterSites {
		t.Fatalf("URLs of the sites to delete: %d of %d", len(urls), disasterSites)
	}

	// A restore point (deletion - offset) strictly after the backups' end.
	time.Sleep(time.Until(backupEnd.Add(afterBackup)))
	tcfg, err := traffic.FromDescription(p.Description())
	if err != nil {
		t.Fatal(err)
	}
	tcfg.Exclude = sites
	tcfg.Rate, tcfg.Duration, tcfg.Seed, tcfg.Logger = trafficRate, 10*time.Minute, 5, log
	tctx, stopTraffic := context.WithCancel(ctx)
	defer stopTraffic()
	type trafficRun struct {
		res traffic.Result
		err error
	}
	trafficDone := make(chan trafficRun, 1)
	go func() {
		r, err := traffic.Run(tctx, tcfg)
		trafficDone <- trafficRun{r, err}
	}()
	time.Sleep(300 * time.Millisecond)

	t0 = time.Now()
	dres, err := p.PermanentDelete(ctx, ids)
	if err != nil {
		t.Fatalf("disaster: %v", err)
	}
	if dres.Sites != disasterSites || dres.Apps != disasterApps {
		t.Fatalf("disaster: %d sites %d apps, want %d and %d", dres.Sites, dres.Apps, disasterSites, disasterApps)
	}
	appSite := map[string]string{}
	deletedAt := map[string]time.Time{}
	var rows int64
	for _, d := range dres.Deletions {
		rows += d.Rows
		if d.Kind == platform.KindApp {
			appSite[d.ID] = d.SiteID
		} else {
			deletedAt[d.SiteID] = d.DeletedAt
		}
	}
	t.Logf("disaster: %d apps and %d sites deleted (%d rows) in %s", dres.Apps, dres.Sites, rows, time.Since(t0).Round(time.Millisecond))
	for _, a := range apps {
		if appSite[a] == "" {
			t.Fatalf("disaster: app %s has no site in the deletion record", a)
		}
	}

	// The front door says every deleted site is down.
	dirAPI := httpapi.New(p.Description().Services)
	for _, site := range sites {
		if h := checkSite(ctx, t, dirAPI, urls[site]); h.OK {
			t.Fatalf("front door: deleted site %s (%s) is OK: %+v", site, urls[site], h)
		}
	}

	bin := <-buildDone
	if bin.err != nil {
		t.Fatal(bin.err)
	}
	lz := cli{t: t, bin: bin.bin, address: srv.FrontendHostPort(), platform: p.DescriptionPath()}

	// 3. The guard: the mixed list (the script's own) is refused, every
	// app ID named with its site, and nothing starts.
	t0 = time.Now()
	_, err = preflight.Check(ctx, dirAPI, preflight.Request{IDs: ids, RestoreOffset: restoreOffset, Retention: sandbox.Retention})
	refused, ok := preflight.AsRefused(err)
	if !ok {
		t.Fatalf("preflight of the mixed list: want a refusal, got %v", err)
	}
	named := map[string]bool{}
	for _, pr := range refused.Problems {
		if pr.Kind != preflight.KindAppID {
			t.Errorf("preflight problem %q (%s): want only app-id problems", pr.Error(), pr.Kind)
			continue
		}
		if appSite[pr.ID] == "" {
			t.Errorf("preflight named %s as an app ID; it is not one of the disaster's apps", pr.ID)
			continue
		}
		if !strings.Contains(pr.Reason, appSite[pr.ID]) {
			t.Errorf("preflight problem for app %s does not name its site %s: %s", pr.ID, appSite[pr.ID], pr.Reason)
		}
		named[pr.ID] = true
	}
	if len(named) != disasterApps {
		t.Fatalf("preflight named %d of the %d app IDs:\n%s", len(named), disasterApps, refused.Error())
	}
	mixed := writeLines(t, filepath.Join(tmp, "mixed.txt"), ids)
	out, code := lz.run(ctx, "restore", "start", "--runbook", "restore2", "--ids-file", mixed,
		"--restore-offset", restoreOffset.String(), "--batch-id", "e2e-mixed", "--platform", p.DescriptionPath())
	if code != 1 {
		t.Fatalf("restore start with the mixed list: exit %d, want 1", code)
	}
	for _, a := range apps {
		if !strings.Contains(out, a) || !strings.Contains(out, appSite[a]) {
			t.Errorf("the refusal does not name app %s and its site %s", a, appSite[a])
		}
	}
	if !strings.Contains(out, "no workflow started") {
		t.Error(`the refusal does not say "no workflow started"`)
	}
	if _, err := tc.DescribeWorkflowExecution(ctx, workflows.BatchWorkflowID("e2e-mixed"), ""); !isNotFound(err) {
		t.Fatalf("the refused batch's workflow: want not found, got %v", err)
	}
	if n := countWorkflows(ctx, t, tc, "", 0); n != 0 {
		t.Fatalf("after the refusal the namespace holds %d workflows, want none", n)
	}
	t.Logf("guard: preflight and CLI refused the mixed list of %d IDs in %s", len(ids), time.Since(t0).Round(time.Millisecond))

	// 4. The worker in-process with the real activities.
	wctx, stopWorker := context.WithCancel(ctx)
	defer stopWorker()
	ready := make(chan struct{})
	workerDone := make(chan error, 1)
	go func() {
		workerDone <- worker.Run(wctx, worker.Options{Client: tc, PlatformFile: p.DescriptionPath(), Config: worker.DefaultConfig(), Logger: log, Ready: ready})
	}()
	select {
	case <-ready:
	case err := <-workerDone:
		t.Fatalf("worker: %v", err)
	}

	// Restore 2 of the 8 sites, watched by the CLI, gates approved.
	r2 := restoreBatch(ctx, t, lz, tc, "restore2", "e2e-r2", r2Sites, tmp)
	cloneTolerance := planTolerance(t, "restore2")
	// Each site got a point no later than its deletion - offset, within
	// the clone tolerance, after the backups (the catalog keeps
	// microseconds).
	for _, s := range r2.Sites {
		del := deletedAt[s.SiteID].Truncate(time.Microsecond)
		want := del.Add(-restoreOffset)
		if !s.DeletedAt.Equal(del) || s.RestorePoint.After(want) || s.RestorePoint.Before(want.Add(-cloneTolerance)) || !s.RestorePoint.After(backupEnd) {
			t.Errorf("site %s: deleted %s restore point %s; want deleted %s, point in [%s, %s] and after the backups (%s)",
				s.SiteID, s.DeletedAt, s.RestorePoint, del, want.Add(-cloneTolerance), want, backupEnd)
		}
	}

	for _, site := range r2Sites {
		if h := checkSite(ctx, t, dirAPI, urls[site]); !h.OK || h.SiteID != site {
			t.Errorf("front door after Restore 2: %s (%s): %+v, want OK under its own ID", site, urls[site], h)
		}
	}

	// 5. Verify while the traffic runs: the Restore 2 sites match their
	// truth under their own IDs; the two left for Restore 1 are still gone;
	// the intended app deletions stay; every other tenant is untouched
	// apart from its traffic.
	t0 = time.Now()
	rep, err := p.Verify(ctx, sandbox.VerifyOptions{IDs: sites, Intended: apps})
	if err != nil {
		t.Fatalf("verify after Restore 2: %v", err)
	}
	text := report(rep)
	t.Logf("verify after Restore 2 took %s", time.Since(t0).Round(time.Millisecond))
	if !sameSet(rep.DamagedSites(), r1Sites) {
		t.Fatalf("verify after Restore 2: damaged %v, want exactly the Restore 1 sites %v:\n%s", rep.DamagedSites(), r1Sites, text)
	}
	checkRest(t, rep, apps, text)
	for _, s := range rep.Sites {
		if slices.Contains(r2Sites, s.SiteID) && s.AsSiteID != s.SiteID {
			t.Errorf("site %s restored as %q, want its own ID", s.SiteID, s.AsSiteID)
		}
	}

	// 6. Restore 1 of the other two: new IDs, URLs unchanged.
	restoreBatch(ctx, t, lz, tc, "restore1", "e2e-r1", r1Sites, tmp)
	t0 = time.Now()
	rep, err = p.Verify(ctx, sandbox.VerifyOptions{IDs: sites, Intended: apps})
	if err != nil {
		t.Fatalf("verify after Restore 1: %v", err)
	}
	text = report(rep)
	t.Logf("verify after Restore 1 took %s", time.Since(t0).Round(time.Millisecond))
	if !rep.OK || len(rep.DamagedSites()) != 0 {
		t.Fatalf("verify after both batches: not OK (damaged %v):\n%s", rep.DamagedSites(), text)
	}
	checkRest(t, rep, apps, text)
	for _, s := range rep.Sites {
		if !slices.Contains(r1Sites, s.SiteID) {
			continue
		}
		if s.AsSiteID == "" || s.AsSiteID == s.SiteID {
			t.Errorf("Restore 1 of %s: restored as %q, want a new ID", s.SiteID, s.AsSiteID)
			continue
		}
		now := siteURLs(ctx, t, cat, []string{s.AsSiteID, s.SiteID})
		if now[s.AsSiteID] != urls[s.SiteID] {
			t.Errorf("Restore 1 of %s as %s: URL %q, want the old %q", s.SiteID, s.AsSiteID, now[s.AsSiteID], urls[s.SiteID])
		}
		if _, back := now[s.SiteID]; back {
			t.Errorf("Restore 1 of %s: the old ID is back in the catalog", s.SiteID)
		}
		if h := checkSite(ctx, t, dirAPI, urls[s.SiteID]); !h.OK || h.SiteID != s.AsSiteID {
			t.Errorf("front door after Restore 1: %s: %+v, want OK as %s", urls[s.SiteID], h, s.AsSiteID)
		}
		t.Logf("Restore 1: %s is now %s at %s", s.SiteID, s.AsSiteID, urls[s.SiteID])
	}

	// The traffic ran through everything; once it stops, a last verify.
	stopTraffic()
	tr := <-trafficDone
	if tr.err != nil {
		t.Fatalf("traffic: %v", tr.err)
	}
	if tr.res.Writes < 50 || tr.res.Sites < 10 {
		t.Fatalf("traffic: %d writes on %d sites, want at least 50 on 10", tr.res.Writes, tr.res.Sites)
	}
	t.Logf("traffic: %d writes on %d other tenants at %.1f/s", tr.res.Writes, tr.res.Sites, tr.res.Rate)
	if rep, err = p.Verify(ctx, sandbox.VerifyOptions{IDs: sites, Intended: apps}); err != nil || !rep.OK {
		t.Fatalf("final verify: %v\n%s", err, report(rep))
	}

	// 7. Clean shutdown: worker, sandbox, dev server; no process left.
	// The batches' cleanup dropped their point-in-time clones: only the
	// sandbox's two clusters still run.
	pids := postmasters(dir)
	if len(pids) != 2 {
		t.Errorf("PostgreSQL servers under the sandbox after both batches: %v, want the 2 clusters (clones dropped)", pids)
	}
	pids["versitygw"] = p.State().GatewayPID
	// The dev server is a child of this process: the check below sees it.
	devChild := false
	for _, name := range descendants(os.Getpid()) {
		devChild = devChild || strings.HasPrefix(name, "temporal")
	}
	if !devChild {
		t.Errorf("the dev server is not among this process's children: %v", descendants(os.Getpid()))
	}
	t0 = time.Now()
	stopWorker()
	select {
	case err := <-workerDone:
		if err != nil {
			t.Errorf("worker stopped with %v", err)
		}
	case <-time.After(workerStopWait):
		t.Fatal("the worker did not stop")
	}
	downed = true
	if err := p.Down(ctx); err != nil {
		t.Errorf("sandbox down: %v", err)
	}
	srvStopped = true
	if err := srv.Stop(); err != nil {
		t.Errorf("dev server stop: %v", err)
	}
	if left := waitGone(pids, 10*time.Second); len(left) > 0 {
		t.Errorf("still running after down: %v", left)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(descendants(os.Getpid())) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if d := descendants(os.Getpid()); len(d) > 0 {
		t.Errorf("child processes left: %v", d)
	}
	t.Logf("shutdown: %s; whole test %s", time.Since(t0).Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
}

// restoreBatch runs `lazarus restore start --wait --auto-approve` for
// sites with a default runbook and checks every site came back.
func restoreBatch(ctx context.Context, t *testing.T, lz cli, tc client.Client, runbook, batchID string, sites []string, tmp string) workflows.BatchResult {
	t.Helper()
	file := writeLines(t, filepath.Join(tmp, batchID+".txt"), sites)
	t0 := time.Now()
	out, code := lz.run(ctx, "restore", "start", "--runbook", runbook, "--ids-file", file,
		"--restore-offset", restoreOffset.String(), "--batch-id", batchID, "--wait", "--auto-approve", "e2e-test",
		"--platform", lz.platform)
	took := time.Since(t0)
	if code != 0 {
		t.Fatalf("%s batch %s: exit %d", runbook, batchID, code)
	}
	if want := fmt.Sprintf("%d/%d sites restored", len(sites), len(sites)); !strings.Contains(out, want) {
		t.Fatalf("%s batch %s: output lacks %q", runbook, batchID, want)
	}
	var res workflows.BatchResult
	if err := tc.GetWorkflow(ctx, workflows.BatchWorkflowID(batchID), "").Get(ctx, &res); err != nil {
		t.Fatalf("batch %s result: %v", batchID, err)
	}
	var got []string
	for _, s := range res.Sites {
		got = append(got, s.SiteID)
		if s.Outcome != workflows.SiteRestored {
			t.Errorf("batch %s site %s: %s %v", batchID, s.SiteID, s.Outcome, s.Errors)
		}
	}
	if !sameSet(got, sites) || res.Runbook != runbook {
		t.Fatalf("batch %s: runbook %s sites %v, want %s and %v", batchID, res.Runbook, got, runbook, sites)
	}
	// Every site ran every step of the compiled plan (but the steps of
	// products it did not have, skipped by only_if_product), and its
	// customer-validation gate was approved by the CLI's operator.
	plan, err := runbooks.Default(runbook)
	if err != nil {
		t.Fatal(err)
	}
	// The site state lists the batch-scoped lead steps (the clones) too.
	siteSteps := len(plan.Steps)
	for _, site := range sites {
		v, err := tc.QueryWorkflow(ctx, workflows.SiteWorkflowID(site), "", workflows.QuerySiteState)
		if err != nil {
			t.Fatalf("site %s state: %v", site, err)
		}
		var st workflows.SiteState
		if err := v.Get(&st); err != nil {
			t.Fatalf("site %s state: %v", site, err)
		}
		gates, done := 0, 0
		for _, step := range st.Steps {
			ps, _ := plan.Step(step.StepID)
			switch {
			case step.Status == workflows.StepDone:
				done++
			case step.Status == workflows.StepSkipped && ps.OnlyIfProduct != "" &&
				step.Message == "site had no "+ps.OnlyIfProduct+" at the restore point: nothing to do":
				// A product the site did not have (only_if_product).
			default:
				t.Errorf("site %s step %s (%s): %s %s %s", site, step.StepID, step.Action, step.Status, step.Message, step.Error)
			}
			if step.Action == "gate.customer_validation" {
				gates++
				if !strings.HasPrefix(step.Message, "approved by e2e-test") {
					t.Errorf("site %s gate %s: %q, want approved by e2e-test", site, step.StepID, step.Message)
				}
			}
		}
		if done == 0 {
			t.Errorf("site %s: none of its %d steps done", site, len(st.Steps))
		}
		if len(st.Steps) != siteSteps || gates != 1 || st.BatchID != batchID {
			t.Errorf("site %s: batch %q, %d steps with %d gates, want batch %s, %d steps and 1 gate", site, st.BatchID, len(st.Steps), gates, batchID, siteSteps)
		}
	}
	// Every site workflow of the batch is in visibility, closed.
	q := fmt.Sprintf("%s = '%s' AND WorkflowType = '%s'", workflows.SearchAttrBatchID, batchID, workflows.RestoreSiteWorkflowName)
	if n := countWorkflows(ctx, t, tc, q+" AND ExecutionStatus = 'Completed'", int64(len(sites))); n != int64(len(sites)) {
		t.Errorf("batch %s: %d completed site workflows in visibility, want %d", batchID, n, len(sites))
	}
	t.Logf("%s: %d sites restored; restore phase %.1f s (batch workflow %.1f s)", runbook, len(sites), took.Seconds(), res.EndedAt.Sub(res.StartedAt).Seconds())
	return res
}

// checkRest checks what both verifications share: no unknown ID, the
// intended app deletions stayed, every other tenant is untouched, no
// unexplained tenant.
func checkRest(t *testing.T, rep *sandbox.VerifyReport, apps []string, text string) {
	t.Helper()
	if len(rep.Unknown) != 0 || len(rep.OthersDamaged) != 0 || len(rep.NewTenants) != 0 {
		t.Fatalf("verify: unknown %v, others damaged %d, new tenants %v:\n%s", rep.Unknown, len(rep.OthersDamaged), rep.NewTenants, text)
	}
	if rep.OthersChecked != fleetSites-disasterSites {
		t.Fatalf("verify: %d other tenants checked, want %d:\n%s", rep.OthersChecked, fleetSites-disasterSites, text)
	}
	if len(rep.Apps) != len(apps) {
		t.Fatalf("verify: %d apps reported, want %d:\n%s", len(rep.Apps), len(apps), text)
	}
	for _, a := range rep.Apps {
		if !a.OK || !a.Intended {
			t.Errorf("verify: app %s (site %s): ok %v intended %v: %s", a.AppID, a.SiteID, a.OK, a.Intended, a.Problem)
		}
	}
}

func report(rep *sandbox.VerifyReport) string {
	if rep == nil {
		return ""
	}
	var b strings.Builder
	rep.Write(&b)
	return b.String()
}

// countWorkflows counts the namespace's workflows matching a visibility
// query (all when empty), giving visibility up to 3 s to reach want.
func countWorkflows(ctx context.Context, t *testing.T, tc client.Client, query string, want int64) int64 {
	t.Helper()
	if want == 0 {
		time.Sleep(300 * time.Millisecond) // anything started would show by now
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		resp, err := tc.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: "default", Query: query})
		if err != nil {
			t.Fatalf("count workflows %q: %v", query, err)
		}
		if resp.GetCount() == want || time.Now().After(deadline) {
			return resp.GetCount()
		}
		time.Sleep(150 * time.Millisecond)
	}
}

func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// planTolerance is the db.clone tolerance of a compiled default runbook.
func planTolerance(t *testing.T, name string) time.Duration {
	t.Helper()
	plan, err := runbooks.Default(name)
	if err != nil {
		t.Fatalf("runbook %s: %v", name, err)
	}
	for _, st := range plan.Steps {
		if st.Action != "db.clone" {
			continue
		}
		d, err := time.ParseDuration(st.Params["tolerance"])
		if err != nil {
			t.Fatalf("runbook %s step %s: tolerance %q: %v", name, st.ID, st.Params["tolerance"], err)
		}
		return d
	}
	t.Fatalf("runbook %s has no db.clone step", name)
	return 0
}

// checkSite asks the sandbox's front door about a site URL.
func checkSite(ctx context.Context, t *testing.T, fd platform.FrontDoor, url string) platform.SiteHealth {
	t.Helper()
	h, err := fd.CheckSite(ctx, url)
	if err != nil {
		t.Fatalf("front door %s: %v", url, err)
	}
	return h
}

//go:build integration

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/activities"
	"github.com/lazarus-dr/lazarus/drill"
	"github.com/lazarus-dr/lazarus/sandbox"
	"github.com/lazarus-dr/lazarus/sandbox/schema"
	"github.com/lazarus-dr/lazarus/sandbox/traffic"
	"github.com/lazarus-dr/lazarus/workflows"
)

// Drills on the real stack (issue 12): a Temporal dev server, the sandbox
// with live traffic, the worker with its real activities, the lazarus CLI.
const (
	drillFleet  = 60
	drillSample = 20
	// drillPointAge: the sandbox's backups are seconds old, so the drill's
	// restore point is seconds (not the default minutes) in the past.
	drillPointAge = 3 * time.Second
)

// TestDrillsOnTheSandbox runs, on one stack:
//
//  1. a drill of 20 live sites while traffic writes to every tenant: all
//     20 copies validated, RTO and RPO recorded for every site and step,
//     every production tenant unchanged apart from its traffic (the drill's
//     own proof, and the sandbox's verification of every tenant against its
//     truth), and the site count back to what it was (no copy left);
//  2. a drill that fails halfway: the search service refuses one copy (a
//     permanent 422 after its catalog, data and media are restored); the
//     drill exits 1, reports that site failed and the others validated, and
//     still cleans up every copy;
//  3. a schedule created with `drill schedule --every 1m` fires, and
//     `drill list` shows its last drill's result.
func TestDrillsOnTheSandbox(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	log := zap.NewNop()
	tmp := t.TempDir()
	buildDone := make(chan error, 1)
	var bin string
	go func() {
		var err error
		bin, err = buildCLI(ctx, tmp)
		buildDone <- err
	}()

	srv, tc, p := upSeeded(ctx, t, "lazarus-drill-", drillFleet, 12, log)
	backupEnd := time.Now()

	// Live traffic to every tenant, for the whole test.
	tcfg, err := traffic.FromDescription(p.Description())
	if err != nil {
		t.Fatal(err)
	}
	tcfg.Rate, tcfg.Duration, tcfg.Seed, tcfg.Logger = 20, 15*time.Minute, 12, log
	tctx, stopTraffic := context.WithCancel(ctx)
	defer stopTraffic()
	trafficDone := make(chan error, 1)
	go func() {
		_, err := traffic.Run(tctx, tcfg)
		trafficDone <- err
	}()

	runWorker(ctx, t, tc, p, log)
	if err := <-buildDone; err != nil {
		t.Fatal(err)
	}
	lz := cli{t: t, bin: bin, address: srv.FrontendHostPort(), platform: p.DescriptionPath()}
	cat, err := p.Pool(ctx, schema.DBCatalog)
	if err != nil {
		t.Fatal(err)
	}
	sitesBefore := countSites(ctx, t, cat)
	// The restore point (start - drillPointAge) after the backups' end.
	time.Sleep(time.Until(backupEnd.Add(drillPointAge + time.Second)))
	age := drillPointAge.String()

	// 1. A drill of 20 live sites, with traffic.
	t0 := time.Now()
	out, code := lz.run(ctx, "drill", "run", "--sample", fmt.Sprint(drillSample), "--drill-id", "e2e-drill", "--seed", "7",
		"--point-age", age, "--wait")
	if code != 0 {
		t.Fatalf("drill run: exit %d, want 0:\n%s\n%s", code, out, pending(ctx, tc, workflows.DrillWorkflowID("e2e-drill"), workflows.BatchWorkflowID("e2e-drill")))
	}
	t.Logf("drill of %d sites in %s", drillSample, time.Since(t0).Round(time.Second))
	res := drillReport(ctx, t, lz, "e2e-drill")
	if len(res.Sites) != drillSample {
		t.Fatalf("the drill restored %d sites, want %d", len(res.Sites), drillSample)
	}
	strata := map[string]int{}
	for _, s := range res.Sites {
		strata[s.Stratum]++
		if !s.Validated {
			t.Errorf("site %s not validated: %s %v", s.SiteID, s.Outcome, s.Errors)
		}
		if s.RTOSeconds <= 0 || s.RPOSeconds < drillPointAge.Seconds() || len(s.Steps) == 0 {
			t.Errorf("site %s: RTO %.1f s, RPO %.1f s, %d steps: want both recorded, RPO at least the point's age", s.SiteID, s.RTOSeconds, s.RPOSeconds, len(s.Steps))
		}
		for _, st := range s.Steps {
			if st.Seconds < 0 || st.RPOSeconds <= 0 {
				t.Errorf("site %s step %s: %.3f s, RPO %.1f s", s.SiteID, st.StepID, st.Seconds, st.RPOSeconds)
			}
		}
	}
	for _, k := range []string{drill.StratumLarge, drill.StratumSmall, drill.StratumMultiProduct} {
		if strata[k] == 0 {
			t.Errorf("the sample has no %s site: %v", k, strata)
		}
	}
	if !res.ProductionUnchanged || res.ProductionChecked < drillFleet-drillSample || !res.CleanedUp || !res.Passed {
		t.Fatalf("drill: production unchanged %v over %d tenants (changed %v), cleaned up %v, passed %v, errors %v",
			res.ProductionUnchanged, res.ProductionChecked, res.ProductionChanged, res.CleanedUp, res.Passed, res.Errors)
	}
	checkNoCopies(ctx, t, cat, "e2e-drill", sitesBefore)
	// The sandbox's own check: every tenant is its truth plus its traffic.
	rep, err := p.Verify(ctx, sandbox.VerifyOptions{})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if !rep.OK || len(rep.OthersDamaged) > 0 || len(rep.NewTenants) > 0 {
		t.Fatalf("after the drill the sandbox finds tenants damaged %d, new %v:\n%s", len(rep.OthersDamaged), rep.NewTenants, report(rep))
	}
	md, code := lz.run(ctx, "drill", "report", "e2e-drill", "--format", "md")
	if code != 0 || !strings.Contains(md, "e2e-drill") {
		t.Errorf("drill report --format md: exit %d:\n%s", code, md)
	}

	// 2. A drill that fails halfway: the search service refuses one copy.
	picked := make([]string, 3)
	for i := range picked {
		picked[i] = res.Sites[i].SiteID
	}
	const faultDrill = "e2e-drill-fault"
	refused := activities.NewSiteID(faultDrill, picked[0])
	setRefusal(ctx, t, p.Description().Services.Admin, "search", refused)
	ids := writeLines(t, filepath.Join(tmp, "drill-sites.txt"), picked)
	out, code = lz.run(ctx, "drill", "run", "--sites-file", ids, "--drill-id", faultDrill, "--point-age", age, "--wait")
	if code != 1 {
		t.Fatalf("drill with a fault: exit %d, want 1:\n%s", code, out)
	}
	setRefusal(ctx, t, p.Description().Services.Admin, "search")
	fres := drillReport(ctx, t, lz, faultDrill)
	if fres.Passed || !fres.CleanedUp || !fres.ProductionUnchanged || len(fres.Sites) != 3 {
		t.Fatalf("drill with a fault: passed %v, cleaned up %v, production unchanged %v, %d sites; errors %v",
			fres.Passed, fres.CleanedUp, fres.ProductionUnchanged, len(fres.Sites), fres.Errors)
	}
	for _, s := range fres.Sites {
		if want := s.SiteID != picked[0]; s.Validated != want {
			t.Errorf("drill with a fault: site %s validated %v, want %v (%s %v)", s.SiteID, s.Validated, want, s.Outcome, s.Errors)
		}
	}
	failed := false
	for _, r := range fres.Regressions {
		failed = failed || (r.Kind == drill.RegressionFailedSite && r.SiteID == picked[0])
	}
	if !failed {
		t.Errorf("the report of the failed drill has no failed-site regression for %s: %+v", picked[0], fres.Regressions)
	}
	checkNoCopies(ctx, t, cat, faultDrill, sitesBefore)

	// 3. A schedule every minute fires; `drill list` shows its last result.
	out, code = lz.run(ctx, "drill", "schedule", "--schedule-id", "e2e-every-minute", "--every", "1m", "--sample", "2",
		"--point-age", age)
	if code != 0 {
		t.Fatalf("drill schedule: exit %d:\n%s", code, out)
	}
	deadline := time.Now().Add(4 * time.Minute)
	for {
		out, code = lz.run(ctx, "drill", "list", "-o", "json")
		if code == 0 && (strings.Contains(out, `"`+drill.ResultPassed+`"`) || strings.Contains(out, `"`+drill.ResultFailed+`"`)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("drill list shows no finished drill of the schedule after 4 minutes (exit %d):\n%s", code, out)
		}
		time.Sleep(5 * time.Second)
	}
	if !strings.Contains(out, "e2e-every-minute") || !strings.Contains(out, `"`+drill.ResultPassed+`"`) {
		t.Errorf("drill list: want the schedule with a passed last drill:\n%s", out)
	}
	if _, code := lz.run(ctx, "drill", "delete", "e2e-every-minute"); code != 0 {
		t.Errorf("drill delete: exit %d", code)
	}
	stopTraffic()
	if err := <-trafficDone; err != nil {
		t.Errorf("traffic: %v", err)
	}
}

// pending says, for a failure message, what these workflows are waiting
// for: their status and pending activities with their last failure.
func pending(ctx context.Context, tc client.Client, ids ...string) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var b strings.Builder
	for _, id := range ids {
		d, err := tc.DescribeWorkflowExecution(ctx, id, "")
		if err != nil {
			fmt.Fprintf(&b, "%s: %v\n", id, err)
			continue
		}
		fmt.Fprintf(&b, "%s: %s, history %d events\n", id, d.GetWorkflowExecutionInfo().GetStatus(), d.GetWorkflowExecutionInfo().GetHistoryLength())
		for _, a := range d.GetPendingActivities() {
			fmt.Fprintf(&b, "  pending %s (%s) attempt %d: %s\n", a.GetActivityType().GetName(), a.GetState(), a.GetAttempt(), a.GetLastFailure().GetMessage())
		}
		for _, c := range d.GetPendingChildren() {
			fmt.Fprintf(&b, "  child %s\n", c.GetWorkflowId())
		}
	}
	return b.String()
}

// drillReport reads a drill's JSON report through the CLI.
func drillReport(ctx context.Context, t *testing.T, lz cli, id string) drill.Result {
	t.Helper()
	out, code := lz.run(ctx, "drill", "report", id, "--format", "json")
	if code != 0 {
		t.Fatalf("drill report %s: exit %d:\n%s", id, code, out)
	}
	var res drill.Result
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &res); err != nil {
		t.Fatalf("drill report %s: %v:\n%s", id, err, out)
	}
	var raw map[string]any
	_ = json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &raw)
	for _, k := range []string{"drill_id", "runbook", "sites", "production_unchanged", "cleaned_up", "regressions"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("drill report %s: no %q in the JSON", id, k)
		}
	}
	return res
}

func countSites(ctx context.Context, t *testing.T, cat *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := cat.QueryRow(ctx, `SELECT count(*) FROM sites`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// checkNoCopies: the catalog holds as many sites as before the drills and
// no drill URL of this drill.
func checkNoCopies(ctx context.Context, t *testing.T, cat *pgxpool.Pool, drillID string, before int) {
	t.Helper()
	if n := countSites(ctx, t, cat); n != before {
		t.Errorf("after drill %s the catalog has %d sites, %d before", drillID, n, before)
	}
	var left int
	if err := cat.QueryRow(ctx, `SELECT count(*) FROM sites WHERE url LIKE $1`, "%//drill-"+drillID+"-%").Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left > 0 {
		t.Errorf("after drill %s, %d drill copies are still in the catalog", drillID, left)
	}
}

// setRefusal makes a sandbox service refuse requests about these IDs (none:
// clear the service's fault).
func setRefusal(ctx context.Context, t *testing.T, admin, service string, ids ...string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"refuse_sites": ids})
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, strings.TrimRight(admin, "/")+"/v1/faults/"+service, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("set the %s fault: %v", service, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("set the %s fault: %s", service, resp.Status)
	}
}

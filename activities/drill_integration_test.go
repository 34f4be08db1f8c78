//go:build integration

package activities_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/lazarus-dr/lazarus/activities"
	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/drill"
	"github.com/lazarus-dr/lazarus/sandbox/traffic"
)

// TestDrillActivitiesOnSandbox runs the drill's platform activities on a
// real sandbox: the sample and the refusals of drill-prepare, the
// production checksums through live traffic and a direct write, and the
// cleanup of drill copies made by the runbook's own actions (complete,
// idempotent, and refusing a copy ID that is not a drill copy).
func TestDrillActivitiesOnSandbox(t *testing.T) {
	w := upWorld(t, 40)
	ctx := context.Background()
	if _, err := activities.New(activities.Deps{Description: w.desc}).DrillChecksums(ctx); !activities.IsPermanent(err) ||
		activities.ErrorType(err) != activities.ErrMissingDep || !strings.Contains(err.Error(), "no checksums adapter") {
		t.Errorf("checksums without an adapter: %v, want a non-retryable %s", err, activities.ErrMissingDep)
	}
	w.deps.Checksums = w.p
	w.acts = activities.New(w.deps)
	const drillID = "it-drill-20261129-174500"
	w.backup()
	time.Sleep(300 * time.Millisecond)
	point := time.Now()
	time.Sleep(300 * time.Millisecond)

	// Prepare: a deterministic stratified sample of the live catalog.
	prep := func(in drill.PrepareInput) (drill.PrepareOutput, error) {
		in.DrillID = drillID
		if in.Point.IsZero() {
			in.Point = point
		}
		return w.acts.DrillPrepare(ctx, in)
	}
	out, err := prep(drill.PrepareInput{Runbook: "restore1", Sample: 6, Seed: 11})
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	if out.LiveSites != 40 || len(out.Sites) != 6 || !reflect.DeepEqual(out.GatesLeftOut, []string{"customer-validation"}) {
		t.Fatalf("prepare: %d live sites, %d sites, gates left out %v", out.LiveSites, len(out.Sites), out.GatesLeftOut)
	}
	for _, st := range out.Plan.Steps {
		if st.Gate != nil {
			t.Errorf("prepare: gate %s left in the plan", st.ID)
		}
	}
	strata := map[string][]string{}
	for _, p := range out.Sites {
		strata[p.Stratum] = append(strata[p.Stratum], p.SiteID)
	}
	if len(strata[drill.StratumLarge]) != 2 || len(strata[drill.StratumSmall]) != 2 || len(strata[drill.StratumMultiProduct]) != 2 {
		t.Errorf("prepare: strata %v, want 2 large, 2 small, 2 multi-product", strata)
	}
	rows := func(site string) int64 {
		var n int64
		for _, shard := range []string{"shard_1", "shard_2", "shard_3", "shard_4"} {
			for _, tb := range []string{"jira_projects", "jira_issues", "jira_comments", "jira_attachments", "conf_spaces", "conf_pages",
				"conf_comments", "conf_attachments", "jsm_queues", "jsm_requests", "og_alerts", "sp_components"} {
				n += w.count(shard, `SELECT count(*) FROM `+tb+` WHERE site_id = $1`, site)
			}
		}
		return n
	}
	for _, l := range strata[drill.StratumLarge] {
		for _, s := range strata[drill.StratumSmall] {
			if rows(l) < rows(s) {
				t.Errorf("prepare: large site %s has %d rows, small site %s %d", l, rows(l), s, rows(s))
			}
		}
	}
	for _, m := range strata[drill.StratumMultiProduct] {
		if n := w.count("catalog", `SELECT count(*) FROM product_activations WHERE site_id = $1`, m); n < drill.MultiProductMin {
			t.Errorf("prepare: multi-product site %s has %d products", m, n)
		}
	}
	again, err := prep(drill.PrepareInput{Runbook: "restore1", Sample: 6, Seed: 11})
	if err != nil || !reflect.DeepEqual(again.Sites, out.Sites) {
		t.Errorf("prepare again with the same seed: %v %v, want %v", again.Sites, err, out.Sites)
	}
	t.Logf("sample: %v", out.Sites)

	refused := func(what string, err error, errType string, want ...string) {
		t.Helper()
		if err == nil || !activities.IsPermanent(err) || (errType != "" && activities.ErrorType(err) != errType) {
			t.Errorf("%s: want a non-retryable %s error, got %v", what, errType, err)
			return
		}
		for _, s := range want {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: %q does not name %q", what, err.Error(), s)
			}
		}
	}
	_, err = prep(drill.PrepareInput{Runbook: "restore2", Sample: 3})
	refused("prepare restore2", err, activities.ErrDrillWritesLive, "restore2", contract.ActionCatalogCreateSite)
	_, err = prep(drill.PrepareInput{Runbook: "restore1", Sample: 3, Point: time.Now().Add(time.Hour)})
	refused("prepare with a future point", err, activities.ErrInvalidInput, "future")
	_, err = prep(drill.PrepareInput{Runbook: "restore1", Sample: 3, Point: time.Now().Add(-time.Hour)})
	refused("prepare with a point before the base backups", err, activities.ErrOutsideRetention, "oldest base backup")

	// Production checksums: equal through live traffic (taken while it
	// writes and after), different after a direct write to one tenant.
	sums := func() map[string]string {
		t.Helper()
		o, err := w.acts.DrillChecksums(ctx)
		if err != nil {
			t.Fatalf("checksums: %v", err)
		}
		return o.Tenants
	}
	began := time.Now()
	before := sums()
	t.Logf("production checksums of %d tenants in %s", len(before), time.Since(began).Round(time.Millisecond))
	if len(before) != 40 {
		t.Fatalf("checksums of %d tenants, want 40", len(before))
	}
	tcfg, err := traffic.FromDescription(w.desc)
	if err != nil {
		t.Fatal(err)
	}
	tcfg.Rate, tcfg.Duration, tcfg.MaxWrites, tcfg.Seed = 100, 20*time.Second, 150, 5
	var wg sync.WaitGroup
	var tres traffic.Result
	var terr error
	wg.Add(1)
	go func() { defer wg.Done(); tres, terr = traffic.Run(ctx, tcfg) }()
	time.Sleep(300 * time.Millisecond)
	during := sums()
	wg.Wait()
	if terr != nil || tres.Writes == 0 {
		t.Fatalf("traffic: %+v %v", tres, terr)
	}
	after := sums()
	t.Logf("traffic: %d writes on %d sites in %s", tres.Writes, tres.Sites, tres.Elapsed.Round(time.Millisecond))
	for name, got := range map[string]map[string]string{"during": during, "after": after} {
		if d := diffFP(before, got); len(d) > 0 {
			t.Errorf("checksums %s %d traffic writes on %d sites differ for %v", name, tres.Writes, tres.Sites, d)
		}
	}
	written := w.otherSite([]string{})
	w.exec("catalog", `UPDATE site_flags SET value = value || '-changed' WHERE site_id = $1 AND flag = (SELECT min(flag) FROM site_flags WHERE site_id = $1)`, written)
	if d := diffFP(before, sums()); !reflect.DeepEqual(d, []string{written}) {
		t.Errorf("after a direct write to %s: checksums differ for %v", written, d)
	}
	w.exec("catalog", `UPDATE site_flags SET value = left(value, length(value) - length('-changed')) WHERE site_id = $1 AND flag = (SELECT min(flag) FROM site_flags WHERE site_id = $1)`, written)
	if d := diffFP(before, sums()); len(d) > 0 {
		t.Errorf("after undoing the write: checksums differ for %v", d)
	}

	// Drill copies made by the runbook's own actions: siteA restored (its
	// catalog row, rows of its products, media), siteB only created; a
	// deleted site for the list check.
	picked := w.pickSites(3)
	siteA, siteB, siteDel := picked[0], picked[1], picked[2]
	if _, err := w.p.PermanentDelete(ctx, []string{siteDel}); err != nil {
		t.Fatal(err)
	}
	vars := map[string]map[string]string{siteA: {}, siteB: {}}
	targets := []contract.SiteTarget{{SiteID: siteA, RestorePoint: point}, {SiteID: siteB, RestorePoint: point}}
	for _, c := range w.desc.Clusters {
		in := contract.StepInput{BatchID: drillID, StepID: "clone-" + c.Name, Action: contract.ActionDBClone,
			Params: map[string]string{"cluster": c.Name}, Sites: targets}
		o, err := w.acts.DBClone(ctx, in)
		if err != nil {
			t.Fatalf("db.clone %s: %v", c.Name, err)
		}
		for site, v := range o.PerSite {
			for k, x := range v {
				vars[site][k] = x
			}
		}
		drop := contract.StepInput{BatchID: drillID, StepID: "clone-" + c.Name, Action: contract.ActionDBDropClone, Vars: o.Values}
		defer func() {
			if _, err := w.acts.DBDropClone(context.Background(), drop); err != nil {
				t.Errorf("drop clone: %v", err)
			}
		}()
	}
	sitesBefore := w.count("catalog", `SELECT count(*) FROM sites`)
	everything := w.fingerprint()
	sumsBefore := sums()
	w.batch, w.drill = drillID, true
	copyA, copyB := activities.NewSiteID(drillID, siteA), activities.NewSiteID(drillID, siteB)
	w.run(siteA, vars[siteA], point, contract.ActionCatalogCreateSite, nil)
	// The whole of Restore 1 for siteA, as restore1.yaml orders it.
	productsA := w.productsAt(siteA, vars[siteA])
	w.run(siteA, vars[siteA], point, contract.ActionCatalogLicense, nil)
	for _, p := range productsA {
		w.run(siteA, vars[siteA], point, contract.ActionCatalogActivateProduct, map[string]string{"product": p})
	}
	w.run(siteA, vars[siteA], point, contract.ActionCatalogPlaceRegion, nil)
	for _, a := range []string{contract.ActionMetadataRestore, contract.ActionIdentityContacts, contract.ActionIdentitySync} {
		w.run(siteA, vars[siteA], point, a, nil)
	}
	// Rows of its products, media, flags, apps (none in a drill), search.
	w.runData(siteA, vars[siteA], point, productsA)
	w.run(siteA, vars[siteA], point, contract.ActionValidateAutomated, nil)
	w.run(siteB, vars[siteB], point, contract.ActionCatalogCreateSite, nil)
	if n := w.count("catalog", `SELECT count(*) FROM sites`); n != sitesBefore+2 {
		t.Fatalf("%d sites with two drill copies, want %d", n, sitesBefore+2)
	}
	hist, err := w.deps.Media.History(ctx, w.deps.Media.SitePrefix(copyA))
	if err != nil || len(hist) == 0 {
		t.Fatalf("copy %s has no media (%v): the test needs some to remove", copyA, err)
	}
	if d := diffFP(sumsBefore, sums()); len(d) > 0 {
		t.Errorf("checksums with drill copies made: differ for %v (copies must be left out, tenants untouched)", d)
	}

	// The list check names every bad entry.
	var appID string
	pool, _ := w.p.Pool(ctx, "catalog")
	if err := pool.QueryRow(ctx, `SELECT app_id FROM app_installations ORDER BY app_id LIMIT 1`).Scan(&appID); err != nil {
		t.Fatal(err)
	}
	unknown := "00000000-0000-4000-8000-00000000d1d1"
	_, err = prep(drill.PrepareInput{Sites: []string{siteA, unknown, appID, copyA, siteDel, siteA}})
	refused("prepare with a bad list", err, activities.ErrUnknownSite, unknown, appID, copyA, siteDel, "listed twice", "app ID", "drill copy", "deleted")
	listed, err := prep(drill.PrepareInput{Sites: []string{siteB, siteA}})
	if err != nil || len(listed.Sites) != 2 || listed.Sites[0].SiteID != siteB || listed.Sites[0].Stratum != drill.StratumListed {
		t.Errorf("prepare with a good list: %v %v", listed.Sites, err)
	}

	// Cleanup: both copies (and one never made) are gone completely, and
	// everything else is as it was before the copies were made.
	never := w.otherSite([]string{siteA, siteB})
	cin := drill.CleanupInput{DrillID: drillID, Sites: []string{siteB, siteA, never}}
	// Cleanups cut short (a worker dies, a deadline passes) leave the
	// copies in states between, each further on; the next run finishes.
	for d := 20 * time.Millisecond; d <= 320*time.Millisecond; d *= 2 {
		cut, cancel := context.WithTimeout(ctx, d)
		co, err := w.acts.DrillCleanup(cut, cin)
		cancel()
		t.Logf("cleanup cut short after %s: removed %d, %v", d, len(co.Removed), err)
	}
	co, err := w.acts.DrillCleanup(ctx, cin)
	if err != nil {
		t.Fatalf("cleanup: %v", err)
	}
	t.Logf("cleanup: %+v", co)
	wantRemoved := []string{copyA, copyB}
	slices.Sort(wantRemoved)
	gotRemoved := slices.Sorted(slices.Values(co.Removed))
	// The cut-short run may have removed some of it already.
	if len(co.Left) != 0 || co.LiveSites != int(sitesBefore) || len(gotRemoved) > 0 && !slices.Contains(wantRemoved, gotRemoved[0]) {
		t.Errorf("cleanup: %+v, want removed %v, nothing left, rows and objects, %d live sites", co, wantRemoved, sitesBefore)
	}
	if d := diffFP(everything, w.fingerprint()); len(d) > 0 {
		t.Errorf("after the cleanup, these differ from before the copies were made: %v", d)
	}
	if h, err := w.deps.Media.History(ctx, w.deps.Media.SitePrefix(copyA)); err != nil || len(h) != 0 {
		t.Errorf("media of %s after the cleanup: %d keys (%v)", copyA, len(h), err)
	}
	if d := diffFP(sumsBefore, sums()); len(d) > 0 {
		t.Errorf("checksums after the cleanup differ for %v", d)
	}
	co2, err := w.acts.DrillCleanup(ctx, cin)
	if err != nil || len(co2.Removed) != 0 || len(co2.Left) != 0 || co2.LiveSites != int(sitesBefore) {
		t.Errorf("second cleanup: %+v %v, want nothing removed, nothing left", co2, err)
	}

	// A row under a copy's ID that is no drill copy is never deleted.
	copyN := activities.NewSiteID(drillID, never)
	w.exec("catalog", `INSERT INTO sites (site_id, url, region, tier, customer_id, self_url)
		VALUES ($1, 'https://not-a-drill.example-cloud.test', 'eu-west', 'free', 'c-it', 'https://api.example-cloud.test/sites/' || $1)`, copyN)
	co3, err := w.acts.DrillCleanup(ctx, cin)
	refused("cleanup of a copy ID that is not a drill copy", err, activities.ErrNotDrillCopy, copyN, "not-a-drill")
	var details drill.CleanupOutput
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.Details(&details) != nil || !slices.Contains(details.Left, copyN) {
		t.Errorf("refused cleanup: details %+v, want %s left", details, copyN)
	}
	if !slices.Contains(co3.Left, copyN) {
		t.Errorf("refused cleanup: output %+v, want %s left", co3, copyN)
	}
	if n := w.count("catalog", `SELECT count(*) FROM sites WHERE site_id = $1`, copyN); n != 1 {
		t.Errorf("the refused site row %s was deleted", copyN)
	}
	w.exec("catalog", `DELETE FROM sites WHERE site_id = $1`, copyN)
}

//go:build integration

package activities_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/lazarus-dr/lazarus/activities"
	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/httpapi"
	"github.com/lazarus-dr/lazarus/platform/pitr"
	"github.com/lazarus-dr/lazarus/sandbox"
)

// world is a running sandbox with the activities wired to it.
type world struct {
	t     *testing.T
	p     *sandbox.Platform
	desc  *platform.Description
	api   *httpapi.Client
	deps  activities.Deps
	acts  *activities.Activities
	batch string
	drill bool
}

func upWorld(t *testing.T, sites int) *world {
	t.Helper()
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "lazarus-acts-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	began := time.Now()
	p, err := sandbox.Up(ctx, sandbox.Options{StateDir: dir, Logger: log})
	if err != nil {
		t.Fatalf("sandbox up: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Down(context.Background()); err != nil {
			t.Errorf("sandbox down: %v", err)
		}
		os.RemoveAll(dir)
	})
	t.Logf("sandbox up in %s", time.Since(began).Round(time.Millisecond))
	began = time.Now()
	if _, err := p.Seed(ctx, sandbox.SeedOptions{Sites: sites, Seed: 7}); err != nil {
		t.Fatalf("seed: %v", err)
	}
	t.Logf("seeded %d sites in %s", sites, time.Since(began).Round(time.Millisecond))
	desc := p.Description()
	api := httpapi.New(desc.Services)
	deps := activities.Deps{
		Description: desc, Catalog: api, Vendors: api, Search: api, FrontDoor: api,
		Media: p.Media(), PITR: activities.NewEngine(pitr.NewLocalCloner(desc, log), nil), Logger: log,
		VendorPoll: 20 * time.Second, VendorPollInterval: 100 * time.Millisecond,
	}
	return &world{t: t, p: p, desc: desc, api: api, deps: deps, acts: activities.New(deps), batch: "it-batch"}
}

// pickSites returns n deterministic sites with at least two products, an
// app and an attachment.
func (w *world) pickSites(n int) []string {
	w.t.Helper()
	ctx := context.Background()
	pool, err := w.p.Pool(ctx, "catalog")
	if err != nil {
		w.t.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT s.site_id FROM sites s
		WHERE (SELECT count(*) FROM placements p WHERE p.site_id = s.site_id) >= 1
		  AND EXISTS (SELECT 1 FROM app_installations a WHERE a.site_id = s.site_id)
		  AND EXISTS (SELECT 1 FROM site_admins a WHERE a.site_id = s.site_id)
		ORDER BY s.site_id`)
	if err != nil {
		w.t.Fatal(err)
	}
	cands, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		w.t.Fatal(err)
	}
	hist, err := w.deps.Media.History(ctx, "sites/")
	if err != nil {
		w.t.Fatal(err)
	}
	var ids []string
	for _, id := range cands {
		keys := 0
		for k := range hist {
			if strings.HasPrefix(k, w.deps.Media.SitePrefix(id)) {
				keys++
			}
		}
		if keys > 0 && len(ids) < n {
			ids = append(ids, id)
		}
	}
	if len(ids) < n {
		w.t.Fatalf("want %d sites with 2+ products, apps, admins and media, got %v of %d candidates (%d keys in the bucket)", n, ids, len(cands), len(hist))
	}
	return ids
}

// fingerprint is a checksum of every live store table (rows of the
// excluded sites left out) and of every object version in the bucket
// (keys under the excluded sites' prefixes left out).
func (w *world) fingerprint(exclude ...string) map[string]string {
	w.t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for _, s := range w.desc.Stores {
		c, _ := w.desc.Cluster(s.Cluster)
		conn, err := pgx.Connect(ctx, activities.LiveDSN(c, s.Database))
		if err != nil {
			w.t.Fatal(err)
		}
		for _, tb := range s.Tables {
			col := s.TenantColumn
			if tb.TenantColumn != "" {
				col = tb.TenantColumn
			}
			var n int64
			var sum string
			q := fmt.Sprintf(`SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '')
				FROM %s t WHERE NOT (coalesce(%s, '') = ANY($1))`, pgx.Identifier{tb.Name}.Sanitize(), pgx.Identifier{col}.Sanitize())
			if err := conn.QueryRow(ctx, q, exclude).Scan(&n, &sum); err != nil {
				w.t.Fatalf("fingerprint %s.%s: %v", s.Name, tb.Name, err)
			}
			out[s.Name+"."+tb.Name] = fmt.Sprintf("%d:%s", n, sum)
		}
		conn.Close(ctx)
	}
	hist, err := w.deps.Media.History(ctx, "")
	if err != nil {
		w.t.Fatal(err)
	}
	var objs []string
	for key, es := range hist {
		skip := false
		for _, x := range exclude {
			if strings.HasPrefix(key, w.deps.Media.SitePrefix(x)) {
				skip = true
			}
		}
		if skip {
			continue
		}
		for _, e := range es {
			objs = append(objs, fmt.Sprintf("%s %s %s %v", key, e.VersionID, e.ETag, e.DeleteMarker))
		}
	}
	sort.Strings(objs)
	out["media"] = fmt.Sprintf("%d:%s", len(objs), strings.Join(objs, "\n"))
	return out
}

func diffFP(a, b map[string]string) []string {
	var d []string
	for k, v := range a {
		if b[k] != v {
			d = append(d, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d = append(d, k)
		}
	}
	sort.Strings(d)
	return d
}

// run runs one action for a site twice: the first must succeed, the second
// must succeed and change nothing anywhere.
func (w *world) run(site string, vars map[string]string, point time.Time, action string, params map[string]string) contract.StepOutput {
	w.t.Helper()
	in := contract.StepInput{BatchID: w.batch, SiteID: site, StepID: action + "/" + params["product"], Action: action,
		Params: params, RestorePoint: point, Vars: vars, Drill: w.drill}
	f := w.acts.Funcs()[action]
	began := time.Now()
	out, err := f(context.Background(), in)
	if err != nil {
		w.t.Fatalf("%s for %s: %v", action, site, err)
	}
	took := time.Since(began)
	before := w.fingerprint()
	again, err := f(context.Background(), in)
	if err != nil {
		w.t.Fatalf("%s for %s (second run): %v", action, site, err)
	}
	if d := diffFP(before, w.fingerprint()); len(d) > 0 && action != contract.ActionSearchReindex {
		w.t.Errorf("%s for %s: the second run changed %v (%s)", action, site, d, again.Message)
	}
	w.t.Logf("%-26s %s %6s  %s", action, site[:8], took.Round(time.Millisecond), out.Message)
	for k, v := range out.Values {
		vars[k] = v
	}
	return out
}

// runData runs the data steps of a Restore 2 or a drill for a site: its
// products' rows, its media, flags and apps, then its products' search
// indexes.
func (w *world) runData(site string, vars map[string]string, point time.Time, products []string) {
	w.t.Helper()
	for _, p := range products {
		w.run(site, vars, point, contract.ActionDBRestoreTenant, map[string]string{"product": p})
	}
	w.run(site, vars, point, contract.ActionMediaUndelete, nil)
	w.run(site, vars, point, contract.ActionFlagsRestore, nil)
	w.run(site, vars, point, contract.ActionAppsReattach, nil)
	for _, p := range products {
		w.run(site, vars, point, contract.ActionSearchReindex, map[string]string{"product": p})
	}
}

// productsAt lists the products a site had at the restore point (clone's placements).
func (w *world) productsAt(site string, vars map[string]string) []string {
	w.t.Helper()
	dsn := strings.Replace(vars[contract.CloneDSNVar("platform")], "/postgres?", "/catalog?", 1)
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		w.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, _ := conn.Query(context.Background(), `SELECT product FROM placements WHERE site_id = $1 ORDER BY product`, site)
	ps, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(ps) == 0 {
		w.t.Fatalf("products of %s at the point: %v %v", site, ps, err)
	}
	return ps
}

// cancelAfterFirstTable cancels the copy after its first committed table:
// a worker killed halfway through an extraction.
type cancelAfterFirstTable struct {
	activities.PITR
	cancel context.CancelFunc
	store  string
	done   []string
	tables int
}

func (c *cancelAfterFirstTable) CopyTenant(ctx context.Context, req activities.TenantCopy) (activities.TenantCopyResult, error) {
	inner := req.Progress
	req.Progress = func(p activities.TenantProgress) {
		if inner != nil {
			inner(p)
		}
		if c.done == nil && len(p.TablesDone) > 0 { // a table committed
			c.done = p.TablesDone
			c.cancel()
		}
	}
	c.store, c.tables = req.Store.Name, len(req.Tables)
	return c.PITR.CopyTenant(ctx, req)
}

func TestRestoreActionsOnSandbox(t *testing.T) {
	w := upWorld(t, 40)
	ctx := context.Background()
	picked := w.pickSites(3)
	ids := picked[:2]
	siteR2, siteR1, siteDrill := picked[0], picked[1], picked[2]
	began := time.Now()
	w.backup()
	t.Logf("base backups in %s", time.Since(began).Round(time.Millisecond))
	time.Sleep(300 * time.Millisecond)
	point := time.Now()
	time.Sleep(300 * time.Millisecond)

	// A write after the restore point to a tenant that is not restored: it
	// must survive the restore untouched.
	other := w.otherSite(picked)
	w.exec("catalog", `INSERT INTO site_flags (site_id, flag, enabled, value) VALUES ($1, 'it.after-point', true, 'kept')`, other)
	othersBefore := w.fingerprint(siteR2, siteR1)

	if _, err := w.p.PermanentDelete(ctx, ids); err != nil {
		t.Fatalf("permanent delete: %v", err)
	}
	infos, err := w.api.LookupIDs(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	var targets []contract.SiteTarget
	for _, info := range infos {
		if info.Status != "deleted" || info.DeletedAt.IsZero() {
			t.Fatalf("site %s after the disaster: %+v", info.ID, info)
		}
		targets = append(targets, contract.SiteTarget{SiteID: info.ID, DeletedAt: info.DeletedAt, RestorePoint: point})
	}
	// The drill's site is live: its restore point is the same past point.
	targets = append(targets, contract.SiteTarget{SiteID: siteDrill, RestorePoint: point})

	// Lead steps: clones of both clusters for both sites.
	vars := map[string]map[string]string{siteR2: {}, siteR1: {}, siteDrill: {}}
	var drops []contract.StepInput
	for _, c := range w.desc.Clusters {
		in := contract.StepInput{BatchID: w.batch, StepID: "clone-" + c.Name, Action: contract.ActionDBClone,
			Params: map[string]string{"cluster": c.Name}, Sites: targets}
		began := time.Now()
		out, err := w.acts.DBClone(ctx, in)
		if err != nil {
			t.Fatalf("db.clone %s: %v", c.Name, err)
		}
		t.Logf("db.clone %s: %s in %s", c.Name, out.Message, time.Since(began).Round(time.Millisecond))
		if out.Values[contract.VarClones] != "1" {
			t.Errorf("three sites with the same restore point got %s clones", out.Values[contract.VarClones])
		}
		again, err := w.acts.DBClone(ctx, in)
		if err != nil || again.Values[contract.VarCloneIDs] != out.Values[contract.VarCloneIDs] {
			t.Fatalf("db.clone %s again: %v %v", c.Name, again.Values, err)
		}
		for site, v := range out.PerSite {
			for k, x := range v {
				vars[site][k] = x
			}
		}
		drops = append(drops, contract.StepInput{BatchID: w.batch, StepID: "clone-" + c.Name, Action: contract.ActionDBDropClone, Vars: out.Values})
	}
	defer func() {
		for _, d := range drops {
			for i := 0; i < 2; i++ {
				if _, err := w.acts.DBDropClone(context.Background(), d); err != nil {
					t.Errorf("drop clone: %v", err)
				}
			}
		}
	}()

	// Restore 2 for siteR2: same IDs.
	v := vars[siteR2]
	products := w.productsAt(siteR2, v)
	// The catalog undelete says which products the site had at the point
	// (the product steps of the others are skipped without an activity).
	if out := w.run(siteR2, v, point, contract.ActionCatalogUndelete, nil); out.Values[contract.VarSiteProducts] != strings.Join(products, ",") {
		t.Errorf("catalog.undelete: %s = %q, want %q (the clone's placements)", contract.VarSiteProducts, out.Values[contract.VarSiteProducts], strings.Join(products, ","))
	}
	w.run(siteR2, v, point, contract.ActionMetadataRestore, nil)
	w.run(siteR2, v, point, contract.ActionIdentityContacts, nil)
	w.run(siteR2, v, point, contract.ActionIdentitySync, nil)
	// Kill the first product's extraction after its first table, then rerun.
	{
		cctx, cancel := context.WithCancel(ctx)
		killer := &cancelAfterFirstTable{PITR: w.deps.PITR, cancel: cancel}
		d := w.deps
		d.PITR = killer
		in := contract.StepInput{BatchID: w.batch, SiteID: siteR2, StepID: "restore-db", Action: contract.ActionDBRestoreTenant,
			Params: map[string]string{"product": products[0]}, RestorePoint: point, Vars: v}
		_, err := activities.New(d).Funcs()[contract.ActionDBRestoreTenant](cctx, in)
		cancel()
		if err == nil || !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "cancel") {
			t.Fatalf("killed extraction: want a cancellation, got %v", err)
		}
		if activities.IsPermanent(err) {
			t.Fatalf("a killed extraction must be retryable: %v", err)
		}
		t.Logf("extraction killed after %v: %v", killer.done, err)
		if len(killer.done) == 0 || len(killer.done) >= killer.tables {
			t.Fatalf("the kill should come after some but not all of %d tables: done %v", killer.tables, killer.done)
		}
		// The retry, as Temporal runs it: with the heartbeat the killed
		// attempt recorded, it copies only the tables not done yet.
		var suite testsuite.WorkflowTestSuite
		env := suite.NewTestActivityEnvironment()
		env.RegisterActivityWithOptions(w.acts.Funcs()[contract.ActionDBRestoreTenant], activity.RegisterOptions{Name: contract.ActionDBRestoreTenant})
		env.SetHeartbeatDetails(struct {
			Done map[string][]string `json:"done"`
		}{Done: map[string][]string{killer.store: killer.done}})
		val, err := env.ExecuteActivity(contract.ActionDBRestoreTenant, in)
		if err != nil {
			t.Fatalf("retry after the kill: %v", err)
		}
		var out contract.StepOutput
		if err := val.Get(&out); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("in %d tables", killer.tables-len(killer.done))
		if !strings.Contains(out.Message, want) {
			t.Errorf("retry after the kill: %q, want %q (finished tables not redone)", out.Message, want)
		}
		t.Logf("retry after the kill: %s", out.Message)
	}
	w.runData(siteR2, v, point, products)
	w.run(siteR2, v, point, contract.ActionValidateAutomated, nil)

	// Restore 1 for siteR1: a new ID, remapped, URL unchanged.
	v = vars[siteR1]
	// Like runbooks/restore1.yaml: every product-scoped step runs for every
	// product of the platform; the site's own products are what it gets.
	products = w.acts.Products()
	oldURL := infos[1].URL
	if infos[0].ID == siteR1 {
		oldURL = infos[0].URL
	}
	out := w.run(siteR1, v, point, contract.ActionCatalogCreateSite, nil)
	newID := out.Values[contract.VarNewSiteID]
	if newID == "" || newID == siteR1 || newID != activities.NewSiteID(w.batch, siteR1) {
		t.Fatalf("new site ID %q", newID)
	}
	w.run(siteR1, v, point, contract.ActionCatalogLicense, nil)
	for _, p := range products {
		w.run(siteR1, v, point, contract.ActionCatalogActivateProduct, map[string]string{"product": p})
	}
	w.run(siteR1, v, point, contract.ActionCatalogPlaceRegion, nil)
	w.run(siteR1, v, point, contract.ActionMetadataRestore, nil)
	w.run(siteR1, v, point, contract.ActionIdentityContacts, nil)
	w.run(siteR1, v, point, contract.ActionIdentitySync, nil)
	for _, p := range products {
		w.run(siteR1, v, point, contract.ActionDBRestoreTenant, map[string]string{"product": p})
	}
	for _, p := range products {
		w.run(siteR1, v, point, contract.ActionMediaUndelete, map[string]string{"product": p})
	}
	w.run(siteR1, v, point, contract.ActionFlagsRestore, nil)
	w.run(siteR1, v, point, contract.ActionAppsReattach, nil)
	for _, p := range products {
		w.run(siteR1, v, point, contract.ActionSearchReindex, map[string]string{"product": p})
	}
	w.run(siteR1, v, point, contract.ActionValidateAutomated, nil)
	rec, err := w.api.GetSite(ctx, newID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.URL != oldURL || rec.RestoredFrom != siteR1 {
		t.Errorf("new site %s: url %q (want %q), restored_from %q", newID, rec.URL, oldURL, rec.RestoredFrom)
	}
	if n := w.count("catalog", `SELECT count(*) FROM users WHERE site_id = $1`, siteR1); n != 0 {
		t.Errorf("Restore 1 wrote %d user rows under the old ID", n)
	}
	diffs, err := w.p.VerifySite(ctx, siteR1, newID, point)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		if !d.Match {
			t.Errorf("Restore 1 of %s as %s: store %s differs: %s", siteR1, newID, d.Store, d.Diff)
		}
	}

	// Every other tenant is exactly as before, including the write made
	// after the restore point.
	if d := diffFP(othersBefore, w.fingerprint(siteR2, siteR1, newID)); len(d) > 0 {
		t.Errorf("tenants that were not restored changed: %v", d)
	}
	if n := w.count("catalog", `SELECT count(*) FROM site_flags WHERE site_id = $1 AND flag = 'it.after-point'`, other); n != 1 {
		t.Errorf("the write after the restore point to %s is gone", other)
	}
	w.exec("catalog", `DELETE FROM site_flags WHERE site_id = $1 AND flag = 'it.after-point'`, other)

	// The sandbox's own verification (lazarus sandbox verify): both sites
	// back (one under its new ID), every other tenant as before.
	rep, err := w.p.Verify(ctx, sandbox.VerifyOptions{IDs: ids})
	if err != nil {
		t.Fatalf("sandbox verify: %v", err)
	}
	if !rep.OK {
		t.Errorf("sandbox verify: %+v", rep)
	}

	// A DR drill: the live site's data at the past point into a new,
	// isolated copy (new ID, drill URL); nothing else may change.
	v = vars[siteDrill]
	drillID := activities.NewSiteID(w.batch, siteDrill)
	beforeDrill := w.fingerprint(drillID)
	w.drill = true
	products = w.productsAt(siteDrill, v)
	out = w.run(siteDrill, v, point, contract.ActionCatalogCreateSite, nil)
	if out.Values[contract.VarNewSiteID] != drillID || !strings.Contains(out.Values[contract.VarSiteURL], "drill-") {
		t.Fatalf("drill site %v", out.Values)
	}
	w.run(siteDrill, v, point, contract.ActionCatalogLicense, nil)
	for _, p := range products {
		w.run(siteDrill, v, point, contract.ActionCatalogActivateProduct, map[string]string{"product": p})
	}
	w.run(siteDrill, v, point, contract.ActionCatalogPlaceRegion, nil)
	for _, a := range []string{contract.ActionMetadataRestore, contract.ActionIdentityContacts, contract.ActionIdentitySync} {
		w.run(siteDrill, v, point, a, nil)
	}
	w.runData(siteDrill, v, point, products)
	// The drill copy's data against the truth of the live site at the
	// point. Two catalog differences are by design and are the truth's to
	// ignore for a drill copy (reported to the sandbox's owner): the drill
	// URL, and the app installations (app IDs stay with the live site).
	diffs, err = w.p.VerifySite(ctx, siteDrill, drillID, point)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		if !d.Match && d.Store != "catalog" {
			t.Errorf("drill copy of %s as %s: store %s differs: %s", siteDrill, drillID, d.Store, d.Diff)
		}
		if !d.Match && d.Store == "catalog" {
			t.Logf("drill copy, catalog (by design: drill URL, apps stay live): %s", d.Diff)
		}
	}
	if d := diffFP(beforeDrill, w.fingerprint(drillID)); len(d) > 0 {
		t.Errorf("the drill wrote outside its copy: %v", d)
	}
	if _, err := w.acts.Funcs()[contract.ActionCatalogUndelete](ctx, contract.StepInput{BatchID: w.batch, SiteID: siteDrill, StepID: "x",
		Action: contract.ActionCatalogUndelete, RestorePoint: point, Vars: v, Drill: true}); activities.ErrorType(err) != activities.ErrDrillWritesLive {
		t.Errorf("catalog.undelete in a drill: %v, want %s", err, activities.ErrDrillWritesLive)
	}

	// Refusals that retrying cannot fix.
	cloneVars := map[string]string{}
	for k, x := range vars[siteDrill] {
		if strings.HasPrefix(k, "clone.") {
			cloneVars[k] = x
		}
	}
	undelete := func(site string) error {
		_, err := w.acts.Funcs()[contract.ActionCatalogUndelete](ctx, contract.StepInput{BatchID: w.batch, SiteID: site, StepID: "undelete",
			Action: contract.ActionCatalogUndelete, RestorePoint: point, Vars: cloneVars})
		return err
	}
	if err := undelete("00000000-0000-4000-8000-000000000000"); !activities.IsPermanent(err) || activities.ErrorType(err) != activities.ErrUnknownSite {
		t.Errorf("undelete of an unknown ID: %v", err)
	}
	var appID string
	pool, _ := w.p.Pool(ctx, "catalog")
	if err := pool.QueryRow(ctx, `SELECT app_id FROM app_installations ORDER BY app_id LIMIT 1`).Scan(&appID); err != nil {
		t.Fatal(err)
	}
	if err := undelete(appID); !activities.IsPermanent(err) || activities.ErrorType(err) != activities.ErrUnknownSite || !strings.Contains(err.Error(), "app ID") {
		t.Errorf("undelete of an app ID: %v", err)
	}
	// A live site whose rows are exactly the clone's: an undelete changes nothing.
	before := w.fingerprint()
	if err := undelete(siteDrill); err != nil {
		t.Errorf("undelete of an unchanged live site: %v", err)
	}
	if d := diffFP(before, w.fingerprint()); len(d) > 0 {
		t.Errorf("undelete of an unchanged live site changed %v", d)
	}
	// A live site that changed since the point must not be overwritten.
	w.exec("catalog", `UPDATE sites SET tier = 'free' WHERE site_id = $1`, siteDrill)
	if err := undelete(siteDrill); !activities.IsPermanent(err) || activities.ErrorType(err) != activities.ErrLiveSite {
		t.Errorf("undelete over a live site that changed: %v, want %s", err, activities.ErrLiveSite)
	}

	// Clone planning on real clones: two sites whose restore points are
	// further apart than the tolerance get one clone each, each at its own
	// point (a row written between the points is in the later clone only);
	// with a tolerance wider than the spread they share one clone at the
	// earlier point.
	p1 := time.Now()
	time.Sleep(300 * time.Millisecond)
	w.exec("catalog", `INSERT INTO site_flags (site_id, flag, enabled, value) VALUES ($1, 'it.between-points', true, 'x')`, other)
	time.Sleep(300 * time.Millisecond)
	p2 := time.Now()
	two := []contract.SiteTarget{{SiteID: other, RestorePoint: p1}, {SiteID: siteDrill, RestorePoint: p2}}
	for _, c := range []struct {
		tol    string
		clones string
	}{{"100ms", "2"}, {"5m", "1"}} {
		in := contract.StepInput{BatchID: w.batch + "-tol", StepID: "clone", Action: contract.ActionDBClone,
			Params: map[string]string{"cluster": "platform", "tolerance": c.tol}, Sites: two}
		out, err := w.acts.DBClone(ctx, in)
		if err != nil {
			t.Fatalf("db.clone tolerance %s: %v", c.tol, err)
		}
		if out.Values[contract.VarClones] != c.clones {
			t.Errorf("tolerance %s: %s clones, want %s", c.tol, out.Values[contract.VarClones], c.clones)
		}
		tol, _ := time.ParseDuration(c.tol)
		for _, st := range two {
			got, _ := time.Parse(time.RFC3339Nano, out.PerSite[st.SiteID][contract.VarRestorePoint])
			if got.After(st.RestorePoint) || got.Before(st.RestorePoint.Add(-tol)) {
				t.Errorf("tolerance %s: site %s gets %s, want within %s before %s", c.tol, st.SiteID, got, c.tol, st.RestorePoint)
			}
			dsn := strings.Replace(out.PerSite[st.SiteID][contract.CloneDSNVar("platform")], "/postgres?", "/catalog?", 1)
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM site_flags WHERE site_id = $1 AND flag = 'it.between-points'`, other).Scan(&n); err != nil {
				t.Fatal(err)
			}
			conn.Close(ctx)
			want := 0
			if c.clones == "2" && st.SiteID == siteDrill {
				want = 1
			}
			if n != want {
				t.Errorf("tolerance %s: the clone serving %s has %d rows written between the points, want %d", c.tol, st.SiteID, n, want)
			}
		}
		if _, err := w.acts.DBDropClone(ctx, contract.StepInput{BatchID: in.BatchID, StepID: "clone", Action: contract.ActionDBDropClone, Vars: out.Values}); err != nil {
			t.Errorf("drop: %v", err)
		}
	}
}

// backup takes a base backup of every cluster into its BackupDir.
func (w *world) backup() {
	w.t.Helper()
	ctx := context.Background()
	for _, c := range w.desc.Clusters {
		dir := filepath.Join(c.BackupDir, fmt.Sprintf("it-%d", time.Now().UnixNano()))
		if _, err := w.p.Cluster(c.Name).BaseBackup(ctx, dir); err != nil {
			w.t.Fatalf("base backup of %s: %v", c.Name, err)
		}
		if err := w.p.Cluster(c.Name).SwitchWALAndWaitArchived(ctx); err != nil {
			w.t.Fatalf("WAL switch of %s: %v", c.Name, err)
		}
	}
}

func (w *world) otherSite(exclude []string) string {
	w.t.Helper()
	pool, err := w.p.Pool(context.Background(), "catalog")
	if err != nil {
		w.t.Fatal(err)
	}
	var id string
	if err := pool.QueryRow(context.Background(), `SELECT site_id FROM sites WHERE NOT (site_id = ANY($1)) ORDER BY site_id LIMIT 1`, exclude).Scan(&id); err != nil {
		w.t.Fatal(err)
	}
	return id
}

func (w *world) exec(db, q string, args ...any) {
	w.t.Helper()
	pool, err := w.p.Pool(context.Background(), db)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), q, args...); err != nil {
		w.t.Fatalf("%s: %v", q, err)
	}
}

func (w *world) count(db, q string, args ...any) int64 {
	w.t.Helper()
	pool, err := w.p.Pool(context.Background(), db)
	if err != nil {
		w.t.Fatal(err)
	}
	var n int64
	if err := pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		w.t.Fatalf("%s: %v", q, err)
	}
	return n
}

//go:build integration

package services_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lazarus-dr/lazarus/internal/testpg"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/httpapi"
	"github.com/lazarus-dr/lazarus/sandbox/services"
)

// IDs of the fixture: site and app IDs look alike on purpose.
const (
	siteA   = "11111111-0000-4000-8000-00000000000a" // live, fully functional
	siteB   = "11111111-0000-4000-8000-00000000000b" // live, no admins, app uninstalled at its vendor
	siteDel = "11111111-0000-4000-8000-0000000000de" // deleted
	appA1   = "22222222-0000-4000-8000-0000000000a1" // on siteA, vendor answers at once
	appA2   = "22222222-0000-4000-8000-0000000000a2" // on siteA, vendor answers after 1.5 s
	appB1   = "22222222-0000-4000-8000-0000000000b1" // on siteB
	appDel  = "22222222-0000-4000-8000-0000000000d1" // deleted app (was on siteA)
	unknown = "33333333-0000-4000-8000-000000000000"
)

const fixtureCatalog = `
INSERT INTO sites (site_id, url, region, tier, status, customer_id, self_url) VALUES
 ('` + siteA + `', 'https://a.example-cloud.test', 'eu-west', 'premium', 'active', 'c1', 'https://api.example-cloud.test/sites/` + siteA + `'),
 ('` + siteB + `', 'https://b.example-cloud.test', 'us-east', 'free', 'active', 'c2', 'https://api.example-cloud.test/sites/` + siteB + `');
INSERT INTO product_activations (site_id, product) VALUES ('` + siteA + `', 'jira'), ('` + siteA + `', 'confluence'), ('` + siteB + `', 'jira');
INSERT INTO placements (site_id, product, cluster, database, store, region) VALUES
 ('` + siteA + `', 'jira', 'products', 'shard_1', 'shard_1', 'eu-west'),
 ('` + siteA + `', 'confluence', 'products', 'shard_2', 'shard_2', 'eu-west'),
 ('` + siteB + `', 'jira', 'products', 'shard_2', 'shard_2', 'us-east');
INSERT INTO app_installations (site_id, app_id, vendor, name, callback_url) VALUES
 ('` + siteA + `', '` + appA1 + `', 'tempo', 'Timesheets', 'https://tempo.test/cb/` + siteA + `'),
 ('` + siteA + `', '` + appA2 + `', 'gliffy', 'Diagrams', 'https://gliffy.test/cb/` + siteA + `'),
 ('` + siteB + `', '` + appB1 + `', 'tempo', 'Timesheets', 'https://tempo.test/cb/` + siteB + `');
INSERT INTO users (site_id, id, account_id, email, display_name) VALUES
 ('` + siteA + `', 1, 'acc-1', 'ann@a.test', 'Ann'), ('` + siteA + `', 2, 'acc-2', 'bob@a.test', 'Bob'),
 ('` + siteB + `', 1, 'acc-3', 'cy@b.test', 'Cy');
INSERT INTO site_admins (site_id, user_id, email) VALUES ('` + siteA + `', 1, 'ann@a.test');
INSERT INTO site_flags (site_id, flag, enabled) VALUES ('` + siteA + `', 'new-editor', true), ('` + siteB + `', 'new-editor', false);
INSERT INTO id_registry (id, kind, site_id, url, app_name) VALUES
 ('` + siteA + `', 'site', '` + siteA + `', 'https://a.example-cloud.test', ''),
 ('` + siteB + `', 'site', '` + siteB + `', 'https://b.example-cloud.test', ''),
 ('` + siteDel + `', 'site', '` + siteDel + `', 'https://gone.example-cloud.test', ''),
 ('` + appA1 + `', 'app', '` + siteA + `', '', 'Timesheets'),
 ('` + appA2 + `', 'app', '` + siteA + `', '', 'Diagrams'),
 ('` + appB1 + `', 'app', '` + siteB + `', '', 'Timesheets'),
 ('` + appDel + `', 'app', '` + siteA + `', '', 'Old app');
INSERT INTO deletion_events (kind, target_id, site_id, deleted_at, what) VALUES
 ('site', '` + siteDel + `', '` + siteDel + `', '2026-11-20T07:38:00Z', '{"users": 42, "customer_id": "c9"}'),
 ('app', '` + appDel + `', '` + siteA + `', '2026-11-20T07:37:00Z', '{}');
`

const fixtureVendors = `
INSERT INTO vendor_installations (app_id, site_id, vendor, app_name, status, delay_ms) VALUES
 ('` + appA1 + `', '` + siteA + `', 'tempo', 'Timesheets', 'installed', 0),
 ('` + appA2 + `', '` + siteA + `', 'gliffy', 'Diagrams', 'installed', 1500),
 ('` + appB1 + `', '` + siteB + `', 'tempo', 'Timesheets', 'uninstalled', 0);
`

const fixtureShard1 = `
INSERT INTO jira_projects (site_id, id, key, name, self_url) VALUES ('` + siteA + `', 1, 'OPS', 'Operations', 'https://a.example-cloud.test/p/1');
INSERT INTO jira_issues (site_id, id, project_id, key, summary, description, status, reporter_id, self_url, created_at, updated_at)
SELECT '` + siteA + `', g, 1, 'OPS-' || g, 'Restore drill ' || g, 'body ' || g, 'open', 1, 'https://a.example-cloud.test/i/' || g, now(), now()
FROM generate_series(1, 25) g;
`

const fixtureShard2 = `
INSERT INTO conf_spaces (site_id, id, key, name, self_url) VALUES ('` + siteA + `', 1, 'DOC', 'Docs', 'https://a.example-cloud.test/s/1');
INSERT INTO conf_pages (site_id, id, space_id, title, body, author_id, self_url, created_at, updated_at)
SELECT '` + siteA + `', g, 1, 'Runbook page ' || g, 'text', 1, 'https://a.example-cloud.test/pg/' || g, now(), now() FROM generate_series(1, 4) g;
`

type env struct {
	cfg     services.Config
	srv     *services.Server
	client  *httpapi.Client
	deleted [][]string
}

func start(t testing.TB) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := testpg.Start(t, ctx, "svc", false)
	apply := func(db, kind, fixture string) { testpg.CreateDB(t, ctx, c, db, kind, fixture) }
	apply("catalog", "catalog", fixtureCatalog)
	apply("vendors", "vendors", fixtureVendors)
	apply("search", "search", "")
	apply("shard_1", "products", fixtureShard1)
	apply("shard_2", "products", fixtureShard2)

	e := &env{}
	cfg := services.Config{
		CatalogDSN: c.DSN("catalog"), IdentityDSN: c.DSN("catalog"), FlagsDSN: c.DSN("catalog"), AuditDSN: c.DSN("catalog"),
		VendorsDSN: c.DSN("vendors"), SearchDSN: c.DSN("search"),
		Shards:      map[string]string{"shard_1": c.DSN("shard_1"), "shard_2": c.DSN("shard_2")},
		FaultSeed:   3,
		VendorDelay: services.NoVendorDelay,
		Verify: func(ctx context.Context, siteID, asSiteID string, point time.Time) ([]platform.StoreDiff, error) {
			return []platform.StoreDiff{{Store: "catalog", Match: siteID == asSiteID, Diff: asSiteID + "@" + point.UTC().Format(time.RFC3339)}}, nil
		},
		PermanentDelete: func(ctx context.Context, ids []string) (any, error) {
			e.deleted = append(e.deleted, ids)
			return map[string]int{"deleted": len(ids)}, nil
		},
	}
	srv, err := services.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	e.srv = srv
	e.cfg = cfg
	e.client = httpapi.New(srv.URLs())
	return e
}

func TestServicesIntegration(t *testing.T) {
	e := start(t)
	c := e.client
	ctx := context.Background()
	urls := e.srv.URLs()
	seen := map[string]bool{}
	for _, u := range []string{urls.Catalog, urls.Identity, urls.Flags, urls.Apps, urls.Vendors, urls.Search, urls.FrontDoor, urls.Admin} {
		if !strings.HasPrefix(u, "http://127.0.0.1:") || seen[u] {
			t.Fatalf("service URLs must be distinct loopback URLs: %+v", urls)
		}
		seen[u] = true
	}

	t.Run("lookup tells sites from apps, live from deleted", func(t *testing.T) {
		infos, err := c.LookupIDs(ctx, []string{siteA, appA1, siteDel, appDel, unknown})
		if err != nil {
			t.Fatal(err)
		}
		want := []platform.IDInfo{
			{ID: siteA, Kind: platform.KindSite, Status: "active", URL: "https://a.example-cloud.test", Users: 2},
			{ID: appA1, Kind: platform.KindApp, Status: "active", SiteID: siteA, AppName: "Timesheets"},
			{ID: siteDel, Kind: platform.KindSite, Status: "deleted", URL: "https://gone.example-cloud.test", Users: 42,
				DeletedAt: time.Date(2026, 11, 20, 7, 38, 0, 0, time.UTC)},
			{ID: appDel, Kind: platform.KindApp, Status: "deleted", SiteID: siteA, AppName: "Old app",
				DeletedAt: time.Date(2026, 11, 20, 7, 37, 0, 0, time.UTC)},
			{ID: unknown, Kind: platform.KindUnknown},
		}
		for i := range want {
			if !infoEqual(infos[i], want[i]) {
				t.Errorf("lookup %s:\n got %+v\nwant %+v", want[i].ID, infos[i], want[i])
			}
		}
	})

	t.Run("identity flags apps", func(t *testing.T) {
		users, err := c.Users(ctx, siteA)
		if err != nil || len(users) != 2 || users[0].Email != "ann@a.test" {
			t.Fatalf("users %+v %v", users, err)
		}
		admins, err := c.Admins(ctx, siteB)
		if err != nil || len(admins) != 0 {
			t.Fatalf("admins of B %+v %v", admins, err)
		}
		flags, err := c.Flags(ctx, siteA)
		if err != nil || len(flags) != 1 || !flags[0].Enabled {
			t.Fatalf("flags %+v %v", flags, err)
		}
		apps, err := c.Apps(ctx, siteA)
		if err != nil || len(apps) != 2 || apps[0].Vendor != "tempo" {
			t.Fatalf("apps %+v %v", apps, err)
		}
		if _, err := c.Users(ctx, siteDel); !httpapi.IsNotFound(err) {
			t.Fatalf("users of a deleted site: want 404, got %v", err)
		}
	})

	t.Run("front door 200 vs 503 with what is missing", func(t *testing.T) {
		h, err := c.CheckSite(ctx, "https://a.example-cloud.test")
		if err != nil || !h.OK || h.SiteID != siteA {
			t.Fatalf("site A: %+v %v", h, err)
		}
		h, err = c.CheckSite(ctx, "https://b.example-cloud.test")
		if err != nil || h.OK {
			t.Fatalf("site B: %+v %v", h, err)
		}
		joined := strings.Join(h.Missing, "\n")
		for _, want := range []string{"identity: no site admins", "product jira: no data on shard shard_2", "apps: " + appB1 + " (Timesheets): vendor tempo says uninstalled"} {
			if !strings.Contains(joined, want) {
				t.Errorf("site B missing %q in %q", want, joined)
			}
		}
		if len(h.Missing) != 3 {
			t.Errorf("site B: want exactly 3 things missing, got %q", h.Missing)
		}
		h, err = c.CheckSite(ctx, "https://gone.example-cloud.test")
		if err != nil || h.OK || len(h.Missing) != 1 || !strings.Contains(h.Missing[0], "no site has url") {
			t.Fatalf("deleted site: %+v %v", h, err)
		}
	})

	t.Run("vendor operations: at once, delayed, idempotent", func(t *testing.T) {
		op, err := c.Reattach(ctx, appA1, siteA)
		if err != nil || !op.Done {
			t.Fatalf("fast vendor: %+v %v", op, err)
		}
		began := time.Now()
		op, err = c.Reattach(ctx, appA2, siteA)
		if err != nil || op.Done {
			t.Fatalf("slow vendor must not be done at once: %+v %v", op, err)
		}
		again, err := c.Reattach(ctx, appA2, siteA)
		if err != nil || again.ID != op.ID {
			t.Fatalf("a second reattach must answer the same operation: %+v vs %+v (%v)", again, op, err)
		}
		inst, err := c.Installation(ctx, appA2)
		if err != nil || inst.Status != "pending" {
			t.Fatalf("installation while pending: %+v %v", inst, err)
		}
		for !op.Done {
			if time.Since(began) > 10*time.Second {
				t.Fatal("operation never completed")
			}
			time.Sleep(100 * time.Millisecond)
			if op, err = c.Operation(ctx, op.ID); err != nil {
				t.Fatal(err)
			}
		}
		if d := time.Since(began); d < 1400*time.Millisecond {
			t.Fatalf("delayed vendor answered after %s, want about 1.5s", d)
		}
		inst, err = c.Installation(ctx, appA2)
		if err != nil || inst.Status != "installed" || inst.SiteID != siteA {
			t.Fatalf("installation after reattach: %+v %v", inst, err)
		}
		// Uninstall, then migrate to another site; reattach to the wrong site conflicts.
		if err := c.UninstallCallback(ctx, appA1, siteA); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Reattach(ctx, appA1, siteB); !errors.Is(err, httpapi.ErrConflict) {
			t.Fatalf("reattach to another site: want 409, got %v", err)
		}
		op, err = c.Migrate(ctx, appA1, siteA, siteB)
		if err != nil || !op.Done {
			t.Fatalf("migrate: %+v %v", op, err)
		}
		got, err := c.Installations(ctx, siteB)
		if err != nil || len(got) != 2 {
			t.Fatalf("installations of B after migrate: %+v %v", got, err)
		}
		if _, err := c.Operation(ctx, "op-nosuch"); !httpapi.IsNotFound(err) {
			t.Fatalf("unknown op: %v", err)
		}
		if _, err := c.Reattach(ctx, unknown, siteA); !httpapi.IsNotFound(err) {
			t.Fatalf("unknown app: %v", err)
		}
	})

	t.Run("restore 1 round trip: create, license, activate, place, status, reindex", func(t *testing.T) {
		newID := "44444444-0000-4000-8000-000000000001"
		req := platform.CreateSiteRequest{OldSiteID: siteDel, NewSiteID: newID, URL: "https://gone.example-cloud.test", Region: "eu-west", Tier: "standard",
			Owner: "internal", CustomerID: "c9"}
		rec, err := c.CreateSite(ctx, req)
		if err != nil || rec.Status != "provisioning" || rec.RestoredFrom != siteDel {
			t.Fatalf("create: %+v %v", rec, err)
		}
		if again, err := c.CreateSite(ctx, req); err != nil || again.SiteID != newID {
			t.Fatalf("create again must be idempotent: %+v %v", again, err)
		}
		clash := req
		clash.NewSiteID = "44444444-0000-4000-8000-000000000002"
		clash.URL = "https://a.example-cloud.test"
		if _, err := c.CreateSite(ctx, clash); !errors.Is(err, httpapi.ErrConflict) {
			t.Fatalf("create on a live site's URL: want 409, got %v", err)
		}
		if _, err := c.CreateSite(ctx, platform.CreateSiteRequest{NewSiteID: "x"}); !errors.Is(err, httpapi.ErrBadRequest) ||
			!strings.Contains(err.Error(), "url is empty; region is empty; tier is empty") {
			t.Fatalf("bad create: %v", err)
		}
		if err := c.ApplyLicense(ctx, newID, "premium"); err != nil {
			t.Fatal(err)
		}
		if err := c.ActivateProduct(ctx, newID, "jira"); err != nil {
			t.Fatal(err)
		}
		if err := c.ActivateProduct(ctx, newID, "jira"); err != nil {
			t.Fatalf("activate twice: %v", err)
		}
		if err := c.PlaceRegion(ctx, newID, "ap-southeast"); err != nil {
			t.Fatal(err)
		}
		if err := c.SetStatus(ctx, newID, "bogus"); !errors.Is(err, httpapi.ErrBadRequest) {
			t.Fatalf("bad status: %v", err)
		}
		if err := c.SetStatus(ctx, newID, "active"); err != nil {
			t.Fatal(err)
		}
		rec, err = c.GetSite(ctx, newID)
		if err != nil || rec.Tier != "premium" || rec.Region != "ap-southeast" || rec.Status != "active" ||
			len(rec.Products) != 1 || rec.Placements["jira"] == "" {
			t.Fatalf("record after restore 1 steps: %+v %v", rec, err)
		}
		// shard_1 has 1 jira placement, shard_2 has 1: ties go to the first name.
		if rec.Placements["jira"] != "shard_1" {
			t.Errorf("placement %q, want shard_1", rec.Placements["jira"])
		}
		infos, err := c.LookupIDs(ctx, []string{newID})
		if err != nil || infos[0].Kind != platform.KindSite || infos[0].Status != "active" {
			t.Fatalf("new site lookup %+v %v", infos, err)
		}
		// The front door now serves the new site for the old URL and says what is missing.
		h, err := c.CheckSite(ctx, "https://gone.example-cloud.test")
		if err != nil || h.OK || h.SiteID != newID || len(h.Missing) != 3 {
			t.Fatalf("front door of the new site: %+v %v", h, err)
		}

		n, err := c.Reindex(ctx, siteA, "jira")
		if err != nil || n != 25 {
			t.Fatalf("reindex jira: %d %v (want 25 issues)", n, err)
		}
		if n, err = c.Reindex(ctx, siteA, "jira"); err != nil || n != 25 {
			t.Fatalf("reindex twice: %d %v", n, err)
		}
		if n, err = c.Reindex(ctx, siteA, "confluence"); err != nil || n != 4 {
			t.Fatalf("reindex confluence: %d %v", n, err)
		}
		hits, err := c.SearchSite(ctx, siteA, "drill 2")
		if err != nil || len(hits) != 7 { // 2, 20..25
			t.Fatalf("search: %d hits %v", len(hits), err)
		}
		if _, err := c.Reindex(ctx, siteB, "confluence"); !httpapi.IsNotFound(err) {
			t.Fatalf("reindex of an unplaced product: want 404, got %v", err)
		}
		if _, err := c.Reindex(ctx, siteA, "nosuch"); !errors.Is(err, httpapi.ErrBadRequest) {
			t.Fatalf("reindex of an unknown product: want 400, got %v", err)
		}
	})

	t.Run("hooks: verify and permanent delete", func(t *testing.T) {
		point := time.Date(2026, 11, 20, 7, 33, 0, 0, time.UTC)
		diffs, err := c.VerifySite(ctx, siteDel, "new", point)
		if err != nil || len(diffs) != 1 || diffs[0].Match || diffs[0].Diff != "new@2026-11-20T07:33:00Z" {
			t.Fatalf("verify: %+v %v", diffs, err)
		}
		var res map[string]int
		if err := c.PermanentDelete(ctx, []string{appA1, siteB}, &res); err != nil || res["deleted"] != 2 || len(e.deleted) != 1 {
			t.Fatalf("permanent delete: %+v %v %v", res, err, e.deleted)
		}
	})

	t.Run("default vendor delay applies when the vendor record says 0", func(t *testing.T) {
		slow := ""
		for i := 0; slow == ""; i++ {
			if id := fmt.Sprintf("22222222-0000-4000-8000-%012d", 900+i); services.VendorDelay(id) > 0 {
				slow = id
			}
		}
		conn, err := pgx.Connect(ctx, e.cfg.VendorsDSN)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `INSERT INTO vendor_installations (app_id, site_id, vendor, app_name, status, delay_ms)
			VALUES ($1, $2, 'tempo', 'Slow', 'uninstalled', 0)`, slow, siteA); err != nil {
			t.Fatal(err)
		}
		cfg := e.cfg
		cfg.Ports, cfg.VendorDelay = services.Ports{}, nil
		srv2, err := services.Start(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer srv2.Close(ctx)
		c2 := httpapi.New(srv2.URLs())
		began := time.Now()
		op, err := c2.Reattach(ctx, slow, siteA)
		if err != nil || op.Done {
			t.Fatalf("want a pending operation for %s (delay %s): %+v %v", slow, services.VendorDelay(slow), op, err)
		}
		for !op.Done && time.Since(began) < 8*time.Second {
			time.Sleep(200 * time.Millisecond)
			if op, err = c2.Operation(ctx, op.ID); err != nil {
				t.Fatal(err)
			}
		}
		if d := time.Since(began); !op.Done || d < services.VendorDelay(slow)-50*time.Millisecond {
			t.Fatalf("done=%v after %s, delay %s", op.Done, d, services.VendorDelay(slow))
		}
	})

	t.Run("faults: outage, error rate, latency", func(t *testing.T) {
		if _, err := c.SetFault(ctx, "catalog", httpapi.Fault{Outage: true}); err != nil {
			t.Fatal(err)
		}
		_, err := c.GetSite(ctx, siteA)
		if httpapi.StatusOf(err) != 503 || httpapi.IsPermanent(err) {
			t.Fatalf("outage: want a retryable 503, got %v", err)
		}
		if _, err := c.Users(ctx, siteB); err != nil {
			t.Fatalf("an outage of catalog must not touch identity's handler... got %v", err)
		}
		if _, err := c.SetFault(ctx, "flags", httpapi.Fault{ErrorRate: 0.25}); err != nil {
			t.Fatal(err)
		}
		fails := 0
		const n = 400
		for i := 0; i < n; i++ {
			if _, err := c.Flags(ctx, siteA); err != nil {
				if httpapi.StatusOf(err) != 500 {
					t.Fatalf("injected error: %v", err)
				}
				fails++
			}
		}
		if rate := float64(fails) / n; math.Abs(rate-0.25) > 0.07 {
			t.Fatalf("observed error rate %.3f, want about 0.25", rate)
		}
		states, err := c.Faults(ctx)
		if err != nil || states["flags"].Stats.Errors != int64(fails) || states["flags"].Stats.Requests != n {
			t.Fatalf("fault stats %+v %v", states["flags"], err)
		}
		if _, err := c.SetFault(ctx, "search", httpapi.Fault{LatencyMS: 200}); err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		if _, err := c.SearchSite(ctx, siteA, "x"); err != nil || time.Since(began) < 200*time.Millisecond {
			t.Fatalf("latency: %s %v", time.Since(began), err)
		}
		if err := c.ClearFaults(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetSite(ctx, siteA); err != nil {
			t.Fatalf("after clearing faults: %v", err)
		}
	})
}

func infoEqual(a, b platform.IDInfo) bool {
	return a.ID == b.ID && a.Kind == b.Kind && a.Status == b.Status && a.SiteID == b.SiteID && a.URL == b.URL &&
		a.Users == b.Users && a.AppName == b.AppName && a.DeletedAt.Equal(b.DeletedAt)
}

// BenchmarkLookupIDs looks up an incident-sized list (913 IDs: 30 apps and
// 883 sites in the 2022 incident) in one call.
func BenchmarkLookupIDs(b *testing.B) {
	e := start(b)
	ids := []string{siteA, siteB, siteDel, appA1, appDel}
	for i := len(ids); i < 913; i++ {
		ids = append(ids, fmt.Sprintf("55555555-0000-4000-8000-%012d", i))
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.client.LookupIDs(ctx, ids); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckSite is one front-door check of a fully functional site.
func BenchmarkCheckSite(b *testing.B) {
	e := start(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if h, err := e.client.CheckSite(ctx, "https://a.example-cloud.test"); err != nil || !h.OK {
			b.Fatal(h, err)
		}
	}
}

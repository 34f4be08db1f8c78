//go:build integration

package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/testpg"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pitr"
	"github.com/lazarus-dr/lazarus/platform/s3media"
	"github.com/lazarus-dr/lazarus/sandbox/schema"
	"github.com/lazarus-dr/lazarus/sandbox/traffic"
)

// TestSandboxVerifiesRealRestores restores two deleted sites with the real
// tools (point-in-time clones, tenant load, media undelete): one under its
// own ID (Restore 2), one under a new ID (Restore 1, found through
// restored_from). Verify must then call exactly those two back, the other
// deleted sites still damaged and every other tenant intact. A drill of a
// live site (an isolated copy under a new ID with a drill URL and no app
// installations, holding traffic the site got before the point) matches
// its truth through VerifySite, and a real difference in it still shows.
func TestSandboxVerifiesRealRestores(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	p, err := Up(ctx, Options{StateDir: testpg.Dir(t, "lazarus-sandbox-test-"), Logger: zap.NewNop()})
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	t.Cleanup(func() { _ = p.Down(context.Background()) })
	if _, err := p.Seed(ctx, SeedOptions{Sites: 60, Seed: 11}); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if _, err := p.Backup(ctx); err != nil {
		t.Fatalf("backup: %v", err)
	}
	time.Sleep(1100 * time.Millisecond) // a restore point strictly after the backup's end
	ids, err := p.Like2022(ctx, 6, 2, 3)
	if err != nil || len(ids) != 8 {
		t.Fatalf("like-2022: %v %v", ids, err)
	}
	// The drill's site: live, with apps, untouched by the disaster; it gets
	// traffic before the point.
	cat, _ := p.Pool(ctx, schema.DBCatalog)
	var drillSrc string
	if err := cat.QueryRow(ctx, `SELECT a.site_id FROM app_installations a WHERE a.site_id <> ALL($1)
		AND NOT EXISTS (SELECT 1 FROM app_installations b WHERE b.site_id = a.site_id AND b.app_id = ANY($1))
		ORDER BY a.site_id LIMIT 1`, ids).Scan(&drillSrc); err != nil {
		t.Fatalf("a live site with apps: %v", err)
	}
	tcfg, err := traffic.FromDescription(p.Description())
	if err != nil {
		t.Fatal(err)
	}
	all, err := p.ListIDs(ctx, platform.KindSite, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s != drillSrc {
			tcfg.Exclude = append(tcfg.Exclude, s)
		}
	}
	tcfg.Rate, tcfg.Duration, tcfg.MaxWrites, tcfg.Seed = 200, 10*time.Second, 8, 1
	if tr, err := traffic.Run(ctx, tcfg); err != nil || tr.Writes != 8 {
		t.Fatalf("traffic on %s: %+v %v", drillSrc, tr, err)
	}
	time.Sleep(300 * time.Millisecond) // the restore points (deletion - 200 ms) come after the traffic
	res, err := p.PermanentDelete(ctx, ids)
	if err != nil {
		t.Fatalf("disaster: %v", err)
	}
	same, moved := res.Deletions[2], res.Deletions[3]
	newID := "11111111-2222-4333-8444-555555555555"

	cloner := pitr.NewLocalCloner(p.Description(), zap.NewNop())
	clones := map[string]pitr.Clone{}
	cloneAt := func(cluster string, point time.Time) pitr.Clone {
		id := pitr.CloneID(cluster, point)
		if cl, ok := clones[id]; ok {
			return cl
		}
		cl, err := cloner.Clone(ctx, cluster, point)
		if err != nil {
			t.Fatalf("clone %s at %s: %v", cluster, point, err)
		}
		t.Cleanup(func() { _ = cloner.Teardown(context.Background(), cl.ID) })
		clones[id] = cl
		return cl
	}
	// restore loads site as of point under as; a drill copy gets a drill
	// URL and no app installations (they stay with the live site).
	restore := func(site string, point time.Time, as, drillURL string) {
		for _, cluster := range clusterNames() {
			cl := cloneAt(cluster, point)
			for _, st := range p.Description().Stores {
				if st.Cluster != cluster || (st.Kind != "catalog" && st.Kind != "identity" && st.Kind != "flags" && st.Kind != "product") {
					continue
				}
				if drillURL != "" {
					var keep []platform.Table
					for _, tb := range st.Tables {
						if tb.Name != "app_installations" {
							keep = append(keep, tb)
						}
					}
					st.Tables = keep
				}
				if _, err := pitr.LoadDSN(ctx, cl.DSN(st.Database), p.Cluster(cluster).DSN(st.Database),
					pitr.LoadRequest{Store: st, SiteID: site, AsSiteID: as}); err != nil {
					t.Fatalf("load %s of %s: %v", st.Name, site, err)
				}
			}
		}
		opts := s3media.UndeleteOptions{}
		if as != site {
			opts.NewPrefix = "sites/" + as + "/"
			if _, err := cat.Exec(ctx, `UPDATE sites SET restored_from = $1 WHERE site_id = $2`, site, as); err != nil {
				t.Fatal(err)
			}
		}
		if drillURL != "" {
			if _, err := cat.Exec(ctx, `UPDATE sites SET url = $1 WHERE site_id = $2`, drillURL, as); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := p.Media().Undelete(ctx, "sites/"+site+"/", point, opts); err != nil {
			t.Fatalf("media undelete of %s: %v", site, err)
		}
	}
	restore(same.SiteID, same.DeletedAt.Add(-200*time.Millisecond), same.SiteID, "")
	movedPoint := moved.DeletedAt.Add(-200 * time.Millisecond)
	restore(moved.SiteID, movedPoint, newID, "")
	drillID := "99999999-2222-4333-8444-555555555555"
	var srcURL string
	if err := cat.QueryRow(ctx, `SELECT url FROM sites WHERE site_id = $1`, drillSrc).Scan(&srcURL); err != nil {
		t.Fatal(err)
	}
	drillURL := strings.Replace(srcURL, "://", "://drill-batch-1-", 1)
	restore(drillSrc, movedPoint, drillID, drillURL)

	rep, err := p.Verify(ctx, VerifyOptions{IDs: ids})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	var b strings.Builder
	rep.Write(&b)
	want := map[string]bool{}
	for _, d := range res.Deletions[2:] {
		want[d.SiteID] = d.SiteID != same.SiteID && d.SiteID != moved.SiteID
	}
	for _, s := range rep.Sites {
		if s.OK == want[s.SiteID] {
			t.Errorf("site %s: ok=%v, want %v", s.SiteID, s.OK, !want[s.SiteID])
		}
		if s.SiteID == moved.SiteID && s.AsSiteID != newID {
			t.Errorf("site %s found as %q, want %s", s.SiteID, s.AsSiteID, newID)
		}
	}
	if len(rep.OthersDamaged) != 0 || rep.OthersChecked != 54 || len(rep.NewTenants) != 0 {
		// (The drill copy is neither a restore of a listed site nor a new tenant.)
		t.Errorf("others checked %d damaged %d new %v, want 54/0/none", rep.OthersChecked, len(rep.OthersDamaged), rep.NewTenants)
	}
	if t.Failed() {
		t.Log(b.String())
	}
	// The admin hook compares the moved site as its new ID too.
	diffs, err := p.VerifySite(ctx, moved.SiteID, newID, moved.DeletedAt)
	if err != nil {
		t.Fatalf("verify site: %v", err)
	}
	for _, d := range diffs {
		if !d.Match {
			t.Errorf("VerifySite %s as %s: %s differs: %s", moved.SiteID, newID, d.Store, d.Diff)
		}
	}
	// The drill copy: its URL and its missing app installations are not
	// damage; the traffic its site got before the point is left out.
	var apps, copied int
	_ = cat.QueryRow(ctx, `SELECT count(*) FROM app_installations WHERE site_id = $1`, drillSrc).Scan(&apps)
	_ = cat.QueryRow(ctx, `SELECT count(*) FROM users WHERE site_id = $1 AND id >= $2`, drillID, traffic.RowIDBase).Scan(&copied)
	for _, shard := range p.shards() {
		pool, _ := p.Pool(ctx, shard)
		for _, tb := range []string{"jira_comments", "conf_comments", "og_alerts"} {
			var n int
			_ = pool.QueryRow(ctx, `SELECT count(*) FROM `+tb+` WHERE site_id = $1 AND id >= $2`, drillID, traffic.RowIDBase).Scan(&n)
			copied += n
		}
	}
	t.Logf("drill of %s (%d apps) as %s, %d traffic rows copied", drillSrc, apps, drillID, copied)
	if apps == 0 || copied != 8 {
		t.Fatalf("the drill copy has %d apps' site and %d of 8 traffic rows: the test would not see them left out", apps, copied)
	}
	diffs, err = p.VerifySite(ctx, drillSrc, drillID, movedPoint)
	if err != nil {
		t.Fatalf("verify drill copy: %v", err)
	}
	for _, d := range diffs {
		if !d.Match {
			t.Errorf("VerifySite %s as drill copy %s: %s differs: %s", drillSrc, drillID, d.Store, d.Diff)
		}
	}
	// A real difference in the drill copy still shows.
	if _, err := cat.Exec(ctx, `DELETE FROM site_flags WHERE ctid IN (SELECT ctid FROM site_flags WHERE site_id = $1 LIMIT 1)`, drillID); err != nil {
		t.Fatal(err)
	}
	diffs, err = p.VerifySite(ctx, drillSrc, drillID, movedPoint)
	if err != nil {
		t.Fatalf("verify drill copy: %v", err)
	}
	flagsDiffer := false
	for _, d := range diffs {
		if d.Store == schema.StoreFlags && !d.Match {
			flagsDiffer = true
		} else if !d.Match {
			t.Errorf("store %s differs too: %s", d.Store, d.Diff)
		}
	}
	if !flagsDiffer {
		t.Errorf("a flag deleted from the drill copy is not seen: %+v", diffs)
	}
}

//go:build integration

package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/platform/pitr"
	"github.com/lazarus-dr/lazarus/platform/s3media"
	"github.com/lazarus-dr/lazarus/sandbox/schema"
)

// TestSandboxVerifiesRealRestores restores two deleted sites with the real
// tools (point-in-time clones, tenant load, media undelete): one under its
// own ID (Restore 2), one under a new ID (Restore 1, found through
// restored_from). Verify must then call exactly those two back, the other
// deleted sites still damaged and every other tenant intact.
func TestSandboxVerifiesRealRestores(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	p, err := Up(ctx, Options{StateDir: stateDir(t), Logger: zap.NewNop()})
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
	res, err := p.PermanentDelete(ctx, ids)
	if err != nil {
		t.Fatalf("disaster: %v", err)
	}
	same, moved := res.Deletions[2], res.Deletions[3]
	newID := "11111111-2222-4333-8444-555555555555"

	cloner := pitr.NewLocalCloner(p.Description(), zap.NewNop())
	restore := func(d Deletion, as string) {
		point := d.DeletedAt.Add(-200 * time.Millisecond)
		for _, cluster := range clusterNames() {
			cl, err := cloner.Clone(ctx, cluster, point)
			if err != nil {
				t.Fatalf("clone %s at %s: %v", cluster, point, err)
			}
			defer cloner.Teardown(context.Background(), cl.ID)
			for _, st := range p.Description().Stores {
				if st.Cluster != cluster || (st.Kind != "catalog" && st.Kind != "identity" && st.Kind != "flags" && st.Kind != "product") {
					continue
				}
				if _, err := pitr.LoadDSN(ctx, cl.DSN(st.Database), p.Cluster(cluster).DSN(st.Database),
					pitr.LoadRequest{Store: st, SiteID: d.SiteID, AsSiteID: as}); err != nil {
					t.Fatalf("load %s of %s: %v", st.Name, d.SiteID, err)
				}
			}
		}
		opts := s3media.UndeleteOptions{}
		if as != d.SiteID {
			opts.NewPrefix = "sites/" + as + "/"
			cat, _ := p.Pool(ctx, schema.DBCatalog)
			if _, err := cat.Exec(ctx, `UPDATE sites SET restored_from = $1 WHERE site_id = $2`, d.SiteID, as); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := p.Media().Undelete(ctx, "sites/"+d.SiteID+"/", point, opts); err != nil {
			t.Fatalf("media undelete of %s: %v", d.SiteID, err)
		}
	}
	restore(same, same.SiteID)
	restore(moved, newID)

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
}

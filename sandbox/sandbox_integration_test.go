//go:build integration

package sandbox

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/testpg"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pitr"
	"github.com/lazarus-dr/lazarus/sandbox/schema"
	"github.com/lazarus-dr/lazarus/sandbox/traffic"
)

func postmasterPID(t *testing.T, dataDir string) int {
	t.Helper()
	pid, err := testpg.PostmasterPID(dataDir)
	if err != nil {
		t.Fatalf("read postmaster.pid: %v", err)
	}
	return pid
}

// TestSandboxDisasterAndVerify is issue 4's "done when": up; seed 200
// sites; base backup; disaster on 40 IDs (30 sites, 10 apps); verify
// reports exactly those 30 sites damaged and the 10 apps uninstalled and
// everything else intact; down leaves no process behind. Live traffic runs
// through the disaster: it never writes to a site being deleted, and verify
// tells its rows from damage exactly. Down also stops a point-in-time clone
// that no db.drop_clone removed.
func TestSandboxDisasterAndVerify(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	log := zap.NewNop()
	if testing.Verbose() {
		log, _ = zap.NewDevelopment()
	}
	dir := testpg.Dir(t, "lazarus-sandbox-test-")
	t0 := time.Now()
	p, err := Up(ctx, Options{StateDir: dir, Logger: log})
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	downed := false
	t.Cleanup(func() {
		if !downed {
			_ = p.Down(context.Background())
		}
	})
	t.Logf("up took %s", time.Since(t0))
	st := p.State()
	pids := map[string]int{
		"platform postgres": postmasterPID(t, p.layout.DataDir(schema.ClusterPlatform)),
		"products postgres": postmasterPID(t, p.layout.DataDir(schema.ClusterProducts)),
		"versitygw":         st.GatewayPID,
	}
	for what, pid := range pids {
		if !processAlive(pid, "") {
			t.Fatalf("%s (pid %d) is not running after up", what, pid)
		}
	}
	// The description file is complete and loadable.
	d, err := platform.Load(p.DescriptionPath())
	if err != nil {
		t.Fatalf("platform.yaml: %v", err)
	}
	if len(d.StoresOfKind("product")) != schema.DefaultShards || d.Media.Endpoint == "" || d.Services.Catalog == "" || d.Services.FrontDoor == "" {
		t.Fatalf("platform.yaml incomplete: %+v", d)
	}
	if d.Retention != Retention {
		t.Fatalf("retention %s, want %s", d.Retention, Retention)
	}

	// Seed 200 sites; a second seed without Add is refused.
	t1 := time.Now()
	res, err := p.Seed(ctx, SeedOptions{Sites: 200, Seed: 7})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	t.Logf("seed 200: %s, %d rows, %d objects, sizes %v", time.Since(t1), res.Rows, res.Objects, res.Sizes)
	if res.Sites != 200 || res.Rows < 200*20 || res.Objects == 0 || res.Apps == 0 {
		t.Fatalf("seed result implausible: %+v", res)
	}
	if _, err := p.Seed(ctx, SeedOptions{Sites: 5, Seed: 7}); err == nil || !strings.Contains(err.Error(), "--add") {
		t.Fatalf("seed into a non-empty fleet: want refusal naming --add, got %v", err)
	}

	// Base backup of both clusters.
	t2 := time.Now()
	bk, err := p.Backup(ctx)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if len(bk) != 2 {
		t.Fatalf("backup: want 2 clusters, got %d", len(bk))
	}
	t.Logf("backup took %s", time.Since(t2))

	// Nothing is damaged before the disaster.
	rep0, err := p.Verify(ctx, VerifyOptions{})
	if err != nil {
		t.Fatalf("verify before: %v", err)
	}
	if !rep0.OK || rep0.OthersChecked != 200 {
		var b strings.Builder
		rep0.Write(&b)
		t.Fatalf("verify before the disaster: want all 200 intact:\n%s", b.String())
	}

	// Unknown IDs are refused, every one listed, nothing deleted.
	ids, err := p.Like2022(ctx, 30, 10, 1)
	if err != nil {
		t.Fatalf("like-2022: %v", err)
	}
	if len(ids) != 40 {
		t.Fatalf("like-2022: want 40 IDs, got %d", len(ids))
	}
	bad := append([]string{"00000000-0000-4000-8000-000000000001"}, ids...)
	bad = append(bad, "not-an-id")
	if _, err := p.PermanentDelete(ctx, bad); err == nil {
		t.Fatal("permanent delete with unknown IDs: want refusal")
	} else if ie, ok := err.(*InvalidIDsError); !ok || len(ie.Problems) != 2 {
		t.Fatalf("permanent delete with unknown IDs: want 2 problems, got %v", err)
	}
	if n, _ := p.ListIDs(ctx, platform.KindSite, true); len(n) != 0 {
		t.Fatalf("a refused list deleted %d sites", len(n))
	}

	// The disaster: 10 apps first, then 30 sites, with live traffic
	// writing to every site it finds active (the 30 among them) throughout.
	tcfg, err := traffic.FromDescription(d)
	if err != nil {
		t.Fatal(err)
	}
	tcfg.Rate, tcfg.Duration, tcfg.Seed = 300, time.Minute, 5
	tctx, stopTraffic := context.WithCancel(ctx)
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
	t3 := time.Now()
	dres, err := p.PermanentDelete(ctx, ids)
	if err != nil {
		stopTraffic()
		t.Fatalf("disaster: %v", err)
	}
	t.Logf("disaster on 40 IDs took %s", time.Since(t3))
	time.Sleep(200 * time.Millisecond)
	stopTraffic()
	tr := <-trafficDone
	if tr.err != nil || tr.res.Writes < 50 {
		t.Fatalf("traffic through the disaster: %+v %v", tr.res, tr.err)
	}
	t.Logf("traffic through the disaster: %d writes on %d sites, %d skipped", tr.res.Writes, tr.res.Sites, tr.res.Skipped)
	tlog, err := traffic.Load(ctx, p.Cluster(schema.ClusterPlatform).DSN(schema.DBSandbox))
	if err != nil {
		t.Fatal(err)
	}
	deletedAt := map[string]time.Time{}
	for _, dl := range dres.Deletions {
		if dl.Kind == platform.KindSite {
			deletedAt[dl.SiteID] = dl.DeletedAt
		}
	}
	for _, s := range tlog.Sites() {
		for _, e := range tlog.Entries(s) {
			if e.RowID < traffic.RowIDBase {
				t.Errorf("traffic %s row %d of %s: below RowIDBase", e.Table, e.RowID, s)
			}
			if at, ok := deletedAt[s]; ok && e.At.After(at) {
				t.Errorf("traffic wrote %s row %d to site %s at %s, after its deletion at %s", e.Table, e.RowID, s, e.At, at)
			}
		}
	}
	if dres.Sites != 30 || dres.Apps != 10 {
		t.Fatalf("disaster: %d sites %d apps, want 30 and 10", dres.Sites, dres.Apps)
	}
	wantApps, wantSites := ids[:10], ids[10:]
	for _, d := range dres.Deletions[:10] {
		if d.Kind != platform.KindApp {
			t.Fatalf("deletion %s: kind %s, want app first", d.ID, d.Kind)
		}
	}
	// Audit store: one event per ID; delete markers in the bucket.
	cat, _ := p.Pool(ctx, schema.DBCatalog)
	var events int
	if err := cat.QueryRow(ctx, `SELECT count(*) FROM deletion_events WHERE target_id = ANY($1)`, ids).Scan(&events); err != nil || events != 40 {
		t.Fatalf("audit: %d deletion events (err %v), want 40", events, err)
	}
	deletedSites, _ := p.ListIDs(ctx, platform.KindSite, true)
	if !sameSet(deletedSites, wantSites) {
		t.Fatalf("deleted sites %v, want %v", deletedSites, wantSites)
	}
	objs := 0
	for _, dl := range dres.Deletions {
		objs += dl.Objects
	}
	if objs > 0 {
		hist, err := p.media.History(ctx, "sites/")
		if err != nil {
			t.Fatal(err)
		}
		markers := 0
		for _, es := range hist {
			if len(es) > 0 && es[0].DeleteMarker {
				markers++
			}
		}
		if markers != objs {
			t.Fatalf("delete markers %d, want %d (objects deleted)", markers, objs)
		}
	}

	// Verify: exactly the 30 sites damaged, the 10 apps missing, others intact.
	t4 := time.Now()
	rep, err := p.Verify(ctx, VerifyOptions{IDs: ids})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	var b strings.Builder
	rep.Write(&b)
	t.Logf("verify took %s", time.Since(t4))
	if rep.OK {
		t.Fatalf("verify after the disaster says OK:\n%s", b.String())
	}
	if !sameSet(rep.DamagedSites(), wantSites) || !sameSet(rep.MissingApps(), wantApps) {
		t.Fatalf("verify: damaged %v missing apps %v; want the 30 sites and 10 apps:\n%s", rep.DamagedSites(), rep.MissingApps(), b.String())
	}
	if len(rep.OthersDamaged) != 0 || rep.OthersChecked != 170 || len(rep.Unknown) != 0 {
		t.Fatalf("verify: others checked %d damaged %d unknown %v, want 170/0/none:\n%s", rep.OthersChecked, len(rep.OthersDamaged), rep.Unknown, b.String())
	}
	for _, s := range rep.Sites {
		for _, d := range s.Stores {
			if d.Store == schema.StoreCatalog && d.Match {
				t.Fatalf("site %s: catalog matches after its deletion", s.SiteID)
			}
		}
	}

	// The 10 app deletions were meant: named as intended, they must stay
	// deleted, and their sites are otherwise intact.
	repI, err := p.Verify(ctx, VerifyOptions{IDs: wantSites, Intended: wantApps})
	if err != nil {
		t.Fatalf("verify with intended apps: %v", err)
	}
	b.Reset()
	repI.Write(&b)
	if len(repI.MissingApps()) != 0 || len(repI.Apps) != 10 || len(repI.OthersDamaged) != 0 || !sameSet(repI.DamagedSites(), wantSites) {
		t.Fatalf("verify with intended apps: apps %d missing %v others damaged %d damaged sites %d:\n%s",
			len(repI.Apps), repI.MissingApps(), len(repI.OthersDamaged), len(repI.DamagedSites()), b.String())
	}
	if _, err := p.Verify(ctx, VerifyOptions{IDs: wantSites, Intended: wantSites[:1]}); err == nil {
		t.Fatal("verify accepted a site ID as an intended app deletion")
	}

	// A point-in-time clone a batch made and never dropped.
	last := dres.Deletions[len(dres.Deletions)-1].DeletedAt
	cl, err := pitr.NewLocalCloner(d, log).Clone(ctx, schema.ClusterProducts, last)
	if err != nil {
		t.Fatalf("clone: %v", err)
	}
	pids["point-in-time clone"] = postmasterPID(t, cl.DataDir)
	if !processAlive(pids["point-in-time clone"], "") {
		t.Fatal("the clone's postgres is not running")
	}

	// Down: no process left.
	downed = true
	if err := p.Down(ctx); err != nil {
		t.Fatalf("down: %v", err)
	}
	time.Sleep(200 * time.Millisecond)
	for what, pid := range pids {
		if processAlive(pid, "") {
			t.Errorf("%s (pid %d) still runs after down", what, pid)
		}
	}
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

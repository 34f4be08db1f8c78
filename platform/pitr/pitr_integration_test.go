//go:build integration

package pitr_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lazarus-dr/lazarus/internal/testpg"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pg"
	"github.com/lazarus-dr/lazarus/platform/pitr"
)

const schemaSQL = `
CREATE TABLE projects (
  site_id text NOT NULL, id bigint NOT NULL, name text NOT NULL, self_url text NOT NULL,
  PRIMARY KEY (site_id, id));
CREATE TABLE issues (
  site_id text NOT NULL, id bigint NOT NULL, project_id bigint NOT NULL, body text NOT NULL,
  links jsonb NOT NULL DEFAULT '{}', created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (site_id, id),
  FOREIGN KEY (site_id, project_id) REFERENCES projects (site_id, id));
CREATE TABLE comments (
  site_id text NOT NULL, id bigint NOT NULL, issue_id bigint NOT NULL, body text NOT NULL,
  PRIMARY KEY (site_id, id),
  FOREIGN KEY (site_id, issue_id) REFERENCES issues (site_id, id));
CREATE INDEX ON issues (site_id, project_id);
CREATE INDEX ON comments (site_id, issue_id);
`

var store = platform.Store{Name: "shard1", Cluster: "products", Database: "shard1", Kind: "product",
	TenantColumn: "site_id", Tables: []platform.Table{
		{Name: "projects", RemapColumns: []string{"self_url"}},
		{Name: "issues", RemapColumns: []string{"links"}},
		{Name: "comments"},
	}}

// world is a live cluster with archiving, a base backup, and a cloner.
type world struct {
	t       *testing.T
	cluster *pg.Cluster
	desc    *platform.Description
	cloner  *pitr.LocalCloner
	backup  pg.BackupInfo
	live    *pgx.Conn
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	c := testpg.Start(t, ctx, "products", true)
	cc := c.Config()
	dir := filepath.Dir(cc.DataDir)
	if err := c.CreateDatabase(ctx, "shard1"); err != nil {
		t.Fatal(err)
	}
	live, err := c.Open(ctx, "shard1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { live.Close(context.Background()) })
	w := &world{t: t, cluster: c, live: live}
	w.exec(live, schemaSQL)
	for _, s := range []string{"site-a", "site-b", "site-c", "site-d"} {
		w.seed(s, 1, 3, 20)
	}
	desc := &platform.Description{Name: "test", Retention: 24 * time.Hour,
		Clusters: []platform.Cluster{{Name: "products", Host: "127.0.0.1", Port: cc.Port, User: "postgres", PGBin: cc.PGBin,
			BackupDir: filepath.Join(dir, "backups"), WALArchive: cc.WALArchive,
			OSUser: pg.DefaultOSUser(), ScratchDir: filepath.Join(dir, "scratch")}},
		Stores: []platform.Store{store}}
	w.desc = desc
	if err := pg.PrepareDir(desc.Clusters[0].BackupDir, desc.Clusters[0].OSUser, 0o755); err != nil {
		t.Fatal(err)
	}
	w.backup, err = c.BaseBackup(ctx, filepath.Join(desc.Clusters[0].BackupDir, "b1"))
	if err != nil {
		t.Fatal(err)
	}
	w.cloner = pitr.NewLocalCloner(desc, nil)
	return w
}

func (w *world) exec(conn *pgx.Conn, sql string, args ...any) {
	w.t.Helper()
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		w.t.Fatalf("%s: %v", sql, err)
	}
}

// seed writes projects [from, from+n) with `per` issues each and one comment per issue.
func (w *world) seed(site string, from, n, per int) {
	w.t.Helper()
	w.exec(w.live, `INSERT INTO projects SELECT $1, g, 'project ' || g, 'https://x.test/sites/' || $1 || '/p/' || g
		FROM generate_series($2::int, $3::int) g`, site, from, from+n-1)
	w.exec(w.live, `INSERT INTO issues (site_id, id, project_id, body, links)
		SELECT $1, p * 100000 + i, p, 'issue ' || i, jsonb_build_object('self', 'https://x.test/sites/' || $1 || '/i/' || i, 'n', i)
		FROM generate_series($2::int, $3::int) p, generate_series(1, $4::int) i`, site, from, from+n-1, per)
	w.exec(w.live, `INSERT INTO comments SELECT $1, id, id, 'comment on ' || id FROM issues
		WHERE site_id = $1 AND project_id BETWEEN $2 AND $3`, site, from, from+n-1)
}

func (w *world) deleteSite(site string) {
	for _, tbl := range []string{"comments", "issues", "projects"} {
		w.exec(w.live, "DELETE FROM "+tbl+" WHERE site_id = $1", site)
	}
}

func (w *world) now() time.Time {
	var t time.Time
	if err := w.live.QueryRow(context.Background(), "SELECT clock_timestamp()").Scan(&t); err != nil {
		w.t.Fatal(err)
	}
	return t
}

func (w *world) checksum(conn *pgx.Conn, site, as string) pitr.Checksum {
	w.t.Helper()
	c, err := pitr.TenantChecksum(context.Background(), conn, store, site, as)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// tableDump is an exact text dump of every row of every table except the
// listed tenants, for byte-for-byte comparisons.
func (w *world) tableDump(except ...string) string {
	w.t.Helper()
	var b strings.Builder
	for _, tbl := range []string{"projects", "issues", "comments"} {
		var s string
		err := w.live.QueryRow(context.Background(), fmt.Sprintf(
			`SELECT coalesce(string_agg(t::text, E'\n' ORDER BY site_id, id), '') FROM %s t WHERE site_id <> ALL($1)`, tbl), except).Scan(&s)
		if err != nil {
			w.t.Fatal(err)
		}
		b.WriteString(tbl + "\n" + s + "\n")
	}
	return b.String()
}

func (w *world) clone(ctx context.Context, t time.Time) (pitr.Clone, *pgx.Conn) {
	w.t.Helper()
	cl, err := w.cloner.Clone(ctx, "products", t)
	if err != nil {
		w.t.Fatal(err)
	}
	conn, err := pg.Open(ctx, cl.DSN("shard1"))
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { conn.Close(context.Background()) })
	return cl, conn
}

func TestTenantPointInTimeRestore(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w := newWorld(t)

	// t1: more writes after the backup.
	w.seed("site-a", 10, 2, 10)
	w.seed("site-b", 10, 2, 10)
	w.seed("site-d", 10, 1, 5)
	wantA := w.checksum(w.live, "site-a", "")
	wantD := w.checksum(w.live, "site-d", "")
	restorePoint := w.now()

	// t2: the disaster and more life: A deleted, B writes more, D loses an
	// issue thread by accident and writes new rows.
	w.deleteSite("site-a")
	afterDelete := w.now()
	w.seed("site-b", 20, 1, 10)
	w.exec(w.live, "DELETE FROM comments WHERE site_id = 'site-d' AND issue_id = 100001")
	w.exec(w.live, "DELETE FROM issues WHERE site_id = 'site-d' AND id = 100001")
	w.seed("site-d", 30, 1, 5)
	afterD := w.checksum(w.live, "site-d", "")
	othersBefore := w.tableDump("site-a", "site-d")

	began := time.Now()
	cl, src := w.clone(ctx, restorePoint)
	t.Logf("clone %s ready in %.2fs (copy+recover %.2fs), last commit %s, target %s",
		cl.ID, time.Since(began).Seconds(), cl.Seconds, cl.LastCommit.Format(time.RFC3339Nano), restorePoint.Format(time.RFC3339Nano))
	if cl.LastCommit.After(restorePoint) {
		t.Fatalf("clone replayed past its target")
	}
	if got := w.checksum(src, "site-a", ""); len(got.Diff(wantA)) > 0 {
		t.Fatalf("clone does not hold site-a as at the restore point: %v", got.Diff(wantA))
	}
	// The clone is read-only.
	if _, err := src.Exec(ctx, "INSERT INTO projects VALUES ('x', 1, 'x', 'x')"); err == nil {
		t.Fatal("the clone accepted a write")
	}

	// Restore A (Restore 2: same ID).
	var progress []pitr.Progress
	res, err := pitr.Load(ctx, src, w.live, pitr.LoadRequest{Store: store, SiteID: "site-a",
		OnProgress: func(p pitr.Progress) { progress = append(progress, p) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != wantA.Rows() || res.Inserted != res.Rows {
		t.Fatalf("load: %+v, want %d rows all inserted", res, wantA.Rows())
	}
	for _, tr := range res.Tables {
		if tr.Path != "direct" {
			t.Errorf("table %s of a deleted site took the %s path", tr.Table, tr.Path)
		}
	}
	// One report per committed table, and reports while rows stream.
	var committed []pitr.Progress
	var bytes int64
	for _, p := range progress {
		if p.Bytes < bytes {
			t.Errorf("streamed bytes went back from %d to %d", bytes, p.Bytes)
		}
		bytes = p.Bytes
		if p.Copying == "" {
			committed = append(committed, p)
		}
	}
	if len(committed) != 3 || strings.Join(committed[2].TablesDone, ",") != "projects,issues,comments" || committed[2].Rows != res.Rows {
		t.Fatalf("progress %+v", progress)
	}
	if len(progress) < 6 || bytes == 0 {
		t.Fatalf("no progress while rows streamed: %+v", progress)
	}
	if got := w.checksum(w.live, "site-a", ""); len(got.Diff(wantA)) > 0 {
		t.Fatalf("site-a after restore: %v", got.Diff(wantA))
	}
	// Run twice: nothing changes.
	res2, err := pitr.Load(ctx, src, w.live, pitr.LoadRequest{Store: store, SiteID: "site-a"})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Inserted != 0 || res2.Rows != res.Rows || res2.Tables[0].Path != "merge" {
		t.Fatalf("second load: %+v", res2)
	}
	if got := w.checksum(w.live, "site-a", ""); len(got.Diff(wantA)) > 0 {
		t.Fatalf("site-a after second restore: %v", got.Diff(wantA))
	}

	// Restore D, which lived on: the lost thread comes back, its later rows stay.
	resD, err := pitr.Load(ctx, src, w.live, pitr.LoadRequest{Store: store, SiteID: "site-d"})
	if err != nil {
		t.Fatal(err)
	}
	if resD.Inserted != 2 { // issue 1001 and its comment
		t.Fatalf("site-d: inserted %d rows, want 2 (the lost issue and its comment)", resD.Inserted)
	}
	var n int
	if err := w.live.QueryRow(ctx, "SELECT count(*) FROM issues WHERE site_id = 'site-d' AND project_id = 30").Scan(&n); err != nil || n != 5 {
		t.Fatalf("site-d's rows written after the restore point: %d, %v", n, err)
	}
	gotD := w.checksum(w.live, "site-d", "")
	if gotD.Rows() != afterD.Rows()+2 || len(gotD.Diff(wantD)) == 0 {
		t.Fatalf("site-d: %d rows, want %d", gotD.Rows(), afterD.Rows()+2)
	}

	// Other tenants byte-for-byte unchanged, including B's writes after the point.
	if got := w.tableDump("site-a", "site-d"); got != othersBefore {
		t.Fatal("other tenants changed")
	}

	// Remap (Restore 1, drills): A at the restore point into a new isolated ID.
	othersBefore = w.tableDump("site-a-new")
	resR, err := pitr.Load(ctx, src, w.live, pitr.LoadRequest{Store: store, SiteID: "site-a", AsSiteID: "site-a-new"})
	if err != nil {
		t.Fatal(err)
	}
	if resR.Inserted != wantA.Rows() {
		t.Fatalf("remap inserted %d, want %d", resR.Inserted, wantA.Rows())
	}
	if got := w.tableDump("site-a-new"); got != othersBefore {
		t.Fatal("the remap wrote outside the new site (the old site's live rows must not be touched)")
	}
	if diff := w.checksum(w.live, "site-a-new", "").Diff(w.checksum(src, "site-a", "site-a-new")); len(diff) > 0 {
		t.Fatalf("remapped copy differs from the clone: %v", diff)
	}
	var url, links string
	if err := w.live.QueryRow(ctx, "SELECT p.self_url, i.links::text FROM projects p JOIN issues i USING (site_id) WHERE site_id = 'site-a-new' LIMIT 1").Scan(&url, &links); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(url, "/sites/site-a-new/") || !strings.Contains(links, "/sites/site-a-new/") || strings.Contains(links, "site-a/") {
		t.Fatalf("remap columns not remapped: %s %s", url, links)
	}
	// The merge path gives exactly what the direct path gave.
	resM, err := pitr.Load(ctx, src, w.live, pitr.LoadRequest{Store: store, SiteID: "site-a", AsSiteID: "site-a-merge", AlwaysMerge: true})
	if err != nil || resM.Inserted != wantA.Rows() || resM.Tables[0].Path != "merge" {
		t.Fatalf("merge remap: %+v %v", resM, err)
	}
	if diff := w.checksum(w.live, "site-a-merge", "site-a-new").Diff(w.checksum(w.live, "site-a-new", "")); len(diff) > 0 {
		t.Fatalf("merge path and direct path differ: %v", diff)
	}
	if resR2, err := pitr.Load(ctx, src, w.live, pitr.LoadRequest{Store: store, SiteID: "site-a", AsSiteID: "site-a-new"}); err != nil || resR2.Inserted != 0 {
		t.Fatalf("second remap: %+v %v", resR2, err)
	}

	// The same (cluster, T) reuses the running clone.
	again, err := w.cloner.Clone(ctx, "products", restorePoint)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != cl.ID || again.Port != cl.Port || again.Seconds != 0 {
		t.Fatalf("clone not reused: %+v vs %+v", again, cl)
	}
	// A second clone at a later point (after A's deletion) sees the deletion.
	later, src2 := w.clone(ctx, afterDelete)
	if later.ID == cl.ID || later.Port == cl.Port {
		t.Fatal("two points, one clone")
	}
	if got := w.checksum(src2, "site-a", ""); got.Rows() != 0 {
		t.Fatalf("later clone still has %d rows of site-a", got.Rows())
	}
	if list, err := w.cloner.Clones("products"); err != nil || len(list) != 2 {
		t.Fatalf("Clones = %d, %v", len(list), err)
	}
	src2.Close(ctx)
	// Each clone answers to its own ID, and to no other: a reader holding a
	// DSN whose clone was replaced by another never reads the other.
	if err := pitr.Identify(ctx, later.DSN("postgres"), later.ID); err != nil {
		t.Fatalf("identify the later clone: %v", err)
	}
	if err := pitr.Identify(ctx, later.DSN("postgres"), cl.ID); !errors.Is(err, pitr.ErrCloneGone) {
		t.Fatalf("the later clone answered as the first one: %v", err)
	}
	if err := pitr.Identify(ctx, pg.DSN("127.0.0.1", w.cluster.Config().Port, "postgres", "postgres"), cl.ID); !errors.Is(err, pitr.ErrCloneGone) {
		t.Fatalf("the live cluster answered as a clone: %v", err)
	}
	for i := 0; i < 2; i++ {
		if err := w.cloner.Teardown(ctx, later.ID); err != nil {
			t.Fatalf("teardown #%d: %v", i+1, err)
		}
	}
	if list, _ := w.cloner.Clones("products"); len(list) != 1 {
		t.Fatalf("after teardown: %d clones", len(list))
	}
	if err := pitr.Identify(ctx, later.DSN("postgres"), later.ID); !errors.Is(err, pitr.ErrCloneGone) {
		t.Fatalf("a torn-down clone still answers: %v", err)
	}
}

func TestCloneRefusesPointsOutsideTheWindow(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w := newWorld(t)
	win, err := w.cloner.Window(ctx, "products")
	if err != nil {
		t.Fatal(err)
	}
	if !win.Earliest.Equal(w.backup.EndTime) {
		t.Fatalf("window earliest %s, want the backup's end %s", win.Earliest, w.backup.EndTime)
	}
	cases := map[string]time.Time{
		"before the backup":     w.backup.StartTime.Add(-time.Second),
		"during the backup":     w.backup.EndTime.Add(-time.Microsecond),
		"in the future":         time.Now().Add(time.Hour),
		"outside the retention": time.Now().Add(-48 * time.Hour),
		"zero":                  {},
	}
	for name, at := range cases {
		_, err := w.cloner.Clone(ctx, "products", at)
		if err == nil || !pitr.IsRefused(err) {
			t.Errorf("%s: want a refusal, got %v", name, err)
		}
	}
	if _, err := w.cloner.Clone(ctx, "nope", time.Now()); !pitr.IsRefused(err) {
		t.Errorf("unknown cluster: %v", err)
	}
	if err := w.cloner.Teardown(ctx, "garbage"); !pitr.IsRefused(err) {
		t.Errorf("bad clone ID: %v", err)
	}
	if err := w.cloner.Teardown(ctx, pitr.CloneID("products", time.Now())); err != nil {
		t.Errorf("teardown of a clone never made: %v", err)
	}
	// Right after the backup's end is fine, and gets no later commit than asked.
	cl, err := w.cloner.Clone(ctx, "products", w.backup.EndTime)
	if err != nil {
		t.Fatal(err)
	}
	if cl.LastCommit.After(w.backup.EndTime) {
		t.Fatalf("last commit %s after target %s", cl.LastCommit, w.backup.EndTime)
	}
	if err := w.cloner.Teardown(ctx, cl.ID); err != nil {
		t.Fatal(err)
	}
}

func TestLoadKilledHalfwayResumes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w := newWorld(t)
	w.seed("big", 1, 20, 2500) // 50,000 issues and comments
	want := w.checksum(w.live, "big", "")
	point := w.now()
	w.deleteSite("big")
	others := w.tableDump("big")
	cl, _ := w.clone(ctx, point)
	dst := func() string { return w.cluster.DSN("shard1") }

	// 1: killed between tables (after projects): the progress says so.
	kctx, kill := context.WithCancel(ctx)
	var last pitr.Progress
	_, err := pitr.LoadDSN(kctx, cl.DSN("shard1"), dst(), pitr.LoadRequest{Store: store, SiteID: "big",
		OnProgress: func(p pitr.Progress) {
			if p.Copying == "" {
				last = p
				kill()
			}
		}})
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("want a cancellation, got %v", err)
	}
	if strings.Join(last.TablesDone, ",") != "projects" {
		t.Fatalf("progress %+v", last)
	}
	// 2: killed in the middle of the big copy: that table's transaction
	// rolls back (all or nothing).
	kctx, kill = context.WithCancel(ctx)
	time.AfterFunc(40*time.Millisecond, kill)
	res, err := pitr.LoadDSN(kctx, cl.DSN("shard1"), dst(), pitr.LoadRequest{Store: store, SiteID: "big", SkipTables: last.TablesDone})
	if err == nil {
		t.Logf("copy finished before the kill (%+v); the resume below is then a no-op", res)
	}
	var issues int
	if err := w.live.QueryRow(ctx, "SELECT count(*) FROM issues WHERE site_id = 'big'").Scan(&issues); err != nil {
		t.Fatal(err)
	}
	if issues != 0 && issues != 50000 {
		t.Fatalf("a killed table copy left %d of 50000 rows", issues)
	}
	t.Logf("killed mid-copy: err=%v, issues in live = %d", err, issues)
	// 3: resume from the heartbeat's tables, with fresh connections.
	res, err = pitr.LoadDSN(ctx, cl.DSN("shard1"), dst(), pitr.LoadRequest{Store: store, SiteID: "big", SkipTables: last.TablesDone})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Tables[0].Skipped || res.Tables[0].Rows != 0 {
		t.Fatalf("finished table redone: %+v", res.Tables[0])
	}
	if diff := w.checksum(w.live, "big", "").Diff(want); len(diff) > 0 {
		t.Fatalf("after resume: %v", diff)
	}
	if w.tableDump("big") != others {
		t.Fatal("other tenants changed")
	}
}

func TestLoadValidatesInput(t *testing.T) {
	_, err := pitr.Load(context.Background(), nil, nil, pitr.LoadRequest{Store: platform.Store{Name: "s", Tables: []platform.Table{{Name: "t", Product: "confluence"}}}, Product: "jira"})
	if err == nil || !pitr.IsRefused(err) {
		t.Fatalf("want a refusal, got %v", err)
	}
	for _, want := range []string{"site ID is empty", "table t has no tenant column", `no table of product "jira"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// Sites deleted apart in one batch: the plan gives each the clone its
// tolerance allows, and a site restored from its own clone gets what it had
// just before its point (a single clone at the first point would lose the
// later site's last writes). Scaled down: 3 seconds apart, tolerance 1s.
func TestSitesDeletedApartGetClonesRespectingTolerance(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w := newWorld(t)
	offset, tol := 500*time.Millisecond, time.Second

	wantX := w.checksum(w.live, "site-a", "")
	time.Sleep(offset + 10*time.Millisecond)
	delX := w.now()
	w.deleteSite("site-a")
	w.seed("site-b", 40, 1, 7) // site-b's last writes, before its own point
	wantY := w.checksum(w.live, "site-b", "")
	time.Sleep(3 * time.Second)
	delY := w.now()
	w.deleteSite("site-b")

	win, err := w.cloner.Window(ctx, "products")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pitr.PlanClones(pitr.PlanInput{Offset: offset, Tolerance: tol, Earliest: win.Earliest, Latest: win.Latest,
		Sites: []pitr.PlanSite{{SiteID: "site-b", DeletedAt: delY}, {SiteID: "site-a", DeletedAt: delX}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Clones) != 2 {
		t.Fatalf("%d clones for sites deleted 3s apart with a 1s tolerance", len(plan.Clones))
	}
	for _, site := range []string{"site-a", "site-b"} {
		a, _ := plan.Site(site)
		cl, src := w.clone(ctx, a.Point)
		if cl.LastCommit.After(a.RestorePoint) {
			t.Fatalf("%s: clone replayed past the restore point", site)
		}
		if _, err := pitr.Load(ctx, src, w.live, pitr.LoadRequest{Store: store, SiteID: site}); err != nil {
			t.Fatal(err)
		}
	}
	if diff := w.checksum(w.live, "site-a", "").Diff(wantX); len(diff) > 0 {
		t.Errorf("site-a: %v", diff)
	}
	if diff := w.checksum(w.live, "site-b", "").Diff(wantY); len(diff) > 0 {
		t.Errorf("site-b (its last writes must be there): %v", diff)
	}
}

// A column the live table gained after the restore point takes its default.
func TestLoadAcrossASchemaChange(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w := newWorld(t)
	want := w.checksum(w.live, "site-c", "")
	point := w.now()
	w.deleteSite("site-c")
	w.exec(w.live, "ALTER TABLE issues ADD COLUMN priority int NOT NULL DEFAULT 3")
	_, src := w.clone(ctx, point)
	res, err := pitr.Load(ctx, src, w.live, pitr.LoadRequest{Store: store, SiteID: "site-c"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Inserted != want.Rows() {
		t.Fatalf("inserted %d, want %d", res.Inserted, want.Rows())
	}
	var n int
	if err := w.live.QueryRow(ctx, "SELECT count(*) FROM issues WHERE site_id = 'site-c' AND priority = 3").Scan(&n); err != nil || n == 0 {
		t.Fatalf("new column: %d rows with its default, %v", n, err)
	}
}

// With the live cluster gone, the archive is all there is: a point it
// covers clones; a point past it fails with a clear error, never a clone
// of an earlier point.
func TestCloneWithTheLiveClusterDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w := newWorld(t)
	want := w.checksum(w.live, "site-b", "")
	covered := w.now()
	if err := w.cluster.SwitchWALAndWaitArchived(ctx); err != nil {
		t.Fatal(err)
	}
	w.seed("site-b", 50, 1, 3) // lands only in the live cluster's unarchived WAL
	past := w.now()
	if err := w.cluster.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	_, src := w.clone(ctx, covered)
	if diff := w.checksum(src, "site-b", "").Diff(want); len(diff) > 0 {
		t.Fatalf("clone at a covered point: %v", diff)
	}
	_, err := w.cloner.Clone(ctx, "products", past)
	if err == nil {
		t.Fatal("a point past the archive was cloned")
	}
	if !strings.Contains(err.Error(), "does not reach") {
		t.Fatalf("unclear error: %v", err)
	}
	t.Logf("past the archive: %v", err)
}

// A clone in use is kept; once nobody has used it for the idle time, Sweep
// tears it down, and a clone of the same point can be made again.
func TestSweepRemovesOnlyIdleClones(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w := newWorld(t)
	cl, err := w.cloner.Clone(ctx, "products", w.backup.EndTime)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.cloner.Teardown(context.Background(), cl.ID) })
	if gone, err := w.cloner.Sweep(ctx, time.Hour); err != nil || len(gone) != 0 {
		t.Fatalf("sweep of a clone just made: %v %v", gone, err)
	}
	// A session runs a query on the clone while the clock says an hour
	// has passed: in use, kept.
	reader, err := pg.Open(ctx, cl.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close(context.Background())
	busy := make(chan error, 1)
	go func() {
		_, err := reader.Exec(ctx, "SELECT pg_sleep(3)")
		busy <- err
	}()
	time.Sleep(500 * time.Millisecond)
	w.cloner.Now = func() time.Time { return time.Now().Add(time.Hour) }
	if gone, err := w.cloner.Sweep(ctx, 30*time.Minute); err != nil || len(gone) != 0 {
		t.Fatalf("sweep of a clone in use: %v %v", gone, err)
	}
	if err := <-busy; err != nil {
		t.Fatal(err)
	}
	// Half an hour after that use, with the session idle: still kept.
	w.cloner.Now = func() time.Time { return time.Now().Add(20 * time.Minute) }
	if gone, err := w.cloner.Sweep(ctx, 30*time.Minute); err != nil || len(gone) != 0 {
		t.Fatalf("sweep 20 minutes after a use: %v %v", gone, err)
	}
	w.cloner.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	gone, err := w.cloner.Sweep(ctx, 30*time.Minute)
	if err != nil || len(gone) != 1 || gone[0] != cl.ID {
		t.Fatalf("sweep of an idle clone: %v %v", gone, err)
	}
	if err := pitr.Identify(ctx, cl.DSN("postgres"), cl.ID); !errors.Is(err, pitr.ErrCloneGone) {
		t.Fatalf("a swept clone still answers: %v", err)
	}
	w.cloner.Now = nil
	again, err := w.cloner.Clone(ctx, "products", w.backup.EndTime)
	if err != nil || again.ID != cl.ID {
		t.Fatalf("the same clone made again: %+v %v", again, err)
	}
}

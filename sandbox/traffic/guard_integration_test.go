//go:build integration

package traffic

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/testpg"
)

// TestTrafficNeverWritesToADeletedSiteAndLogsOnlyInsertedRows replays the
// bug found end to end: traffic listed its targets, the disaster then
// deleted one of them, and traffic logged a users row with ID 1 for it (the
// insert failed; verify later subtracted the seeded user 1 of the restored
// site). Now: a site being deleted (catalog row locked) or deleted is
// skipped and dropped, a site once deleted (restored since) is never a
// target, a row is logged only once inserted, and row IDs start at
// RowIDBase.
func TestTrafficNeverWritesToADeletedSiteAndLogsOnlyInsertedRows(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const (
		live     = "aaaaaaaa-0000-4000-8000-00000000000a"
		doomed   = "dddddddd-0000-4000-8000-00000000000d"
		restored = "rrrrrrrr-0000-4000-8000-00000000000r"
	)
	c := testpg.Start(t, ctx, "guard", false)
	conns := map[string]*pgx.Conn{}
	exec := func(db, sql string, args ...any) {
		t.Helper()
		if _, err := conns[db].Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", db, err)
		}
	}
	for db, kind := range map[string]string{"catalog": "catalog", "sandbox": "sandbox", "shard_1": "products"} {
		testpg.CreateDB(t, ctx, c, db, kind, "")
		conn, err := c.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close(context.Background()) })
		conns[db] = conn
	}
	for _, s := range []string{live, doomed, restored} {
		exec("catalog", `INSERT INTO sites (site_id, url, region, tier, customer_id, self_url) VALUES ($1, 'https://'||$1||'.test', 'eu-west', 'free', 'c', 'x')`, s)
		exec("catalog", `INSERT INTO users (site_id, id, account_id, email, display_name) VALUES ($1, 1, 'a', 'a@x', 'A')`, s)
		exec("catalog", `INSERT INTO product_activations (site_id, product) VALUES ($1, 'opsgenie')`, s)
		exec("catalog", `INSERT INTO placements (site_id, product, cluster, database, store, region) VALUES ($1, 'opsgenie', 'products', 'shard_1', 'shard_1', 'eu-west')`, s)
		exec("shard_1", `INSERT INTO og_alerts (site_id, id, message, priority, created_at) VALUES ($1, 1, 'seeded', 'P1', now())`, s)
	}
	// restored was deleted once and is back (a Restore 2 under way).
	exec("catalog", `INSERT INTO deletion_events (kind, target_id, site_id, deleted_at) VALUES ('site', $1, $1, now())`, restored)

	cfg := Config{CatalogDSN: c.DSN("catalog"), IdentityDSN: c.DSN("catalog"), SandboxDSN: c.DSN("sandbox"),
		Shards: map[string]string{"shard_1": c.DSN("shard_1")}, Rate: 100, Duration: time.Second}
	r := &runner{cfg: cfg, log: zap.NewNop(), shards: map[string]*pgxpool.Pool{}, rng: rand.New(rand.NewPCG(1, 2)), gone: map[string]bool{}}
	if err := r.open(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.close()
	targets, err := r.targets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tg := map[string]target{}
	for _, x := range targets {
		tg[x.site] = x
	}
	if len(tg) != 2 || tg[live].site == "" || tg[doomed].site == "" {
		t.Fatalf("targets %v: want the live and the doomed site, never the once-deleted one", targets)
	}
	count := func(db, q string, args ...any) int {
		t.Helper()
		var n int
		if err := conns[db].QueryRow(ctx, q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", db, err)
		}
		return n
	}
	logged := func(site string) int {
		return count("sandbox", `SELECT count(*) FROM traffic_log WHERE site_id = $1`, site)
	}

	// The disaster starts on doomed: its catalog row is locked first.
	del, err := conns["catalog"].Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := del.Exec(ctx, `SELECT 1 FROM sites WHERE site_id = $1 FOR UPDATE`, doomed); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	for _, table := range []string{"og_alerts", "users"} {
		product := map[string]string{"og_alerts": "opsgenie"}[table]
		ok, err := r.write(ctx, tg[doomed], table, product)
		if err != nil || ok {
			t.Fatalf("write %s to a site being deleted: ok=%v err=%v, want skipped", table, ok, err)
		}
	}
	if d := time.Since(began); d > 3*time.Second {
		t.Fatalf("writes to a site being deleted waited %s for the deletion", d)
	}
	if r.gone[doomed] {
		t.Fatal("a locked site is not known to be gone yet")
	}
	// The deletion goes through every store, then commits.
	exec("shard_1", `DELETE FROM og_alerts WHERE site_id = $1`, doomed)
	for _, q := range []string{`DELETE FROM users WHERE site_id = $1`, `DELETE FROM placements WHERE site_id = $1`,
		`DELETE FROM product_activations WHERE site_id = $1`, `DELETE FROM sites WHERE site_id = $1`,
		`INSERT INTO deletion_events (kind, target_id, site_id, deleted_at) VALUES ('site', $1, $1, now())`} {
		if _, err := del.Exec(ctx, q, doomed); err != nil {
			t.Fatal(err)
		}
	}
	if err := del.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"users", "og_alerts"} {
		product := map[string]string{"og_alerts": "opsgenie"}[table]
		ok, err := r.write(ctx, tg[doomed], table, product)
		if err != nil || ok {
			t.Fatalf("write %s to a deleted site: ok=%v err=%v, want skipped", table, ok, err)
		}
	}
	if !r.gone[doomed] {
		t.Fatal("the deleted site is not marked gone")
	}
	// A once-deleted site is refused even when asked for directly.
	if ok, err := r.write(ctx, target{site: restored, stores: map[string]string{"opsgenie": "shard_1"}}, "og_alerts", "opsgenie"); err != nil || ok {
		t.Fatalf("write to a once-deleted site: ok=%v err=%v, want skipped", ok, err)
	}
	if n := logged(doomed) + logged(restored); n != 0 {
		t.Fatalf("%d traffic_log entries for deleted sites", n)
	}
	if n := count("shard_1", `SELECT count(*) FROM og_alerts WHERE site_id = ANY($1)`, []string{doomed, restored}); n != 1 {
		t.Fatalf("og_alerts of the deleted and once-deleted sites: %d rows, want only restored's seeded one", n)
	}

	// The live site: rows get IDs from RowIDBase up, and each is logged.
	for _, table := range []string{"users", "og_alerts", "users"} {
		product := map[string]string{"og_alerts": "opsgenie"}[table]
		if ok, err := r.write(ctx, tg[live], table, product); err != nil || !ok {
			t.Fatalf("write %s to the live site: ok=%v err=%v", table, ok, err)
		}
	}
	rows, err := conns["sandbox"].Query(ctx, `SELECT table_name, row_id FROM traffic_log WHERE site_id = $1 ORDER BY id`, live)
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		Table string
		ID    int64
	}
	entries, err := pgx.CollectRows(rows, pgx.RowToStructByPos[entry])
	if err != nil || len(entries) != 3 {
		t.Fatalf("log of the live site: %v %v, want 3 entries", entries, err)
	}
	for _, e := range entries {
		db := map[string]string{"users": "catalog", "og_alerts": "shard_1"}[e.Table]
		if e.ID < RowIDBase {
			t.Errorf("%s row ID %d is below RowIDBase: it could name a seeded row", e.Table, e.ID)
		}
		if n := count(db, `SELECT count(*) FROM `+e.Table+` WHERE site_id = $1 AND id = $2`, live, e.ID); n != 1 {
			t.Errorf("logged %s row %d: %d rows in the table", e.Table, e.ID, n)
		}
	}
	if n := count("catalog", `SELECT count(*) FROM users WHERE site_id = $1 AND id = 1 AND account_id = 'a'`, live); n != 1 {
		t.Fatal("seeded user 1 changed")
	}

	// An insert that fails is not logged.
	exec("shard_1", `ALTER TABLE og_alerts ADD CONSTRAINT no_traffic CHECK (priority <> 'P3') NOT VALID`)
	before := logged(live)
	if ok, err := r.write(ctx, tg[live], "og_alerts", "opsgenie"); err == nil || ok || !strings.Contains(err.Error(), "no_traffic") {
		t.Fatalf("failing insert: ok=%v err=%v, want the insert's error", ok, err)
	}
	if n := logged(live); n != before {
		t.Fatalf("a failed insert was logged (%d entries, want %d)", n, before)
	}
	exec("shard_1", `ALTER TABLE og_alerts DROP CONSTRAINT no_traffic`)
	// A log that fails leaves no row behind.
	exec("sandbox", `ALTER TABLE traffic_log RENAME TO traffic_log_off`)
	alerts := count("shard_1", `SELECT count(*) FROM og_alerts WHERE site_id = $1`, live)
	if ok, err := r.write(ctx, tg[live], "og_alerts", "opsgenie"); err == nil || ok {
		t.Fatalf("write without a log: ok=%v err=%v, want an error", ok, err)
	}
	if n := count("shard_1", `SELECT count(*) FROM og_alerts WHERE site_id = $1`, live); n != alerts {
		t.Fatalf("a row was committed without its log entry (%d alerts, want %d)", n, alerts)
	}
	exec("sandbox", `ALTER TABLE traffic_log_off RENAME TO traffic_log`)

	// A whole run keeps going when its sites are deleted under it.
	r.gone = map[string]bool{}
	res, err := Run(ctx, Config{CatalogDSN: c.DSN("catalog"), SandboxDSN: c.DSN("sandbox"),
		Shards: map[string]string{"shard_1": c.DSN("shard_1")}, Rate: 500, Duration: 5 * time.Second, MaxWrites: 20, Seed: 3})
	if err != nil || res.Writes != 20 || res.Sites != 1 {
		t.Fatalf("run after the deletion: %+v %v, want 20 writes on the live site only", res, err)
	}
}

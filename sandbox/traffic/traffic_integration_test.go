//go:build integration

package traffic_test

import (
	"context"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/internal/testpg"
	"github.com/lazarus-dr/lazarus/sandbox/traffic"
)

const (
	siteA = "aaaaaaaa-0000-4000-8000-000000000001" // jira
	siteB = "bbbbbbbb-0000-4000-8000-000000000002" // confluence + opsgenie
	siteX = "eeeeeeee-0000-4000-8000-000000000003" // excluded (deleted, under restore)
)

func site(id string) string {
	return `INSERT INTO sites (site_id, url, region, tier, customer_id, self_url) VALUES ('` + id + `', 'https://` + id + `.test', 'eu-west', 'free', 'c', 'x');
INSERT INTO users (site_id, id, account_id, email, display_name) VALUES ('` + id + `', 1, 'a', 'a@x', 'A');
`
}

func TestTrafficWritesOnlyToOthersAndLogsEveryRow(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := testpg.Start(t, ctx, "traffic", false)
	exec := func(db, kind, sql string) { testpg.CreateDB(t, ctx, c, db, kind, sql) }
	exec("catalog", "catalog", site(siteA)+site(siteB)+site(siteX)+`
INSERT INTO product_activations (site_id, product) VALUES ('`+siteA+`', 'jira'), ('`+siteB+`', 'confluence'), ('`+siteB+`', 'opsgenie'), ('`+siteX+`', 'jira');
INSERT INTO placements (site_id, product, cluster, database, store, region) VALUES
 ('`+siteA+`', 'jira', 'products', 'shard_1', 'shard_1', 'eu-west'),
 ('`+siteB+`', 'confluence', 'products', 'shard_1', 'shard_1', 'eu-west'),
 ('`+siteB+`', 'opsgenie', 'products', 'shard_1', 'shard_1', 'eu-west'),
 ('`+siteX+`', 'jira', 'products', 'shard_1', 'shard_1', 'eu-west');`)
	exec("sandbox", "sandbox", "")
	var issues string
	for _, s := range []string{siteA, siteX} {
		issues += `INSERT INTO jira_projects (site_id, id, key, name, self_url) VALUES ('` + s + `', 1, 'P', 'P', 'u');
INSERT INTO jira_issues (site_id, id, project_id, key, summary, status, reporter_id, self_url, created_at, updated_at)
SELECT '` + s + `', g, 1, 'P-' || g, 's', 'open', 1, 'u', now(), now() FROM generate_series(1, 5) g;
`
	}
	exec("shard_1", "products", issues+`
INSERT INTO conf_spaces (site_id, id, key, name, self_url) VALUES ('`+siteB+`', 1, 'S', 'S', 'u');
INSERT INTO conf_pages (site_id, id, space_id, title, body, author_id, self_url, created_at, updated_at) VALUES ('`+siteB+`', 1, 1, 't', 'b', 1, 'u', now(), now());`)

	cfg := traffic.Config{
		CatalogDSN: c.DSN("catalog"), SandboxDSN: c.DSN("sandbox"), Shards: map[string]string{"shard_1": c.DSN("shard_1")},
		Exclude: []string{siteX}, Rate: 200, Duration: 20 * time.Second, MaxWrites: 120, Seed: 1,
	}
	res, err := traffic.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Writes != 120 || res.Sites != 2 {
		t.Fatalf("result %+v: want 120 writes on 2 sites", res)
	}
	// The rate is a ceiling: 120 writes at 200/s cannot take less than
	// about 0.6 s. (No tight upper bound: a loaded machine is slower.)
	if res.Elapsed < 550*time.Millisecond || res.Elapsed > 60*time.Second {
		t.Fatalf("120 writes at 200/s took %s", res.Elapsed)
	}
	t.Logf("traffic: %+v", res)

	log, err := traffic.Load(ctx, c.DSN("sandbox"))
	if err != nil {
		t.Fatal(err)
	}
	if log.Len() != 120 || len(log.Entries(siteX)) != 0 {
		t.Fatalf("log: %d entries, %d for the excluded site", log.Len(), len(log.Entries(siteX)))
	}
	// Every row now in the tables beyond the fixture is logged, and nothing
	// touched the excluded site.
	count := func(db, q string, args ...any) int {
		conn, err := c.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var n int
		if err := conn.QueryRow(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	checks := []struct {
		db, table, site string
		fixture         int
	}{
		{"shard_1", "jira_comments", siteA, 0}, {"shard_1", "conf_comments", siteB, 0}, {"shard_1", "og_alerts", siteB, 0},
		{"catalog", "users", siteA, 1}, {"catalog", "users", siteB, 1},
		{"shard_1", "jira_comments", siteX, 0}, {"catalog", "users", siteX, 1}, {"shard_1", "jira_comments", siteB, 0},
	}
	total := 0
	for _, ch := range checks {
		n := count(ch.db, `SELECT count(*) FROM `+ch.table+` WHERE site_id = $1`, ch.site)
		logged := len(log.RowIDs(ch.site, ch.table))
		if n-ch.fixture != logged {
			t.Errorf("%s of %s: %d new rows, %d logged", ch.table, ch.site, n-ch.fixture, logged)
		}
		if ch.site == siteX && n != ch.fixture {
			t.Errorf("excluded site touched: %s has %d rows", ch.table, n)
		}
		total += logged
	}
	if total != 120 {
		t.Errorf("logged rows across tables: %d, want 120", total)
	}
	// The time bound holds too: the run stops by itself, having written
	// something and no more than the rate allows (20/s for 0.3 s).
	cfg.MaxWrites, cfg.Rate, cfg.Duration = 0, 20, 300*time.Millisecond
	began := time.Now()
	res, err = traffic.Run(ctx, cfg)
	if err != nil || res.Writes < 1 || res.Writes > 7 || time.Since(began) > 30*time.Second {
		t.Fatalf("time-bounded run: %+v %v after %s", res, err, time.Since(began))
	}
	// Nothing to write to: a clear error.
	cfg.Exclude = []string{siteA, siteB, siteX}
	if _, err := traffic.Run(ctx, cfg); err == nil {
		t.Fatal("all sites excluded must be an error")
	}
}

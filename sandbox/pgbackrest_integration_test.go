//go:build integration

package sandbox

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/testpg"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pg"
	"github.com/lazarus-dr/lazarus/platform/pitr"
	"github.com/lazarus-dr/lazarus/sandbox/schema"
)

// TestSandboxWithPGBackRest: up --backups pgbackrest archives both clusters
// into pgBackRest's S3 repository over TLS; the first backup is full, the
// second incremental; platform.yaml names the stanzas and the config and
// holds no key; a clone at a point between the backups has the rows of that
// point; down stops the repository's server.
func TestSandboxWithPGBackRest(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := testpg.Dir(t, "lazarus-sandbox-pgbackrest-")
	p, err := Up(ctx, Options{StateDir: dir, NoServices: true, Shards: 1, Backups: platform.BackupsPGBackRest, Logger: zap.NewNop()})
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	t.Cleanup(func() { _ = p.Down(context.Background()) })
	repoPID := p.State().RepoGatewayPID
	if !processAlive(repoPID, "versitygw") {
		t.Fatalf("repository server pid %d does not run", repoPID)
	}
	conf := p.layout.PGBackRestConfig()
	if fi, err := os.Stat(conf); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("pgbackrest.conf: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	raw, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := repoSecret(conf)
	if !strings.Contains(string(raw), "repo1-type=s3") || !strings.Contains(string(raw), "repo1-storage-ca-file=") || secret == "" {
		t.Fatalf("pgbackrest.conf is not an S3 repository over our CA:\n%s", raw)
	}
	yml, err := os.ReadFile(p.DescriptionPath())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(yml), secret) {
		t.Fatal("platform.yaml holds the repository's secret key")
	}
	d, err := platform.Load(p.DescriptionPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range d.Clusters {
		if c.BackupKind() != platform.BackupsPGBackRest || c.PGBackRest == nil || c.PGBackRest.Stanza != c.Name || c.PGBackRest.Config != conf {
			t.Fatalf("cluster %s in platform.yaml: backups %q, pgbackrest %+v", c.Name, c.Backups, c.PGBackRest)
		}
	}

	catalog, err := p.Pool(ctx, schema.DBCatalog)
	if err != nil {
		t.Fatal(err)
	}
	mustExec := func(sql string) {
		t.Helper()
		if _, err := catalog.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	mustExec(`CREATE TABLE pgbr_probe (id int PRIMARY KEY)`)
	first, err := p.Backup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(`INSERT INTO pgbr_probe SELECT generate_series(1, 20)`)
	var at time.Time
	if err := catalog.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&at); err != nil {
		t.Fatal(err)
	}
	mustExec(`INSERT INTO pgbr_probe SELECT generate_series(21, 30)`)
	second, err := p.Backup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(first[0].Dir, "(full)") || !strings.HasSuffix(second[0].Dir, "(incr)") {
		t.Fatalf("backups %q then %q: want full then incr", first[0].Dir, second[0].Dir)
	}

	cloner := pitr.NewByKind(d, nil)
	cl, err := cloner.Clone(ctx, schema.ClusterPlatform, at)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("clone at T from %s took %.2f s", cl.Backup, cl.Seconds)
	var n int
	conn, err := pg.Open(ctx, cl.DSN(schema.DBCatalog))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pgbr_probe").Scan(&n); err != nil || n != 20 {
		t.Fatalf("the clone at T has %d rows (%v), want 20", n, err)
	}
	if err := cloner.Teardown(ctx, cl.ID); err != nil {
		t.Fatal(err)
	}
	if err := p.Down(ctx); err != nil {
		t.Fatal(err)
	}
	if processAlive(repoPID, "versitygw") {
		t.Fatalf("down left the repository server %d running", repoPID)
	}
}

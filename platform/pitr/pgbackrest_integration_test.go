//go:build integration

package pitr_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/internal/testpg"
	"github.com/lazarus-dr/lazarus/internal/tools"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pg"
	"github.com/lazarus-dr/lazarus/platform/pgbackrest"
	"github.com/lazarus-dr/lazarus/platform/pitr"
)

// pgbackrestWorld is a live cluster whose WAL goes both into a pgBackRest
// repository (posix) and a local archive folder, with a backup of each
// kind: the same cluster can then be cloned both ways.
type pgbackrestWorld struct {
	cluster *pg.Cluster
	tool    pgbackrest.Tool
	// desc says the cluster is backed up by pgBackRest; local says it is
	// backed up locally (another scratch folder, so the clone IDs do not
	// meet).
	desc, local *platform.Description
}

func newPGBackRestWorld(t *testing.T, ctx context.Context) *pgbackrestWorld {
	t.Helper()
	bin, err := pgbackrest.Find("")
	if err != nil {
		t.Fatal(err)
	}
	pgBin, err := tools.PGBin()
	if err != nil {
		t.Fatal(err)
	}
	port, err := pg.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := testpg.Dir(t, "pgbackrest")
	osUser := pg.DefaultOSUser()
	conf := filepath.Join(dir, "pgbackrest.conf")
	tool := pgbackrest.Tool{Bin: bin, Config: conf, Stanza: "products", OSUser: osUser}
	archive := filepath.Join(dir, "archive")
	cfg := pg.ClusterConfig{Name: "products", DataDir: filepath.Join(dir, "data"), Port: port,
		SocketDir: filepath.Join(dir, "sock"), PGBin: pgBin, WALSegSizeMB: 1, WALArchive: archive,
		ExtraConf: map[string]string{"archive_command": tool.ArchivePushCommand() + " && " + pg.ArchiveCommand(archive)}}
	c, err := pg.Init(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	cc := c.Config()
	rc := pgbackrest.Config{Path: filepath.Join(dir, "repo"), LogPath: filepath.Join(dir, "log"),
		LockPath: filepath.Join(dir, "lock"), SpoolPath: filepath.Join(dir, "spool"),
		Stanzas: []pgbackrest.Stanza{{Name: "products", DataDir: cc.DataDir, Port: port, SocketDir: cc.SocketDir}}}
	if err := rc.Write(conf, osUser); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tool.StanzaCreate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateDatabase(ctx, "shard1"); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if err := tool.Backup(ctx, "incr"); err != nil {
		t.Fatal(err)
	}
	t.Logf("first pgBackRest backup (full) took %s", time.Since(began).Round(time.Millisecond))
	backupDir := filepath.Join(dir, "backups")
	if err := pg.PrepareDir(backupDir, osUser, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := c.BaseBackup(ctx, filepath.Join(backupDir, "b1")); err != nil {
		t.Fatal(err)
	}
	base := platform.Cluster{Name: "products", Host: "127.0.0.1", Port: port, User: pg.Superuser, PGBin: pgBin, OSUser: osUser}
	br := base
	br.Backups, br.ScratchDir = platform.BackupsPGBackRest, filepath.Join(dir, "scratch")
	br.PGBackRest = &platform.PGBackRest{Stanza: "products", Config: conf}
	lo := base
	lo.BackupDir, lo.WALArchive, lo.ScratchDir = backupDir, archive, filepath.Join(dir, "scratch-local")
	return &pgbackrestWorld{cluster: c, tool: tool,
		desc:  &platform.Description{Name: "test", Retention: 24 * time.Hour, Clusters: []platform.Cluster{br}},
		local: &platform.Description{Name: "test", Retention: 24 * time.Hour, Clusters: []platform.Cluster{lo}}}
}

// TestPGBackRestClone: a clone of a cluster backed up by pgBackRest, made
// at T, has exactly the rows written before T; the window starts at the
// backup's end; a point before it is refused. It also times one pgBackRest
// clone against one local clone of the same cluster at the same point.
func TestPGBackRestClone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w := newPGBackRestWorld(t, ctx)
	live, err := w.cluster.Open(ctx, "shard1")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close(context.Background())
	exec := func(sql string) {
		t.Helper()
		if _, err := live.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`CREATE TABLE rows (id int PRIMARY KEY)`)
	exec(`INSERT INTO rows SELECT generate_series(1, 50)`)
	var at time.Time
	if err := live.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&at); err != nil {
		t.Fatal(err)
	}
	exec(`INSERT INTO rows SELECT generate_series(51, 80)`)

	cloner := pitr.NewByKind(w.desc, nil)
	win, err := cloner.Window(ctx, "products")
	if err != nil {
		t.Fatal(err)
	}
	if !win.Earliest.Before(at) || win.Latest.Before(at) || time.Since(win.Earliest) > time.Minute {
		t.Fatalf("window %s .. %s does not hold T %s sanely", win.Earliest, win.Latest, at)
	}
	if _, err := cloner.Clone(ctx, "products", win.Earliest.Add(-time.Second)); !pitr.IsRefused(err) {
		t.Fatalf("a clone before the oldest backup (%s): err %v, want a refusal", win.Earliest, err)
	}

	cl, err := cloner.Clone(ctx, "products", at)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pgBackRest clone took %.2f s (backup set %s)", cl.Seconds, cl.Backup)
	if n := countRows(t, ctx, cl.DSN("shard1")); n != 50 {
		t.Fatalf("the clone at T has %d rows, want 50", n)
	}
	again, err := cloner.Clone(ctx, "products", at)
	if err != nil || again.ID != cl.ID || again.Seconds != 0 {
		t.Fatalf("a second clone at T: %+v, %v; want the first reused", again, err)
	}
	if err := pitr.Identify(ctx, cl.DSN("postgres"), cl.ID); err != nil {
		t.Fatal(err)
	}

	lcl, err := pitr.NewByKind(w.local, nil).Clone(ctx, "products", at)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("clone time of the same cluster at the same point: pgBackRest %.2f s, local %.2f s", cl.Seconds, lcl.Seconds)
	if n := countRows(t, ctx, lcl.DSN("shard1")); n != 50 {
		t.Fatalf("the local clone at T has %d rows, want 50", n)
	}

	if err := cloner.Teardown(ctx, cl.ID); err != nil {
		t.Fatal(err)
	}
	if clones, err := cloner.Clones("products"); err != nil || len(clones) != 0 {
		t.Fatalf("after teardown: clones %v, %v", clones, err)
	}
	if err := pitr.NewByKind(w.local, nil).Teardown(ctx, lcl.ID); err != nil {
		t.Fatal(err)
	}
}

func countRows(t *testing.T, ctx context.Context, dsn string) int {
	t.Helper()
	conn, err := pg.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM rows").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

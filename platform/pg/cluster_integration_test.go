//go:build integration

package pg_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/internal/testpg"
	"github.com/lazarus-dr/lazarus/platform/pg"
)

func newCluster(t *testing.T, name string) *pg.Cluster {
	t.Helper()
	return testpg.Init(t, context.Background(), name, true)
}

func TestClusterLifecycleBackupAndArchive(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := newCluster(t, "life")
	if err := c.StartPicking(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatalf("second Start must be a no-op: %v", err)
	}
	if err := c.CreateDatabase(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateDatabase(ctx, "app"); err != nil {
		t.Fatalf("CreateDatabase must be idempotent: %v", err)
	}
	conn, err := c.Open(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE t (id int primary key); INSERT INTO t SELECT generate_series(1, 1000)"); err != nil {
		t.Fatal(err)
	}
	var archiveMode, addr string
	if err := conn.QueryRow(ctx, "SELECT current_setting('archive_mode'), current_setting('listen_addresses')").Scan(&archiveMode, &addr); err != nil {
		t.Fatal(err)
	}
	if archiveMode != "on" || addr != "127.0.0.1" {
		t.Fatalf("archive_mode=%s listen_addresses=%s", archiveMode, addr)
	}
	conn.Close(ctx)

	bdir := filepath.Join(t.TempDir(), "b1")
	info, err := c.BaseBackup(ctx, bdir)
	if err != nil {
		t.Fatal(err)
	}
	if info.StartWAL == "" || !info.EndTime.After(info.StartTime) || info.EndTime.Sub(info.StartTime) > time.Minute {
		t.Fatalf("backup info: %+v", info)
	}
	read, err := pg.ReadBackup(bdir)
	if err != nil {
		t.Fatal(err)
	}
	if !read.EndTime.Equal(info.EndTime) || read.StartWAL != info.StartWAL {
		t.Fatalf("ReadBackup = %+v, want %+v", read, info)
	}
	list, err := pg.ListBackups(filepath.Dir(bdir))
	if err != nil || len(list) != 1 {
		t.Fatalf("ListBackups = %v, %v", list, err)
	}
	if _, err := c.BaseBackup(ctx, bdir); err == nil {
		t.Fatal("a backup into a non-empty folder must fail")
	}

	if err := c.SwitchWALAndWaitArchived(ctx); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(c.Config().WALArchive, "0000000*"))
	if len(segs) == 0 {
		t.Fatal("no WAL segment archived")
	}
	for _, s := range segs {
		if strings.HasSuffix(s, ".tmp") {
			t.Fatalf("leftover temp file in archive: %s", s)
		}
	}

	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("second Stop must be a no-op: %v", err)
	}
	if r, _ := c.Running(ctx); r {
		t.Fatal("running after Stop")
	}
	// Init again on the existing data dir resumes (settings rewritten only).
	again, err := pg.Init(ctx, c.Config())
	if err != nil {
		t.Fatal(err)
	}
	if err := again.StartPicking(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err = again.Open(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 1000 {
		t.Fatalf("rows after restart = %d, %v", n, err)
	}
}

func TestInitRejectsBadConfig(t *testing.T) {
	_, err := pg.Init(context.Background(), pg.ClusterConfig{Name: "bad", Port: -1, WALSegSizeMB: 3})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"data dir is empty", "port -1", "socket dir", "PGBin", "power of two"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// A restore's session ends a statement and a lock wait that pass their
// limits with an error, on the server's side.
func TestSessionLimits(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := newCluster(t, "limits")
	if err := c.StartPicking(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := pg.OpenForRestore(ctx, c.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var st, lt string
	if err := conn.QueryRow(ctx, "SELECT current_setting('statement_timeout'), current_setting('lock_timeout')").Scan(&st, &lt); err != nil {
		t.Fatal(err)
	}
	if st != "10min" || lt != "1min" {
		t.Errorf("statement_timeout %s lock_timeout %s, want 10min and 1min", st, lt)
	}
	short, err := pg.OpenWithLimits(ctx, c.DSN("postgres"), pg.Limits{Statement: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer short.Close(ctx)
	began := time.Now()
	_, err = short.Exec(ctx, "SELECT pg_sleep(60)")
	if err == nil || !strings.Contains(err.Error(), "statement timeout") {
		t.Fatalf("a 60s statement under a 300ms limit: %v", err)
	}
	if took := time.Since(began); took > 30*time.Second {
		t.Errorf("the statement ended after %s", took)
	}
}

// Package testpg sets up throw-away PostgreSQL clusters and folders for
// integration tests: a cluster on a free loopback port in the test's temp
// folder, stopped when the test ends, and databases made from the
// sandbox's schema.
//
// It is for tests only and must never be imported by production code.
package testpg

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lazarus-dr/lazarus/internal/tools"
	"github.com/lazarus-dr/lazarus/platform/pg"
	"github.com/lazarus-dr/lazarus/sandbox/schema"
)

// Dir makes a folder the postgres OS user can traverse (t.TempDir()'s
// parents are 0700), removed when the test ends. prefix names it.
func Dir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// Init makes (but does not start) a cluster called name with 1 MB WAL
// segments on a free port, and stops it when the test ends. With archive
// its WAL is archived into a folder beside the data. It fails the test when
// PostgreSQL is missing.
func Init(t testing.TB, ctx context.Context, name string, archive bool, opts ...func(*pg.ClusterConfig)) *pg.Cluster {
	t.Helper()
	bin, err := tools.PGBin()
	if err != nil {
		t.Fatalf("PostgreSQL is required: %v", err)
	}
	port, err := pg.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := pg.ClusterConfig{Name: name, DataDir: filepath.Join(dir, "data"), Port: port,
		SocketDir: filepath.Join(dir, "sock"), PGBin: bin, WALSegSizeMB: 1}
	if archive {
		cfg.WALArchive = filepath.Join(dir, "archive")
	}
	for _, o := range opts {
		o(&cfg)
	}
	c, err := pg.Init(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	return c
}

// Start is Init, then starts the cluster.
func Start(t testing.TB, ctx context.Context, name string, archive bool) *pg.Cluster {
	t.Helper()
	c := Init(t, ctx, name, archive)
	if err := c.StartPicking(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

// CreateDB creates database db in c and runs the sandbox schema of kind
// (see schema.SQL), then fixture, in it.
func CreateDB(t testing.TB, ctx context.Context, c *pg.Cluster, db, kind, fixture string) {
	t.Helper()
	if err := c.CreateDatabase(ctx, db); err != nil {
		t.Fatal(err)
	}
	ddl, err := schema.SQL(kind)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := c.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, ddl+fixture); err != nil {
		t.Fatalf("database %s: %v", db, err)
	}
}

// PostmasterPID is the PID of the server that runs (or last ran) on
// dataDir, read from its postmaster.pid.
func PostmasterPID(dataDir string) (int, error) {
	raw, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(strings.SplitN(string(raw), "\n", 2)[0]))
}

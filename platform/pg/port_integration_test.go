//go:build integration

package pg_test

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/internal/tools"
	"github.com/lazarus-dr/lazarus/platform/pg"
)

// A cluster whose port another process took after the pick (the CI failure
// of TestServicesOnASeededFleet: "could not bind ... Address already in
// use") fails Start with PortTaken, and StartPicking starts it on another
// free port.
func TestStartPickingMovesOffATakenPort(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	thief, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer thief.Close()
	taken := thief.Addr().(*net.TCPAddr).Port
	bin, err := tools.PGBin()
	if err != nil {
		t.Fatalf("PostgreSQL is required: %v", err)
	}
	dir := t.TempDir()
	c, err := pg.Init(ctx, pg.ClusterConfig{Name: "taken", DataDir: filepath.Join(dir, "data"), Port: taken,
		SocketDir: filepath.Join(dir, "sock"), PGBin: bin, WALSegSizeMB: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	if err := c.Start(ctx); !pg.PortTaken(err) {
		t.Fatalf("Start on a taken port %d: want PortTaken, got %v", taken, err)
	}
	if err := c.StartPicking(ctx); err != nil {
		t.Fatalf("StartPicking: %v", err)
	}
	if c.Port() == taken {
		t.Fatalf("the cluster still names the taken port %d", taken)
	}
	conn, err := c.Open(ctx, "postgres")
	if err != nil {
		t.Fatalf("open on the new port %d: %v", c.Port(), err)
	}
	conn.Close(ctx)
}

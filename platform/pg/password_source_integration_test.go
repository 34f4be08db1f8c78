//go:build integration

package pg_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/internal/testpg"
	"github.com/lazarus-dr/lazarus/platform/pg"
)

// tokenSource gives pw for one host, as an RDS IAM token source would, and
// counts how often it is asked.
type tokenSource struct {
	host  string
	pw    string
	asked atomic.Int32
}

func (s *tokenSource) Password(_ context.Context, host string, _ int, _ string) (string, bool, error) {
	s.asked.Add(1)
	if host != s.host {
		return "", false, nil
	}
	return s.pw, true, nil
}

// A cluster that requires a password over TCP: with no password anywhere
// the connection fails as ErrAuth; with a PasswordSource that knows the
// server, Open and a pool connect with a DSN that holds no password (the
// password is made at connect time, never stored); a source that does not
// know the server leaves the connection to libpq's sources.
func TestPasswordSourceAtConnectTime(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t.Setenv("HOME", t.TempDir())
	t.Setenv("PGPASSFILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("PGPASSWORD", "")
	const secret = "token-3f9a1c"
	c := passwordCluster(ctx, t, secret)
	dsn := pg.DSN("127.0.0.1", c.Port(), pg.Superuser, "postgres")
	if strings.Contains(dsn, secret) {
		t.Fatalf("DSN %q holds the password", dsn)
	}

	if conn, err := pg.Open(ctx, dsn); err == nil || !errors.Is(err, pg.ErrAuth) {
		if conn != nil {
			conn.Close(ctx)
		}
		t.Fatalf("no password: %v, want ErrAuth", err)
	}

	src := &tokenSource{host: "127.0.0.1", pw: secret}
	pg.SetPasswordSource(src)
	t.Cleanup(func() { pg.SetPasswordSource(nil) })
	conn, err := pg.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("with the source: %v", err)
	}
	conn.Close(ctx)
	pools := pg.NewPools(pg.Limits{}, 2)
	defer pools.Close()
	pc, err := pools.Acquire(ctx, dsn)
	if err != nil {
		t.Fatalf("pool with the source: %v", err)
	}
	pc.Release()
	if n := src.asked.Load(); n < 2 {
		t.Errorf("the source was asked %d times, want once per connection (2)", n)
	}

	pg.SetPasswordSource(&tokenSource{host: "10.0.0.1", pw: secret})
	if conn, err := pg.Open(ctx, dsn); err == nil || !errors.Is(err, pg.ErrAuth) {
		if conn != nil {
			conn.Close(ctx)
		}
		t.Errorf("a source for another host: %v, want ErrAuth", err)
	}
}

// passwordCluster starts a cluster whose TCP connections need scram-sha-256
// and gives its superuser pw over the (trusted) Unix socket.
func passwordCluster(ctx context.Context, t *testing.T, pw string) *pg.Cluster {
	t.Helper()
	c := testpg.Init(t, ctx, "pw", false, func(cfg *pg.ClusterConfig) { cfg.HostAuth = pg.AuthSCRAM })
	if err := c.StartPicking(ctx); err != nil {
		t.Fatal(err)
	}
	admin, err := pg.Open(ctx, pg.DSN(c.Config().SocketDir, c.Port(), pg.Superuser, "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "ALTER USER "+pg.Superuser+" PASSWORD '"+pw+"'"); err != nil {
		t.Fatal(err)
	}
	return c
}

//go:build integration

package pg_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lazarus-dr/lazarus/internal/testpg"
	"github.com/lazarus-dr/lazarus/platform/pg"
)

// Pools on a real cluster: a released connection is reused with its session
// limits, one released inside a transaction is not, each DSN has its own
// pool, a pool never exceeds its bound, and Close ends every backend. The
// subtests share one cluster; each uses its own database, so that what
// pg_stat_activity shows of it is that subtest's pool alone. Each closes
// its Pools with a t.Cleanup registered before those that release its
// connections (see acquire): cleanups run last-registered first, so a
// subtest that fails while holding connections releases them before Close,
// which would otherwise wait for them forever.
func TestPools(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := testpg.Start(t, ctx, "pools", false)
	// The observer sits in database postgres, which no pool below uses.
	obs, err := c.Open(ctx, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	defer obs.Close(context.Background())

	t.Run("ReuseWithLimits", func(t *testing.T) {
		dsn := poolsDB(t, ctx, c, "reuse")
		p := pg.NewPools(pg.RestoreLimits, 0)
		t.Cleanup(p.Close)
		var pids [2]int32
		for i := range pids {
			conn := acquire(t, ctx, p, dsn)
			pids[i] = backendPID(t, ctx, conn)
			for _, s := range []struct{ name, want string }{
				{"statement_timeout", "10min"},
				{"lock_timeout", "1min"},
				{"idle_in_transaction_session_timeout", "2min"},
			} {
				var got string
				if err := conn.QueryRow(ctx, "SHOW "+s.name).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got != s.want {
					t.Errorf("acquire %d: %s = %q, want %q (RestoreLimits)", i+1, s.name, got, s.want)
				}
			}
			conn.Release()
		}
		if pids[0] != pids[1] {
			t.Errorf("two sequential Acquire/Release got backends %d and %d, want the same (reused)", pids[0], pids[1])
		}
		if n := backendsOf(t, ctx, obs, "reuse"); n != 1 {
			t.Errorf("%d backends on database reuse, want the pool's 1", n)
		}
	})

	t.Run("ReleasedInTransactionIsDestroyed", func(t *testing.T) {
		dsn := poolsDB(t, ctx, c, "intx")
		p := pg.NewPools(pg.RestoreLimits, 0)
		t.Cleanup(p.Close)
		conn := acquire(t, ctx, p, dsn)
		pid1 := backendPID(t, ctx, conn)
		if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "SELECT pg_current_xact_id()"); err != nil {
			t.Fatal(err)
		}
		// The check below does see such a session, before the release.
		if n := idleInTransaction(t, ctx, obs); n != 1 {
			t.Fatalf("before the release: %d sessions idle in transaction, want 1", n)
		}
		conn.Release()

		conn = acquire(t, ctx, p, dsn)
		pid2 := backendPID(t, ctx, conn)
		if pid2 == pid1 {
			t.Errorf("the connection released inside a transaction was reused (backend %d)", pid1)
		}
		if st := conn.Conn().PgConn().TxStatus(); st != 'I' {
			t.Errorf("the next connection's transaction status is %q, want idle ('I')", st)
		}
		conn.Release()

		poll(t, ctx, 5*time.Second, func() (bool, string) {
			var gone bool
			if err := obs.QueryRow(ctx, "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)", pid1).Scan(&gone); err != nil {
				t.Fatal(err)
			}
			n := idleInTransaction(t, ctx, obs)
			return gone && n == 0, fmt.Sprintf("backend %d gone: %v; sessions idle in transaction: %d", pid1, gone, n)
		})
	})

	t.Run("PoolPerDSN", func(t *testing.T) {
		dsnA := poolsDB(t, ctx, c, "dsn_a")
		dsnB := poolsDB(t, ctx, c, "dsn_b")
		// One connection per DSN: holding A's must not keep B from
		// connecting, which it would if both DSNs shared one pool.
		p := pg.NewPools(pg.RestoreLimits, 1)
		t.Cleanup(p.Close)
		a := acquire(t, ctx, p, dsnA)
		bctx, bcancel := context.WithTimeout(ctx, 5*time.Second)
		b, err := p.Acquire(bctx, dsnB)
		bcancel()
		if err != nil {
			t.Fatalf("Acquire on a second DSN while the first one's only connection is held: %v", err)
		}
		t.Cleanup(b.Release)
		pidA, pidB := backendPID(t, ctx, a), backendPID(t, ctx, b)
		if pidA == pidB {
			t.Errorf("two DSNs got the same backend %d", pidA)
		}
		if db := currentDB(t, ctx, a); db != "dsn_a" {
			t.Errorf("DSN a's connection is on database %q", db)
		}
		if db := currentDB(t, ctx, b); db != "dsn_b" {
			t.Errorf("DSN b's connection is on database %q", db)
		}
		a.Release()
		b.Release()
		// Each DSN gets its own connection back.
		a, b = acquire(t, ctx, p, dsnA), acquire(t, ctx, p, dsnB)
		if got := backendPID(t, ctx, a); got != pidA {
			t.Errorf("DSN a: backend %d, want its pooled %d", got, pidA)
		}
		if got := backendPID(t, ctx, b); got != pidB {
			t.Errorf("DSN b: backend %d, want its pooled %d", got, pidB)
		}
		a.Release()
		b.Release()
	})

	t.Run("Bound", func(t *testing.T) {
		dsn := poolsDB(t, ctx, c, "bound")
		p := pg.NewPools(pg.RestoreLimits, 2)
		t.Cleanup(p.Close)
		c1, c2 := acquire(t, ctx, p, dsn), acquire(t, ctx, p, dsn)
		pid1, pid2 := backendPID(t, ctx, c1), backendPID(t, ctx, c2)
		if pid1 == pid2 {
			t.Fatalf("two connections held at once share backend %d", pid1)
		}
		tctx, tcancel := context.WithTimeout(ctx, 300*time.Millisecond)
		began := time.Now()
		c3, err := p.Acquire(tctx, dsn)
		tcancel()
		if err == nil {
			t.Cleanup(c3.Release)
			t.Fatal("a third Acquire on a pool of 2 with both held succeeded")
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("third Acquire: %v, want a deadline error", err)
		}
		if took := time.Since(began); took < 250*time.Millisecond {
			t.Errorf("third Acquire failed after %s, before its deadline", took)
		}
		if n := backendsOf(t, ctx, obs, "bound"); n != 2 {
			t.Errorf("%d backends on database bound, want the pool's maximum 2", n)
		}
		// Once one is released, the waiter's turn comes: it gets that one.
		c1.Release()
		c3 = acquire(t, ctx, p, dsn)
		if got := backendPID(t, ctx, c3); got != pid1 {
			t.Errorf("after a release, Acquire got backend %d, want the released %d", got, pid1)
		}
		c3.Release()
		c2.Release()
	})

	t.Run("CloseEndsBackends", func(t *testing.T) {
		dsnA := poolsDB(t, ctx, c, "close_a")
		dsnB := poolsDB(t, ctx, c, "close_b")
		p := pg.NewPools(pg.RestoreLimits, 0)
		t.Cleanup(p.Close)
		var held []*pgxpool.Conn
		for _, dsn := range []string{dsnA, dsnA, dsnA, dsnB, dsnB} {
			held = append(held, acquire(t, ctx, p, dsn))
		}
		for _, conn := range held {
			conn.Release()
		}
		na, nb := backendsOf(t, ctx, obs, "close_a"), backendsOf(t, ctx, obs, "close_b")
		if na != 3 || nb != 2 {
			t.Fatalf("before Close: %d backends on close_a and %d on close_b, want 3 and 2 idle in the pools", na, nb)
		}
		p.Close()
		poll(t, ctx, 5*time.Second, func() (bool, string) {
			na, nb := backendsOf(t, ctx, obs, "close_a"), backendsOf(t, ctx, obs, "close_b")
			return na == 0 && nb == 0, fmt.Sprintf("after Close: %d backends on close_a, %d on close_b", na, nb)
		})
	})
}

// poolsDB creates database name in c and returns its DSN.
func poolsDB(t *testing.T, ctx context.Context, c *pg.Cluster, name string) string {
	t.Helper()
	if err := c.CreateDatabase(ctx, name); err != nil {
		t.Fatal(err)
	}
	return c.DSN(name)
}

// acquire acquires a connection to dsn within 10s and releases it when the
// test ends, if it has not been released by then (Release is idempotent).
func acquire(t *testing.T, ctx context.Context, p *pg.Pools, dsn string) *pgxpool.Conn {
	t.Helper()
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := p.Acquire(actx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Release)
	return conn
}

func backendPID(t *testing.T, ctx context.Context, conn *pgxpool.Conn) int32 {
	t.Helper()
	var pid int32
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	return pid
}

func currentDB(t *testing.T, ctx context.Context, conn *pgxpool.Conn) string {
	t.Helper()
	var db string
	if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	return db
}

// backendsOf counts the client backends connected to database db.
func backendsOf(t *testing.T, ctx context.Context, obs *pgx.Conn, db string) int {
	t.Helper()
	var n int
	if err := obs.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = $1 AND backend_type = 'client backend'`, db).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// idleInTransaction counts the sessions of the cluster idle inside a
// transaction (aborted or not).
func idleInTransaction(t *testing.T, ctx context.Context, obs *pgx.Conn) int {
	t.Helper()
	var n int
	if err := obs.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE state LIKE 'idle in transaction%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// poll calls cond every 50ms until it holds, failing the test with cond's
// last description after timeout.
func poll(t *testing.T, ctx context.Context, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, desc := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, desc)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%v: %s", ctx.Err(), desc)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

package pg

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Pool sizes of Pools.
const (
	// DefaultMaxConnsPerDSN bounds the connections a worker holds to one
	// database: the worker runs up to a few hundred activities at once, and
	// one database of the sandbox's clusters serves about this many
	// statements at once before they queue on its two cores anyway.
	DefaultMaxConnsPerDSN = 16
	// poolIdleTime closes a pooled connection unused for this long (a
	// dropped clone's connections go with it).
	poolIdleTime = time.Minute
)

// Pools are connection pools, one per DSN, shared by every activity of a
// process. A restore reads a few hundred rows of one tenant per step; a new
// connection per step cost a backend fork, authentication and a cold
// catalog cache on the server each time (about 50 a second on the demo),
// more than the statements themselves. A connection goes back to its pool
// only when it is idle outside a transaction (pgxpool destroys it
// otherwise), so a step that died mid-transaction leaves nothing behind.
type Pools struct {
	lim      Limits
	maxConns int32
	mu       sync.Mutex
	pools    map[string]*pgxpool.Pool
}

// NewPools returns empty pools whose connections have the session limits
// lim, at most maxConns per DSN (DefaultMaxConnsPerDSN when 0).
func NewPools(lim Limits, maxConns int) *Pools {
	if maxConns <= 0 {
		maxConns = DefaultMaxConnsPerDSN
	}
	return &Pools{lim: lim, maxConns: int32(maxConns), pools: map[string]*pgxpool.Pool{}}
}

// Acquire returns a connection to dsn from its pool (made on first use),
// retrying for a short while when the server says it is starting up, like
// Open. The caller must Release it.
func (p *Pools) Acquire(ctx context.Context, dsn string) (*pgxpool.Conn, error) {
	pool, err := p.pool(dsn)
	if err != nil {
		return nil, explainConnect(dsn, err)
	}
	return whileStartingUp(ctx, dsn, func() (*pgxpool.Conn, error) { return pool.Acquire(ctx) })
}

func (p *Pools) pool(dsn string) (*pgxpool.Pool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pool, ok := p.pools[dsn]; ok {
		return pool, nil
	}
	cc, err := connConfig(dsn, p.lim)
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig("")
	if err != nil {
		return nil, err
	}
	cfg.ConnConfig = cc
	cfg.BeforeConnect = setPassword
	cfg.MaxConns = p.maxConns
	cfg.MinConns = 0
	cfg.MaxConnIdleTime = poolIdleTime
	cfg.HealthCheckPeriod = poolIdleTime / 2
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	p.pools[dsn] = pool
	return pool, nil
}

// Close closes every pool (and their connections).
func (p *Pools) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for dsn, pool := range p.pools {
		pool.Close()
		delete(p.pools, dsn)
	}
}

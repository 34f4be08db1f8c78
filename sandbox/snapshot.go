package sandbox

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// querier is what the fingerprint queries need.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// snapshot makes traffic subtraction exact while traffic runs: one
// read-only REPEATABLE READ transaction per database the truth covers, every
// snapshot taken BEFORE the traffic log is read. The traffic generator logs
// a row before committing it, so every traffic row a snapshot sees is in
// the log read afterwards; a logged row the snapshot does not see (committed
// later, or never) is subtracted nowhere, because subtraction only takes
// away rows that exist in the same snapshot as the fingerprint.
type snapshot struct {
	txs map[string]pgx.Tx
}

// openSnapshot begins the transactions (always in the same database order,
// so concurrent snapshots cannot wait on each other in a circle) and then
// reads the traffic log. Close it with close.
func (p *Platform) openSnapshot(ctx context.Context) (*snapshot, *exclusions, error) {
	s := &snapshot{txs: map[string]pgx.Tx{}}
	for _, tt := range p.truthTables() {
		if _, ok := s.txs[tt.db]; ok {
			continue
		}
		pool, err := p.Pool(ctx, tt.db)
		if err != nil {
			s.close()
			return nil, nil, err
		}
		tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			s.close()
			return nil, nil, fmt.Errorf("snapshot of %s: %w", tt.db, err)
		}
		s.txs[tt.db] = tx
		// The first statement takes the transaction's snapshot.
		if _, err := tx.Exec(ctx, `SELECT 1`); err != nil {
			s.close()
			return nil, nil, fmt.Errorf("snapshot of %s: %w", tt.db, err)
		}
	}
	ex, err := p.loadTraffic(ctx)
	if err != nil {
		s.close()
		return nil, nil, err
	}
	return s, ex, nil
}

func (s *snapshot) q(db string) (querier, error) {
	tx, ok := s.txs[db]
	if !ok {
		return nil, fmt.Errorf("database %s is not in the snapshot", db)
	}
	return tx, nil
}

func (s *snapshot) close() {
	for db, tx := range s.txs {
		_ = tx.Rollback(context.Background())
		delete(s.txs, db)
	}
}

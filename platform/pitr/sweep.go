package pitr

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/platform/pg"
)

// A batch's clones are torn down by its db.drop_clone step, on whichever
// worker host runs it. With several hosts, that host may not be the one that
// made a clone (LocalCloner only reaches its own folders), and a host that
// made a clone in place of a dead host's (activities.Engine.Reach) holds one
// that no batch step knows of. Sweep removes them: a clone that no client
// has used for a while is torn down by the host that runs it. A batch that
// needs it again makes it again (the same cluster and point, so the same
// rows): a sweep costs time, never correctness.

// DefaultIdle is how long a clone may go unread before Sweep removes it.
const DefaultIdle = 2 * time.Hour

// idleBook remembers, per clone, the last time Sweep saw it in use.
type idleBook struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// Sweep tears down this host's clones that no client (other than the sweep's
// own question) has used for idle, and returns their IDs. Use is
// pg_stat_activity's: a session running a query now, or the end of the last
// query of an idle session (pooled connections stay open); a clone never
// seen in use counts from when it was ready.
func (l *LocalCloner) Sweep(ctx context.Context, idle time.Duration) ([]string, error) {
	now := l.now().UTC()
	var removed []string
	names := make([]string, 0, len(l.clusters))
	for name := range l.clusters {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, err := l.cluster(name); err != nil {
			continue // not clonable here: no clones either
		}
		clones, err := l.Clones(name)
		if err != nil {
			return removed, fmt.Errorf("sweep clones of %s: %w", name, err)
		}
		for _, cl := range clones {
			last, active, err := lastUse(ctx, cl)
			if err != nil {
				l.Logger.Debug("sweep: clone not reachable; leaving it", zap.String("clone", cl.ID), zap.Error(err))
				continue
			}
			if active {
				last = now
			}
			last = l.idle.note(cl, last)
			if now.Sub(last) < idle {
				continue
			}
			if err := l.Teardown(ctx, cl.ID); err != nil {
				return removed, fmt.Errorf("sweep: %w", err)
			}
			l.idle.forget(cl.ID)
			l.Logger.Info("idle clone torn down", zap.String("clone", cl.ID), zap.Time("last_used", last), zap.Duration("idle", now.Sub(last)))
			removed = append(removed, cl.ID)
		}
	}
	return removed, nil
}

// note records a use and returns the latest known: last (zero when none is
// visible now), an earlier sighting, or the clone's Ready time.
func (b *idleBook) note(cl Clone, last time.Time) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.seen == nil {
		b.seen = map[string]time.Time{}
	}
	best := cl.Ready
	for _, t := range []time.Time{b.seen[cl.ID], last} {
		if t.After(best) {
			best = t
		}
	}
	b.seen[cl.ID] = best
	return best
}

func (b *idleBook) forget(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.seen, id)
}

// lastUse asks the clone when a client last used it: active when a session
// other than this one runs a query now, else the latest end of an idle
// session's last query, else zero.
func lastUse(ctx context.Context, cl Clone) (last time.Time, active bool, err error) {
	qctx, cancel := context.WithTimeout(ctx, identifyTimeout)
	defer cancel()
	conn, err := pg.Open(qctx, cl.DSN("postgres"))
	if err != nil {
		return time.Time{}, false, err
	}
	defer conn.Close(context.Background())
	var running int
	var end *time.Time
	err = conn.QueryRow(qctx, `SELECT count(*) FILTER (WHERE state <> 'idle'), max(state_change)
		FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`).Scan(&running, &end)
	if err != nil {
		return time.Time{}, false, err
	}
	if end != nil {
		last = end.UTC()
	}
	return last, running > 0, nil
}

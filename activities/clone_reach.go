package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pitr"
)

// CloneReacher is a PITR that checks a clone's DSN before a step reads it,
// and stands in a clone of its own when the one db.clone made is gone.
//
// db.clone runs once per batch on one worker host, and its DSN travels to
// every site's steps, on every host. When that host dies, so does the
// clone: a reader then makes the same clone (same cluster, same point, so
// the same rows) on its own host and reads that one. The result of the step
// is the same; only the time to make the clone is lost.
type CloneReacher interface {
	// Reach returns a DSN that reaches clone id of cluster now: dsn, when
	// the server there is that clone; else a clone of the same cluster and
	// point made (or found) on this host.
	Reach(ctx context.Context, cluster platform.Cluster, id, dsn string) (string, error)
}

// reachFresh is how long a clone's identity, once checked, is trusted
// without asking again.
const reachFresh = 30 * time.Second

// reachBook remembers, per clone ID, the DSN that reached it last and when
// it was checked.
type reachBook struct {
	mu      sync.Mutex
	checked map[string]reached
}

type reached struct {
	dsn string
	at  time.Time
}

func (b *reachBook) get(id string) (reached, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, ok := b.checked[id]
	return r, ok
}

func (b *reachBook) put(id string, r reached) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.checked == nil {
		b.checked = map[string]reached{}
	}
	b.checked[id] = r
}

// Reach implements CloneReacher.
func (e *Engine) Reach(ctx context.Context, cluster platform.Cluster, id, dsn string) (string, error) {
	now := time.Now()
	last, known := e.book.get(id)
	if known && now.Sub(last.at) < reachFresh {
		return last.dsn, nil
	}
	candidates := []string{dsn}
	if known && last.dsn != dsn {
		candidates = []string{last.dsn, dsn}
	}
	var gone error
	for _, c := range candidates {
		err := pitr.Identify(ctx, c, id)
		if err == nil {
			e.book.put(id, reached{dsn: c, at: now})
			return c, nil
		}
		if !errors.Is(err, pitr.ErrCloneGone) {
			return "", err
		}
		gone = err
	}
	name, at, err := pitr.ParseCloneID(id)
	if err != nil || name != cluster.Name {
		return "", permanent(ErrInvalidInput, "clone ID %q does not name a clone of cluster %s", id, cluster.Name)
	}
	e.logger().Warn("clone unreachable; making it on this host", zap.String("clone", id), zap.String("cluster", name), zap.NamedError("why", gone))
	began := time.Now()
	ref, err := e.Clone(ctx, cluster, at)
	if err != nil {
		return "", fmt.Errorf("clone %s is gone (%v), and making it here failed: %w", id, gone, err)
	}
	recordClone(ctx, name, time.Since(began))
	countRemade(ctx, name)
	if ref.ID != id {
		return "", fmt.Errorf("clone %s is gone, and this host's clone of %s at %s is %s", id, name, at.Format(time.RFC3339Nano), ref.ID)
	}
	e.book.put(id, reached{dsn: ref.DSN, at: time.Now()})
	return ref.DSN, nil
}

func (e *Engine) logger() *zap.Logger {
	if e.Logger == nil {
		return zap.NewNop()
	}
	return e.Logger
}

package activities

import (
	"context"
	"fmt"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pitr"
)

// CloneFinder finds a clone already made, without ever making one: what a
// reader of a batch's clones (contacts.read) needs, where PITR.Clone would
// make a missing clone again.
type CloneFinder interface {
	// FindClone returns the running clone of a cluster with this ID; false
	// when there is none (not made yet, or torn down).
	FindClone(ctx context.Context, cluster platform.Cluster, id string) (CloneRef, bool, error)
}

// cloneLister is a Cloner that can list the clones it made
// (pitr.LocalCloner does).
type cloneLister interface {
	Clones(cluster string) ([]pitr.Clone, error)
}

// FindClone implements CloneFinder when the engine's Cloner can list its
// clones.
func (e *Engine) FindClone(_ context.Context, c platform.Cluster, id string) (CloneRef, bool, error) {
	l, ok := e.Cloner.(cloneLister)
	if !ok {
		return CloneRef{}, false, permanent(ErrMissingDep, "the worker's clone adapter %T cannot list its clones", e.Cloner)
	}
	clones, err := l.Clones(c.Name)
	if err != nil {
		return CloneRef{}, false, fmt.Errorf("list clones of %s: %w", c.Name, err)
	}
	for _, cl := range clones {
		if cl.ID == id {
			return CloneRef{ID: cl.ID, Cluster: cl.Cluster, At: cl.T, DSN: cl.DSN("postgres")}, true, nil
		}
	}
	return CloneRef{}, false, nil
}

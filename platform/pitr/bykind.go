package pitr

import (
	"context"
	"fmt"
	"sort"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/platform"
)

// ByKind is the Cloner of a whole platform: it routes each cluster to the
// cloner of its backup kind (platform.Cluster.BackupKind): LocalCloner for
// local base backups, PGBackRestCloner for pgBackRest, and the RDS cloner
// for RDS/Aurora once set (Set). Clone IDs name their cluster, so Teardown
// routes as Clone does.
type ByKind struct {
	kinds   map[string]string // cluster -> backup kind
	cloners map[string]Cloner // backup kind -> cloner
}

// NewByKind returns the cloner of every cluster of the description, with
// the local and pgBackRest cloners set.
func NewByKind(desc *platform.Description, logger *zap.Logger) *ByKind {
	b := &ByKind{kinds: map[string]string{}, cloners: map[string]Cloner{}}
	for _, c := range desc.Clusters {
		b.kinds[c.Name] = c.BackupKind()
	}
	b.Set(platform.BackupsLocal, NewLocalCloner(desc, logger))
	b.Set(platform.BackupsPGBackRest, NewPGBackRestCloner(desc, logger))
	// platform.BackupsRDS: its cloner loads the AWS configuration, so it is
	// set only where a cluster needs it (ForPlatform).
	return b
}

// Set makes c the cloner of the clusters whose backups are of kind.
func (b *ByKind) Set(kind string, c Cloner) { b.cloners[kind] = c }

// Cloner returns the cloner of a backup kind (nil when none is set).
func (b *ByKind) Cloner(kind string) Cloner { return b.cloners[kind] }

// SetAddress sets the address the local clones (local and pgBackRest)
// listen on besides 127.0.0.1 (LocalCloner.Address).
func (b *ByKind) SetAddress(addr string) {
	for _, c := range b.cloners {
		switch l := c.(type) {
		case *LocalCloner:
			l.Address = addr
		case *PGBackRestCloner:
			l.Address = addr
		}
	}
}

// of returns the cloner of a cluster.
func (b *ByKind) of(cluster string) (Cloner, error) {
	kind, ok := b.kinds[cluster]
	if !ok {
		return nil, refuse("cluster %q is not in the platform description", cluster)
	}
	c := b.cloners[kind]
	if c == nil {
		return nil, refuse("cluster %q is backed up by %s, and this worker has no cloner for %s", cluster, kind, kind)
	}
	return c, nil
}

// Clone routes to the cluster's cloner.
func (b *ByKind) Clone(ctx context.Context, cluster string, t time.Time) (Clone, error) {
	c, err := b.of(cluster)
	if err != nil {
		return Clone{}, err
	}
	return c.Clone(ctx, cluster, t)
}

// Teardown routes by the cluster the clone ID names.
func (b *ByKind) Teardown(ctx context.Context, id string) error {
	cluster, _, err := ParseCloneID(id)
	if err != nil {
		return refuse("teardown: %v", err)
	}
	c, err := b.of(cluster)
	if err != nil {
		return err
	}
	return c.Teardown(ctx, id)
}

// Window routes to the cluster's cloner.
func (b *ByKind) Window(ctx context.Context, cluster string) (Window, error) {
	c, err := b.of(cluster)
	if err != nil {
		return Window{}, err
	}
	return c.Window(ctx, cluster)
}

// Clones lists the clones of a cluster made on this host, when its cloner
// can list them.
func (b *ByKind) Clones(cluster string) ([]Clone, error) {
	c, err := b.of(cluster)
	if err != nil {
		return nil, err
	}
	l, ok := c.(interface {
		Clones(cluster string) ([]Clone, error)
	})
	if !ok {
		return nil, fmt.Errorf("clones of %s: the cloner %T cannot list its clones", cluster, c)
	}
	return l.Clones(cluster)
}

// Sweeper tears down a host's idle clones (LocalCloner.Sweep).
type Sweeper interface {
	Sweep(ctx context.Context, idle time.Duration) ([]string, error)
}

// Sweep sweeps with every cloner that can, kind by kind.
func (b *ByKind) Sweep(ctx context.Context, idle time.Duration) ([]string, error) {
	kinds := make([]string, 0, len(b.cloners))
	for k := range b.cloners {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var removed []string
	for _, k := range kinds {
		s, ok := b.cloners[k].(Sweeper)
		if !ok {
			continue
		}
		ids, err := s.Sweep(ctx, idle)
		removed = append(removed, ids...)
		if err != nil {
			return removed, err
		}
	}
	return removed, nil
}

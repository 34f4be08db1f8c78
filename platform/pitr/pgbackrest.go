package pitr

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pg"
	"github.com/lazarus-dr/lazarus/platform/pgbackrest"
)

// PGBackRestCloner clones the clusters backed up by pgBackRest
// (platform.BackupsPGBackRest): a clone is `pgbackrest restore --type=time
// --target=T --target-action=pause` of the latest backup set that ended
// before T into ScratchDir/<clone ID>/data, recovered with pgBackRest's
// archive-get. Everything else (deterministic IDs, reuse of a clone on
// disk, the port, the wait until paused at T, Teardown, Clones, Sweep) is
// LocalCloner's.
type PGBackRestCloner struct {
	*LocalCloner
}

// NewPGBackRestCloner returns a cloner for the description's pgBackRest
// clusters; any other cluster is refused.
func NewPGBackRestCloner(desc *platform.Description, logger *zap.Logger) *PGBackRestCloner {
	l := NewLocalCloner(desc, logger)
	l.source = pgbackrestSource{}
	return &PGBackRestCloner{LocalCloner: l}
}

// pgbackrestSource is a stanza of a pgBackRest repository.
type pgbackrestSource struct{}

// tool is the cluster's pgBackRest stanza (problems said it is there).
func (pgbackrestSource) tool(c platform.Cluster) (pgbackrest.Tool, error) {
	bin, err := pgbackrest.Find(c.PGBackRest.Bin)
	if err != nil {
		return pgbackrest.Tool{}, refuse("cluster %s: %v", c.Name, err)
	}
	return pgbackrest.Tool{Bin: bin, Config: c.PGBackRest.Config, Stanza: c.PGBackRest.Stanza, OSUser: c.OSUser}, nil
}

func (pgbackrestSource) problems(c platform.Cluster) []string {
	var out []string
	if k := c.BackupKind(); k != platform.BackupsPGBackRest {
		out = append(out, fmt.Sprintf("its backups are %s, not %s", k, platform.BackupsPGBackRest))
	}
	switch {
	case c.PGBackRest == nil:
		out = append(out, "the pgbackrest section (stanza, config) is missing")
	case c.PGBackRest.Stanza == "":
		out = append(out, "pgbackrest.stanza is empty")
	case c.PGBackRest.Config == "":
		out = append(out, "pgbackrest.config is empty")
	}
	return out
}

func (pgbackrestSource) where(c platform.Cluster) string {
	return fmt.Sprintf("pgBackRest stanza %s (%s)", c.PGBackRest.Stanza, c.PGBackRest.Config)
}

func (s pgbackrestSource) backups(ctx context.Context, c platform.Cluster) ([]backup, error) {
	t, err := s.tool(c)
	if err != nil {
		return nil, err
	}
	info, err := t.Info(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]backup, len(info.Backups))
	for i, b := range info.Backups {
		out[i] = backup{name: b.Label, end: b.Restorable}
	}
	return out, nil
}

func (s pgbackrestSource) restore(ctx context.Context, c platform.Cluster, b backup, at time.Time, data string) error {
	t, err := s.tool(c)
	if err != nil {
		return err
	}
	if err := pg.PrepareDir(data, c.OSUser, 0o700); err != nil {
		return err
	}
	if err := t.Restore(ctx, data, b.name, FormatTarget(at)); err != nil {
		return fmt.Errorf("restore backup set %s: %w", b.name, err)
	}
	return nil
}

func (s pgbackrestSource) restoreCommand(c platform.Cluster, data string) string {
	t, err := s.tool(c)
	if err != nil {
		return "false" // restore already refused: never reached
	}
	return t.ArchiveGetCommand(data)
}

package pitr

import (
	"context"
	"fmt"
	"time"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pg"
)

// cloneSource is where a clone's data folder and WAL come from. The clone's
// life in the scratch folder (lock, start, wait until paused at T, reuse,
// teardown, sweep) is the same whatever the source: LocalCloner's.
type cloneSource interface {
	// problems lists what the cluster's description lacks for this source.
	problems(c platform.Cluster) []string
	// where names the backups' place, for messages.
	where(c platform.Cluster) string
	// backups lists the cluster's backups, oldest end first.
	backups(ctx context.Context, c platform.Cluster) ([]backup, error)
	// restore fills data (a folder that does not exist yet) from backup b,
	// to be recovered to t.
	restore(ctx context.Context, c platform.Cluster, b backup, t time.Time, data string) error
	// restoreCommand is the clone's restore_command.
	restoreCommand(c platform.Cluster, data string) string
}

// backup is one base backup a clone can start from.
type backup struct {
	// name is the backup's folder (local) or label (pgBackRest).
	name string
	// end is the earliest point a recovery from it can stop at.
	end time.Time
}

// localSource is the base backups in BackupDir (pg.BaseBackup's folders)
// and the WAL archive folder (pg.ArchiveCommand's).
type localSource struct{}

func (localSource) problems(c platform.Cluster) []string {
	var out []string
	if k := c.BackupKind(); k != platform.BackupsLocal {
		out = append(out, fmt.Sprintf("its backups are %s, not %s", k, platform.BackupsLocal))
	}
	if c.BackupDir == "" {
		out = append(out, "backup_dir is empty")
	}
	if c.WALArchive == "" {
		out = append(out, "wal_archive is empty")
	}
	return out
}

func (localSource) where(c platform.Cluster) string { return c.BackupDir }

func (localSource) backups(_ context.Context, c platform.Cluster) ([]backup, error) {
	infos, err := pg.ListBackups(c.BackupDir)
	if err != nil {
		return nil, err
	}
	out := make([]backup, len(infos))
	for i, b := range infos {
		out[i] = backup{name: b.Dir, end: b.EndTime}
	}
	return out, nil
}

// restore copies the backup's folder (a reflink where the file system can).
func (localSource) restore(ctx context.Context, c platform.Cluster, b backup, _ time.Time, data string) error {
	if out, err := pg.AsUser(ctx, c.OSUser, "cp", "-a", "--reflink=auto", b.name, data).CombinedOutput(); err != nil {
		return fmt.Errorf("copy base backup %s: %w: %s", b.name, err, out)
	}
	return nil
}

func (localSource) restoreCommand(c platform.Cluster, _ string) string {
	return pg.RestoreCommand(c.WALArchive)
}

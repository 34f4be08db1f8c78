package sandbox

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/platform/pg"
)

// Backup takes a base backup of both clusters into their BackupDir (one
// folder per backup, named by time), then forces a WAL switch and waits for
// the archiver, so that any point from the backup's end on is restorable.
func (p *Platform) Backup(ctx context.Context) ([]pg.BackupInfo, error) {
	if p.pgbackrestOn() {
		return p.backupPGBackRest(ctx)
	}
	var out []pg.BackupInfo
	for _, name := range clusterNames() {
		c := p.clusters[name]
		start := time.Now()
		dir := filepath.Join(p.layout.BackupDir(name), time.Now().UTC().Format("20060102T150405.000Z"))
		info, err := c.BaseBackup(ctx, dir)
		if err != nil {
			return out, fmt.Errorf("backup: %w", err)
		}
		if err := c.SwitchWALAndWaitArchived(ctx); err != nil {
			return out, fmt.Errorf("backup: %w", err)
		}
		p.log.Info("base backup", zap.String("cluster", name), zap.String("dir", dir), zap.Duration("took", time.Since(start)))
		out = append(out, info)
	}
	return out, nil
}

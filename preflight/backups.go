package preflight

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pg"
)

// OldestBackup is the oldest base backup of one cluster: a recovery from it
// cannot stop before its end, so no restore point before RestorableFrom
// can be restored on that cluster.
type OldestBackup struct {
	Cluster string `json:"cluster"`
	// Backup names the backup (its folder's name); empty when the cluster
	// has no base backup at all.
	Backup string `json:"backup,omitempty"`
	// Folder is the cluster's backup folder.
	Folder string `json:"folder"`
	// RestorableFrom is the backup's end: the earliest restorable point.
	RestorableFrom time.Time `json:"restorable_from"`
}

// OldestBackups reads the oldest base backup of each named cluster of the
// description (every cluster when names is empty) from its backup folder,
// the way the clones will (pg.ListBackups: backup.json checked against
// backup_label). Clusters without a backup folder are skipped. A folder
// that cannot be read is an *Unavailable naming the cluster and folder.
func OldestBackups(desc *platform.Description, names ...string) ([]OldestBackup, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []OldestBackup
	for _, c := range desc.Clusters {
		if (len(want) > 0 && !want[c.Name]) || c.BackupDir == "" {
			continue
		}
		backups, err := pg.ListBackups(c.BackupDir)
		if err != nil {
			return nil, &Unavailable{Err: err, Line: fmt.Sprintf(
				"preflight: cannot read the base backups of cluster %s in %s (%v); nothing was started", c.Name, c.BackupDir, rootCause(err))}
		}
		ob := OldestBackup{Cluster: c.Name, Folder: c.BackupDir}
		if len(backups) > 0 {
			ob.Backup = filepath.Base(backups[0].Dir)
			ob.RestorableFrom = backups[0].EndTime.UTC()
		}
		out = append(out, ob)
	}
	return out, nil
}

// rootCause is the innermost error of a chain of wrapped errors.
func rootCause(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}

// binding is the backup a restore point falls before, if any: of those it
// falls before, the one restorable from the latest time (the one a later
// point would have to clear last).
func binding(backups []OldestBackup, point time.Time) (OldestBackup, bool) {
	var worst OldestBackup
	found := false
	for _, b := range backups {
		if b.Backup == "" || !point.Before(b.RestorableFrom) {
			continue
		}
		if !found || b.RestorableFrom.After(worst.RestorableFrom) {
			worst, found = b, true
		}
	}
	return worst, found
}

// ceilSecond is t rounded up to the whole second, so that "restorable from"
// a time printed in seconds is true of that time.
func ceilSecond(t time.Time) time.Time {
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}

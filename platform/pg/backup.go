package pg

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// BackupInfoFile is the file BaseBackup writes into each backup folder.
const BackupInfoFile = "backup.json"

// BackupInfo describes one base backup (backup.json).
type BackupInfo struct {
	// Dir is the backup's folder (not stored; set when read).
	Dir     string `json:"-"`
	Cluster string `json:"cluster"`
	// Label is the backup's label (backup_label's LABEL).
	Label string `json:"label"`
	// StartTime is when the backup began (backup_label's START TIME, which
	// has whole seconds; the more precise clock reading is used when known).
	StartTime time.Time `json:"start_time"`
	// EndTime is the earliest point a recovery from this backup can stop at:
	// a clock reading taken after the backup ended (its end WAL record was
	// written before). A recovery target before it must be refused.
	EndTime time.Time `json:"end_time"`
	// StartWAL is the first WAL segment the backup needs.
	StartWAL string `json:"start_wal"`
	StartLSN string `json:"start_lsn"`
	EndLSN   string `json:"end_lsn,omitempty"`
	Timeline int    `json:"timeline"`
}

// BaseBackup takes a plain-format base backup into dir (which must be empty
// or missing) with pg_basebackup -X stream, so that the backup holds the WAL
// of its own span and recovers with the archive holding everything after.
// It writes backup.json into dir and returns it.
func (c *Cluster) BaseBackup(ctx context.Context, dir string) (BackupInfo, error) {
	fail := func(err error) (BackupInfo, error) {
		return BackupInfo{}, fmt.Errorf("base backup of %s into %s: %w", c.cfg.Name, dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fail(err)
	}
	dir = abs
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fail(fmt.Errorf("folder is not empty"))
	}
	if err := PrepareDir(dir, c.cfg.OSUser, 0o700); err != nil {
		return fail(err)
	}
	conn, err := c.Open(ctx, "postgres")
	if err != nil {
		return fail(err)
	}
	defer conn.Close(context.Background())
	var start time.Time
	if err := conn.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&start); err != nil {
		return fail(err)
	}
	label := fmt.Sprintf("lazarus %s %s", c.cfg.Name, start.UTC().Format(time.RFC3339Nano))
	args := []string{"-D", dir, "-Fp", "-X", "stream", "-c", "fast", "-h", "127.0.0.1",
		"-p", strconv.Itoa(c.cfg.Port), "-U", Superuser, "-l", label}
	if !c.cfg.Fsync {
		args = append(args, "--no-sync")
	}
	if _, err := run(Command(ctx, c.cfg.PGBin, c.cfg.OSUser, "pg_basebackup", args...)); err != nil {
		return fail(err)
	}
	var end time.Time
	if err := conn.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&end); err != nil {
		return fail(err)
	}
	info, err := parseBackupLabel(filepath.Join(dir, "backup_label"))
	if err != nil {
		return fail(err)
	}
	info.Cluster = c.cfg.Name
	info.Label = label
	if start.After(info.StartTime) || info.StartTime.Sub(start) < time.Second {
		// backup_label has whole seconds; our reading is more precise.
		info.StartTime = start.UTC()
	}
	info.EndTime = end.UTC()
	info.EndLSN = manifestEndLSN(filepath.Join(dir, "backup_manifest"))
	if err := writeBackupInfo(dir, info, c.cfg.OSUser); err != nil {
		return fail(err)
	}
	info.Dir = dir
	return info, nil
}

func writeBackupInfo(dir string, info BackupInfo, osUser string) error {
	raw, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	p := filepath.Join(dir, BackupInfoFile)
	if err := os.WriteFile(p+".tmp", raw, 0o600); err != nil {
		return err
	}
	if err := os.Rename(p+".tmp", p); err != nil {
		return err
	}
	return ChownTree(p, osUser)
}

// parseBackupLabel reads START WAL LOCATION, START TIME and START TIMELINE.
func parseBackupLabel(path string) (BackupInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("read backup_label: %w", err)
	}
	defer f.Close()
	var info BackupInfo
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		key, val, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		switch key {
		case "START WAL LOCATION":
			// 0/2000028 (file 000000010000000000000002)
			fields := strings.Fields(val)
			if len(fields) >= 3 {
				info.StartLSN = fields[0]
				info.StartWAL = strings.TrimSuffix(fields[2], ")")
			}
		case "START TIME":
			t, err := time.Parse("2006-01-02 15:04:05 MST", val)
			if err != nil {
				return info, fmt.Errorf("backup_label START TIME %q: %w", val, err)
			}
			info.StartTime = t.UTC()
		case "START TIMELINE":
			info.Timeline, _ = strconv.Atoi(val)
		}
	}
	if err := sc.Err(); err != nil {
		return info, fmt.Errorf("read backup_label: %w", err)
	}
	if info.StartWAL == "" || info.StartTime.IsZero() {
		return info, fmt.Errorf("backup_label %s: no START WAL LOCATION or START TIME", path)
	}
	return info, nil
}

// manifestEndLSN reads the last WAL range's End-LSN from backup_manifest.
func manifestEndLSN(path string) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var m struct {
		Ranges []struct {
			EndLSN string `json:"End-LSN"`
		} `json:"WAL-Ranges"`
	}
	if json.Unmarshal(raw, &m) != nil || len(m.Ranges) == 0 {
		return ""
	}
	return m.Ranges[len(m.Ranges)-1].EndLSN
}

// ReadBackup reads a backup folder's backup.json and checks it against its
// backup_label (which pg_basebackup wrote and recovery will obey).
func ReadBackup(dir string) (BackupInfo, error) {
	raw, err := os.ReadFile(filepath.Join(dir, BackupInfoFile))
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup %s: %w", dir, err)
	}
	var info BackupInfo
	if err := json.Unmarshal(raw, &info); err != nil {
		return BackupInfo{}, fmt.Errorf("backup %s: %s: %w", dir, BackupInfoFile, err)
	}
	label, err := parseBackupLabel(filepath.Join(dir, "backup_label"))
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup %s: %w", dir, err)
	}
	if label.StartWAL != info.StartWAL {
		return BackupInfo{}, fmt.Errorf("backup %s: backup.json says WAL start %s, backup_label says %s", dir, info.StartWAL, label.StartWAL)
	}
	if info.EndTime.IsZero() || info.EndTime.Before(label.StartTime) {
		return BackupInfo{}, fmt.Errorf("backup %s: end time %s is before backup_label's start %s", dir, info.EndTime, label.StartTime)
	}
	info.Dir = dir
	return info, nil
}

// ListBackups reads every backup in backupDir (one folder each, with a
// backup.json), oldest end first. Folders without backup.json (a backup in
// progress or a failed one) are skipped.
func ListBackups(backupDir string) ([]BackupInfo, error) {
	entries, err := os.ReadDir(backupDir)
	if err != nil {
		return nil, fmt.Errorf("list backups in %s: %w", backupDir, err)
	}
	var out []BackupInfo
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(backupDir, e.Name())
		if _, err := os.Stat(filepath.Join(dir, BackupInfoFile)); errors.Is(err, os.ErrNotExist) {
			continue
		}
		info, err := ReadBackup(dir)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].EndTime.Before(out[j].EndTime) })
	return out, nil
}

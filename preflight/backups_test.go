package preflight

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pg"
)

// writeBackup writes a base backup folder as pg.BaseBackup leaves it:
// backup_label and backup.json.
func writeBackup(t *testing.T, dir, name string, start, end time.Time) {
	t.Helper()
	d := filepath.Join(dir, name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	label := "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n" +
		"START TIME: " + start.UTC().Format("2006-01-02 15:04:05 MST") + "\nSTART TIMELINE: 1\n"
	if err := os.WriteFile(filepath.Join(d, "backup_label"), []byte(label), 0o644); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(pg.BackupInfo{Cluster: "c", Label: name, StartTime: start, EndTime: end, StartWAL: "000000010000000000000002", Timeline: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, pg.BackupInfoFile), raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

func backupDesc(t *testing.T) (*platform.Description, string) {
	t.Helper()
	root := t.TempDir()
	products := filepath.Join(root, "products")
	writeBackup(t, products, "20220405T070000Z", now.Add(-2*time.Hour), now.Add(-2*time.Hour+30500*time.Millisecond))
	writeBackup(t, products, "20220405T080000Z", now.Add(-time.Hour), now.Add(-time.Hour+20*time.Second))
	platformDir := filepath.Join(root, "platform")
	writeBackup(t, platformDir, "20220405T060000Z", now.Add(-3*time.Hour), now.Add(-3*time.Hour+10*time.Second))
	if err := os.MkdirAll(filepath.Join(root, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	return &platform.Description{Clusters: []platform.Cluster{
		{Name: "platform", BackupDir: platformDir},
		{Name: "products", BackupDir: products},
		{Name: "empty", BackupDir: filepath.Join(root, "empty")},
		{Name: "elsewhere"}, // no backup folder: not checked
	}}, root
}

func TestOldestBackups(t *testing.T) {
	desc, _ := backupDesc(t)
	got, err := OldestBackups(desc)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %+v", got)
	}
	if got[1].Cluster != "products" || got[1].Backup != "20220405T070000Z" || !got[1].RestorableFrom.Equal(now.Add(-2*time.Hour+30500*time.Millisecond)) {
		t.Errorf("products: %+v", got[1])
	}
	if got[2].Cluster != "empty" || got[2].Backup != "" {
		t.Errorf("empty: %+v", got[2])
	}
	only, err := OldestBackups(desc, "products")
	if err != nil || len(only) != 1 || only[0].Cluster != "products" {
		t.Errorf("products only: %+v %v", only, err)
	}
}

func TestOldestBackupsUnreadableFolder(t *testing.T) {
	desc := &platform.Description{Clusters: []platform.Cluster{{Name: "products", BackupDir: filepath.Join(t.TempDir(), "missing")}}}
	_, err := OldestBackups(desc)
	var u *Unavailable
	if !errors.As(err, &u) {
		t.Fatalf("got %v", err)
	}
	line := err.Error()
	if !strings.HasPrefix(line, "preflight: cannot read the base backups of cluster products in ") || !strings.Contains(line, "no such file or directory") ||
		!strings.HasSuffix(line, "nothing was started") || strings.Contains(line, "\n") {
		t.Errorf("line %q", line)
	}
}

// A restore point before the oldest base backup is refused, naming the
// backup and the time it is restorable from; the one just after passes.
func TestCheckRefusesRestorePointBeforeOldestBackup(t *testing.T) {
	desc, _ := backupDesc(t)
	backups, err := OldestBackups(desc, "platform", "products")
	if err != nil {
		t.Fatal(err)
	}
	d := newDir()
	// Products' oldest backup ends at 07:00:30.5 (platform's is older):
	// restorable from then, printed as 07:00:31.
	end := now.Add(-2*time.Hour + 30500*time.Millisecond)
	d.infos["early"] = platform.IDInfo{ID: "early", Kind: platform.KindSite, Status: "deleted", DeletedAt: end.Add(5*time.Minute - time.Millisecond)}
	d.infos["ok"] = platform.IDInfo{ID: "ok", Kind: platform.KindSite, Status: "deleted", DeletedAt: end.Add(5 * time.Minute)}
	q := req("early", "ok")
	q.Backups = backups
	_, err = Check(context.Background(), d, q)
	r := refused(t, err)
	if len(r.Problems) != 1 || r.Problems[0].ID != "early" || r.Problems[0].Kind != KindBeforeBackup {
		t.Fatalf("problems %+v", r.Problems)
	}
	want := "early: restore point 2022-04-05T07:00:30Z (5m0s before its deletion) is before the oldest base backup of cluster products, 20220405T070000Z, restorable from 2022-04-05T07:00:31Z"
	if got := r.Problems[0].Error(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if s := r.Summary(); s != "1 restore point before the oldest backup" {
		t.Errorf("summary %q", s)
	}
	q.IDs = []string{"ok"}
	if res, err := Check(context.Background(), d, q); err != nil || len(res.Sites) != 1 {
		t.Fatalf("a point at the backup's end: %+v %v", res, err)
	}
}

func TestCheckRefusesClusterWithoutBackup(t *testing.T) {
	desc, root := backupDesc(t)
	backups, err := OldestBackups(desc, "empty")
	if err != nil {
		t.Fatal(err)
	}
	q := req("site-deleted-1")
	q.Backups = backups
	_, err = Check(context.Background(), newDir(), q)
	r := refused(t, err)
	if len(r.Problems) != 1 || r.Problems[0].Error() != "cluster empty has no base backup in "+filepath.Join(root, "empty")+": no site can be restored from it" {
		t.Fatalf("problems %+v", r.Problems)
	}
}

func TestCeilSecond(t *testing.T) {
	at := time.Date(2022, 4, 5, 7, 0, 30, 0, time.UTC)
	if got := ceilSecond(at); !got.Equal(at) {
		t.Errorf("whole second moved: %s", got)
	}
	if got := ceilSecond(at.Add(time.Nanosecond)); !got.Equal(at.Add(time.Second)) {
		t.Errorf("got %s", got)
	}
}

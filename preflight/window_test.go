package preflight

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pitr"
)

// windowDesc is backupDesc's folders with what a LocalCloner needs, and a
// cluster of another backup kind.
func windowDesc(t *testing.T) *platform.Description {
	t.Helper()
	desc, root := backupDesc(t)
	for i := range desc.Clusters {
		c := &desc.Clusters[i]
		c.WALArchive, c.ScratchDir, c.PGBin = filepath.Join(root, "wal"), filepath.Join(root, "scratch"), "/usr/bin"
	}
	desc.Clusters = append(desc.Clusters[:3], platform.Cluster{Name: "aurora", Backups: platform.BackupsRDS})
	return desc
}

// fixedWindows answers a fixed window for the RDS cluster and the local
// cloner's for the others; fail makes it fail as an unreachable API.
type fixedWindows struct {
	local *pitr.LocalCloner
	rds   pitr.Window
	fail  error
}

func (f fixedWindows) Window(ctx context.Context, cluster string) (pitr.Window, error) {
	if cluster != "aurora" {
		return f.local.Window(ctx, cluster)
	}
	return f.rds, f.fail
}

func windows(t *testing.T, desc *platform.Description) fixedWindows {
	l := pitr.NewLocalCloner(desc, nil)
	l.Now = func() time.Time { return now }
	return fixedWindows{local: l, rds: pitr.Window{Earliest: now.Add(-90 * time.Minute), Latest: now.Add(-10 * time.Minute)}}
}

func TestRestorableWindows(t *testing.T) {
	desc := windowDesc(t)
	got, err := RestorableWindows(context.Background(), desc, windows(t, desc))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("windows %+v", got)
	}
	if p := got[1]; p.Cluster != "products" || p.Backups != "local" || !p.Earliest.Equal(now.Add(-2*time.Hour+30500*time.Millisecond)) || !p.Latest.Equal(now) {
		t.Errorf("products %+v", p)
	}
	if e := got[2]; e.Cluster != "empty" || !strings.Contains(e.None, "has no base backup") {
		t.Errorf("empty %+v", e)
	}
	if a := got[3]; a.Backups != "rds" || !a.Latest.Equal(now.Add(-10*time.Minute)) {
		t.Errorf("aurora %+v", a)
	}
	only, err := RestorableWindows(context.Background(), desc, windows(t, desc), "aurora")
	if err != nil || len(only) != 1 {
		t.Errorf("aurora only: %+v %v", only, err)
	}
}

func TestRestorableWindowsUnavailable(t *testing.T) {
	desc := windowDesc(t)
	w := windows(t, desc)
	w.fail = errors.New("rds: connection reset")
	_, err := RestorableWindows(context.Background(), desc, w, "aurora")
	var u *Unavailable
	if !errors.As(err, &u) || err.Error() != "preflight: cannot read the restorable window of cluster aurora (rds backups): rds: connection reset; nothing was started" {
		t.Errorf("got %v", err)
	}
}

// A restore point outside a cluster's window is refused, naming the
// cluster, the point and the window, whatever the backup kind; a cluster
// with no window at all is one problem; points inside pass.
func TestCheckRefusesRestorePointOutsideTheWindow(t *testing.T) {
	desc := windowDesc(t)
	all, err := RestorableWindows(context.Background(), desc, windows(t, desc), "products", "aurora")
	if err != nil {
		t.Fatal(err)
	}
	d := newDir()
	site := func(id string, deleted time.Time) {
		d.infos[id] = platform.IDInfo{ID: id, Kind: platform.KindSite, Status: "deleted", DeletedAt: deleted}
	}
	site("too-early", now.Add(-100*time.Minute)) // point 105m ago: before aurora's window (90m)
	site("too-late", now.Add(-time.Minute))      // point 6m ago: after aurora's newest (10m ago)
	site("inside", now.Add(-30*time.Minute))
	q := req("too-early", "too-late", "inside")
	q.Windows = all
	_, err = Check(context.Background(), d, q)
	r := refused(t, err)
	want := []string{
		"too-early: restore point 2022-04-05T07:15:00Z (5m0s before its deletion) is outside the restorable window of cluster aurora, 2022-04-05T07:30:00Z to 2022-04-05T08:50:00Z (rds backups)",
		"too-late: restore point 2022-04-05T08:54:00Z (5m0s before its deletion) is outside the restorable window of cluster aurora, 2022-04-05T07:30:00Z to 2022-04-05T08:50:00Z (rds backups)",
	}
	if len(r.Problems) != len(want) {
		t.Fatalf("problems %+v", r.Problems)
	}
	for i, w := range want {
		if got := r.Problems[i].Error(); got != w || r.Problems[i].Kind != KindOutsideWindow {
			t.Errorf("got  %s\nwant %s", got, w)
		}
	}
	if s := r.Summary(); s != "2 restore points outside a restorable window" {
		t.Errorf("summary %q", s)
	}
	q.IDs = []string{"inside"}
	if res, err := Check(context.Background(), d, q); err != nil || len(res.Sites) != 1 {
		t.Fatalf("a point inside every window: %+v %v", res, err)
	}
	none, err := RestorableWindows(context.Background(), desc, windows(t, desc), "empty")
	if err != nil {
		t.Fatal(err)
	}
	q.Windows = none
	_, err = Check(context.Background(), d, q)
	r = refused(t, err)
	if len(r.Problems) != 1 || !strings.HasPrefix(r.Problems[0].Error(), "cluster empty (local backups) has no restorable window: cluster empty has no base backup in ") {
		t.Errorf("problems %+v", r.Problems)
	}
}

package preflight

import (
	"context"
	"fmt"
	"time"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pitr"
)

// Windows says which points a cluster can be cloned at now: the cloner of
// the cluster's backup kind (pitr.ByKind routes to it) satisfies it.
type Windows interface {
	Window(ctx context.Context, cluster string) (pitr.Window, error)
}

// ClusterWindow is the restorable window of one cluster a restore clones,
// as its cloner says: every backup kind (local base backups, pgBackRest,
// RDS) answers the same way.
type ClusterWindow struct {
	Cluster  string    `json:"cluster"`
	Backups  string    `json:"backups"`
	Earliest time.Time `json:"earliest,omitzero"`
	Latest   time.Time `json:"latest,omitzero"`
	// None is, when the cluster has no window at all, why (no backup):
	// no site can be restored from it.
	None string `json:"none,omitempty"`
}

// RestorableWindows asks the cloner for the window of each named cluster
// of the description (every cluster when names is empty). A cluster the
// cloner refuses (no backup, not clonable) gets a window with None set; a
// cloner that cannot answer (a backup folder unreadable, the cloud API
// down) is an *Unavailable naming the cluster.
func RestorableWindows(ctx context.Context, desc *platform.Description, w Windows, names ...string) ([]ClusterWindow, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []ClusterWindow
	for _, c := range desc.Clusters {
		if len(want) > 0 && !want[c.Name] {
			continue
		}
		cw := ClusterWindow{Cluster: c.Name, Backups: c.BackupKind()}
		win, err := w.Window(ctx, c.Name)
		switch {
		case pitr.IsRefused(err):
			cw.None = err.Error()
		case err != nil:
			return nil, &Unavailable{Err: err, Line: fmt.Sprintf(
				"preflight: cannot read the restorable window of cluster %s (%s backups): %v; nothing was started", c.Name, cw.Backups, rootCause(err))}
		default:
			cw.Earliest, cw.Latest = win.Earliest.UTC(), win.Latest.UTC()
		}
		out = append(out, cw)
	}
	return out, nil
}

// outside is the window a restore point falls outside of, if any: of
// those, the one whose edge is farthest from the point.
func outside(windows []ClusterWindow, point time.Time) (ClusterWindow, bool) {
	var worst ClusterWindow
	var worstBy time.Duration
	found := false
	for _, w := range windows {
		if w.None != "" {
			continue
		}
		var by time.Duration
		switch {
		case point.Before(w.Earliest):
			by = w.Earliest.Sub(point)
		case point.After(w.Latest):
			by = point.Sub(w.Latest)
		default:
			continue
		}
		if !found || by > worstBy {
			worst, worstBy, found = w, by, true
		}
	}
	return worst, found
}

// windowText is a window for a person: "2026-01-02T10:00:00Z to
// 2026-01-03T10:00:00Z", its start rounded up to the second so that the
// start printed is restorable.
func windowText(w ClusterWindow) string {
	return ceilSecond(w.Earliest).UTC().Format(time.RFC3339) + " to " + w.Latest.UTC().Truncate(time.Second).Format(time.RFC3339)
}

package readiness

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pg"
)

// cluster checks one PostgreSQL cluster: it connects, reads its WAL
// archiving (for the kinds whose WAL Lazarus's clones replay), and asks the
// cloner for its window.
func (c *Checker) cluster(ctx context.Context, cl platform.Cluster, now func() time.Time) (ClusterReport, []string) {
	ctx, cancel := context.WithTimeout(ctx, ClusterTimeout)
	defer cancel()
	row := ClusterReport{Name: cl.Name, Backups: cl.BackupKind()}
	where := fmt.Sprintf("cluster %s (%s:%d)", cl.Name, cl.Host, cl.Port)
	var lines []string
	conn, err := pg.Open(ctx, pg.ClusterDSN(cl, "postgres"))
	if err != nil {
		c.logger().Debug("cluster connect", zap.String("cluster", cl.Name), zap.Error(err))
		lines = append(lines, fmt.Sprintf("%s: cannot connect as %s (%v)", where, userOf(cl), rootCause(err)))
	} else {
		defer conn.Close(context.WithoutCancel(ctx))
		row.Connected = true
		if cl.BackupKind() != platform.BackupsRDS {
			a, err := readArchiver(ctx, conn)
			if err != nil {
				lines = append(lines, fmt.Sprintf("%s: cannot read its WAL archiving (pg_stat_archiver: %v)", where, rootCause(err)))
			} else {
				row.Archiving = a
				lines = append(lines, c.judgeArchiving(where, a)...)
			}
		}
	}
	w, err := c.Windows.Window(ctx, cl.Name)
	if err != nil {
		lines = append(lines, fmt.Sprintf("%s: no restorable window: %v", where, err))
		return row, lines
	}
	row.Oldest, row.Newest = w.Earliest.UTC(), w.Latest.UTC()
	if a := row.Archiving; a != nil {
		// WAL not archived yet cannot be replayed by a clone; the oldest
		// point stays restorable (a base backup holds its own WAL).
		if newest := now().UTC().Add(-a.Lag); newest.Before(row.Newest) {
			row.Newest = maxTime(newest, row.Oldest)
		}
	}
	return row, lines
}

func userOf(cl platform.Cluster) string {
	if cl.User == "" {
		return "postgres"
	}
	return cl.User
}

// archiverQuery reads pg_stat_archiver with the settings and the current
// WAL file that judge it (no current file on a standby).
const archiverQuery = `
SELECT current_setting('archive_mode'),
       (SELECT setting::bigint FROM pg_settings WHERE name = 'archive_timeout'),
       (SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'),
       a.last_archived_wal, a.last_archived_time, a.failed_count, a.last_failed_wal, a.last_failed_time,
       CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END,
       now()
FROM pg_stat_archiver a`

// archiverRow is archiverQuery's row, with what it needs to judge it.
type archiverRow struct {
	Archiving
	timeout, segSize int64
	current          *string
	at               time.Time
}

// readArchiver reads the cluster's WAL archiving.
func readArchiver(ctx context.Context, conn *pgx.Conn) (*Archiving, error) {
	var r archiverRow
	var lastWAL, failedWAL *string
	var lastAt, failedAt *time.Time
	err := conn.QueryRow(ctx, archiverQuery).Scan(&r.Mode, &r.timeout, &r.segSize,
		&lastWAL, &lastAt, &r.Failed, &failedWAL, &failedAt, &r.current, &r.at)
	if err != nil {
		return nil, err
	}
	a := r.Archiving
	if lastWAL != nil {
		a.LastWAL = *lastWAL
	}
	if failedWAL != nil {
		a.FailedWAL = *failedWAL
	}
	if lastAt != nil {
		a.LastArchived = lastAt.UTC()
	}
	if failedAt != nil {
		a.LastFailed = failedAt.UTC()
	}
	if r.current != nil && a.LastWAL != "" {
		a.Pending = max(0, segmentsBetween(a.LastWAL, *r.current, r.segSize)-1)
	}
	a.Lag = lag(a, r.at.UTC(), time.Duration(r.timeout)*time.Second)
	return &a, nil
}

// lag is how old the oldest WAL not yet archived may be at now: with
// completed segments waiting, since the last success; with none, since
// the last success too, unless archive_timeout switches a written segment
// sooner (then at most archive_timeout).
func lag(a Archiving, now time.Time, timeout time.Duration) time.Duration {
	if a.LastArchived.IsZero() {
		return 0 // nothing archived ever: judged as a problem, not a lag
	}
	since := max(0, now.Sub(a.LastArchived))
	if a.Pending == 0 && timeout > 0 && since > timeout {
		return timeout
	}
	return since
}

// judgeArchiving says what is wrong with a cluster's archiving, and sets
// Current.
func (c *Checker) judgeArchiving(where string, a *Archiving) []string {
	bound := c.ArchiveBound
	if bound <= 0 {
		bound = DefaultArchiveBound
	}
	var lines []string
	switch {
	case a.Mode != "on" && a.Mode != "always":
		lines = append(lines, fmt.Sprintf("%s: archive_mode is %s: its WAL is not archived, so no point after its newest base backup can be restored", where, a.Mode))
	case a.LastArchived.IsZero() && a.Failed > 0:
		lines = append(lines, fmt.Sprintf("%s: WAL archiving has never succeeded: %d failures, the last for segment %s at %s (see archive_command's error in the server log)",
			where, a.Failed, a.FailedWAL, a.LastFailed.Format(time.RFC3339)))
	case a.LastArchived.IsZero():
		lines = append(lines, fmt.Sprintf("%s: no WAL segment has been archived yet", where))
	case a.LastFailed.After(a.LastArchived):
		lines = append(lines, fmt.Sprintf("%s: WAL archiving is failing: segment %s failed at %s (%d failures in all), the last success was %s at %s (see archive_command's error in the server log)",
			where, a.FailedWAL, a.LastFailed.Format(time.RFC3339), a.Failed, a.LastWAL, a.LastArchived.Format(time.RFC3339)))
	case a.Lag > bound:
		lines = append(lines, fmt.Sprintf("%s: WAL archiving is behind: %d completed segments wait, the last archived was %s at %s (lag %s, more than %s)",
			where, a.Pending, a.LastWAL, a.LastArchived.Format(time.RFC3339), Round(a.Lag), bound))
	}
	a.Current = len(lines) == 0
	return lines
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

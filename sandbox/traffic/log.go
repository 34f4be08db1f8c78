package traffic

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
)

// Entry is one logged write.
type Entry struct {
	At        time.Time `json:"at"`
	SiteID    string    `json:"site_id"`
	Store     string    `json:"store"`
	Table     string    `json:"table"`
	RowID     int64     `json:"row_id"`
	ObjectKey string    `json:"object_key,omitempty"`
}

// Log is the traffic log, by site.
type Log struct {
	bySite map[string][]Entry
}

// Load reads the whole traffic log from the sandbox database.
func Load(ctx context.Context, sandboxDSN string) (*Log, error) {
	conn, err := pgx.Connect(ctx, sandboxDSN)
	if err != nil {
		return nil, fmt.Errorf("traffic log: connect: %w", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT at, site_id, store, table_name, coalesce(row_id, 0), object_key FROM traffic_log ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("traffic log: read: %w", err)
	}
	defer rows.Close()
	l := &Log{bySite: map[string][]Entry{}}
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.At, &e.SiteID, &e.Store, &e.Table, &e.RowID, &e.ObjectKey); err != nil {
			return nil, fmt.Errorf("traffic log: read: %w", err)
		}
		l.bySite[e.SiteID] = append(l.bySite[e.SiteID], e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("traffic log: read: %w", err)
	}
	return l, nil
}

// Sites are the sites that received traffic, sorted.
func (l *Log) Sites() []string {
	out := make([]string, 0, len(l.bySite))
	for s := range l.bySite {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Entries are a site's logged writes, oldest first.
func (l *Log) Entries(siteID string) []Entry { return l.bySite[siteID] }

// RowIDs are the ids of the rows traffic wrote into one table of a site.
func (l *Log) RowIDs(siteID, table string) map[int64]bool {
	out := map[int64]bool{}
	for _, e := range l.bySite[siteID] {
		if e.Table == table {
			out[e.RowID] = true
		}
	}
	return out
}

// Len is the number of logged writes.
func (l *Log) Len() int {
	n := 0
	for _, es := range l.bySite {
		n += len(es)
	}
	return n
}

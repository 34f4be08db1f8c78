package readiness

import (
	"fmt"
	"time"
)

// Report is what a readiness check found: one row for each cluster, bucket
// and service, what the platform can honour, and every problem.
type Report struct {
	Platform  string          `json:"platform"`
	CheckedAt time.Time       `json:"checked_at"`
	Clusters  []ClusterReport `json:"clusters"`
	Buckets   []BucketReport  `json:"buckets"`
	Services  []ServiceReport `json:"services"`
	// RPO is the data loss a restore made now would have at worst: the
	// largest gap between now and a cluster's newest restorable point
	// (which already counts the WAL not yet archived). Zero when no
	// cluster has a window.
	RPO time.Duration `json:"rpo_ns"`
	// Retention is how far back a restore can reach now: the smallest of
	// now minus each cluster's oldest restorable point, and of now minus
	// the bucket's oldest version kept. Described is the description's.
	Retention time.Duration `json:"retention_ns"`
	Described time.Duration `json:"described_retention_ns"`
	// Problems are what makes the platform not ready, one line each
	// naming the cluster, bucket or service; Notes are what is worth
	// knowing but does not (a history younger than the retention).
	Problems []string `json:"problems"`
	Notes    []string `json:"notes,omitempty"`
}

// Ready says whether the check found no problem.
func (r *Report) Ready() bool { return len(r.Problems) == 0 }

// ClusterReport is one PostgreSQL cluster.
type ClusterReport struct {
	Name    string `json:"name"`
	Backups string `json:"backups"`
	// Connected says whether Lazarus could connect to it.
	Connected bool `json:"connected"`
	// Oldest and Newest are the restorable window: the cloner's, its
	// newest point moved back by the archive lag (WAL not yet archived
	// cannot be replayed).
	Oldest time.Time `json:"oldest_restorable,omitzero"`
	Newest time.Time `json:"newest_restorable,omitzero"`
	// Archiving is pg_stat_archiver's view, for clusters whose WAL
	// Lazarus's clones replay (local, pgbackrest); nil for RDS.
	Archiving *Archiving `json:"archiving,omitempty"`
}

// Archiving is the state of a cluster's WAL archiving.
type Archiving struct {
	Mode         string    `json:"archive_mode"`
	LastArchived time.Time `json:"last_archived_time,omitzero"`
	LastWAL      string    `json:"last_archived_wal,omitempty"`
	Failed       int64     `json:"failed_count"`
	LastFailed   time.Time `json:"last_failed_time,omitzero"`
	FailedWAL    string    `json:"last_failed_wal,omitempty"`
	// Pending is how many completed segments are not archived yet.
	Pending int64 `json:"pending_segments"`
	// Lag is how old the oldest WAL not yet archived may be.
	Lag time.Duration `json:"lag_ns"`
	// Current is true when archiving is on, its last attempt succeeded
	// and its lag is within the bound.
	Current bool `json:"current"`
}

// BucketReport is the media bucket.
type BucketReport struct {
	Bucket    string `json:"bucket"`
	Endpoint  string `json:"endpoint,omitempty"`
	Reachable bool   `json:"reachable"`
	// Versioning is S3's status: Enabled, Suspended, or "" (never on).
	Versioning string `json:"versioning"`
	// Oldest is the oldest version kept among the first Scanned; Cut
	// says the scan stopped at its bound.
	Oldest  time.Time `json:"oldest_version,omitzero"`
	Scanned int       `json:"versions_scanned"`
	Cut     bool      `json:"scan_cut,omitempty"`
}

// ServiceReport is one HTTP service or webhook.
type ServiceReport struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// Status is the HTTP status it answered (0: no answer).
	Status   int           `json:"status"`
	Answers  bool          `json:"answers"`
	Duration time.Duration `json:"duration_ns"`
}

// honour computes the RPO and the retention from the rows, and notes a
// retention shorter than the description's.
func (r *Report) honour(now time.Time) {
	first := true
	for _, c := range r.Clusters {
		if c.Newest.IsZero() {
			continue
		}
		r.RPO = max(r.RPO, now.Sub(c.Newest))
		if back := now.Sub(c.Oldest); first || back < r.Retention {
			r.Retention, first = back, false
		}
	}
	for _, b := range r.Buckets {
		if b.Oldest.IsZero() || b.Cut {
			continue // an empty bucket, or a bound scan, limits nothing known
		}
		if back := now.Sub(b.Oldest); first || back < r.Retention {
			r.Retention, first = back, false
		}
	}
	if r.RPO < 0 {
		r.RPO = 0
	}
	if !first && r.Described > 0 && r.Retention < r.Described {
		r.Notes = append(r.Notes, fmt.Sprintf(
			"retention: restores reach back %s, less than the %s the description names (the oldest backup or version is that young: older ones were never made, or were removed)",
			Round(r.Retention), r.Described))
	}
}

// Round is d rounded for people: to the second, or the minute past an hour.
func Round(d time.Duration) time.Duration {
	if d >= time.Hour {
		return d.Round(time.Minute)
	}
	return d.Round(time.Second)
}

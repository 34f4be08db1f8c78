package activities

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pg"
	"github.com/lazarus-dr/lazarus/platform/s3media"
)

// Deps are the activities' injected dependencies.
type Deps struct {
	Description *platform.Description
	Catalog     platform.Catalog
	Vendors     platform.Vendors
	Search      platform.Search
	FrontDoor   platform.FrontDoor
	// Checksums takes every production tenant's checksum for a drill's
	// proof that it changed none; nil on a platform without one (the
	// sandbox's admin API has it).
	Checksums platform.Checksums
	Media     *s3media.Store
	PITR      PITR
	Logger    *zap.Logger
	// Pools are the connection pools of the reads of tenant rows (live
	// stores and clones), shared by every activity of the worker; New makes
	// them when nil.
	Pools *pg.Pools

	// VendorPoll bounds how long apps.reattach polls vendor operations in
	// one attempt before it returns a retryable "pending" error (default 30s);
	// VendorPollInterval is the pause between polls (default 250ms).
	VendorPoll         time.Duration
	VendorPollInterval time.Duration
	// HeartbeatEvery is how often a call with nothing to report heartbeats
	// while it runs (default DefaultHeartbeatEvery; never more than a third
	// of the attempt's heartbeat timeout).
	HeartbeatEvery time.Duration
	// QuietStart is how long an attempt runs before its progress is sent
	// as heartbeats (default QuietStart; negative: from the start).
	QuietStart time.Duration
	// Deadlines of one call (see heartbeat.go): a platform service's call
	// or a read of a tenant's rows (default DefaultCallTimeout), one store's
	// tenant copy (DefaultCopyTimeout), one clone made or torn down
	// (DefaultCloneTimeout), one media undelete (DefaultMediaTimeout).
	CallTimeout  time.Duration
	CopyTimeout  time.Duration
	CloneTimeout time.Duration
	MediaTimeout time.Duration
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// PITR is the tenant point-in-time restore engine: the clone step is an
// adapter (a local PostgreSQL clone here, RDS or Aurora later); planning and
// extraction are shared.
type PITR interface {
	// PlanClones chooses as few clone points as possible so that every site
	// gets a point p with restorePoint-tolerance <= p <= restorePoint.
	PlanClones(restorePoints map[string]time.Time, tolerance time.Duration) (ClonePlan, error)
	// Clone makes (or finds, when it already runs) a read-only clone of the
	// cluster recovered to at. It refuses a point outside the backups'
	// window with a non-retryable error.
	Clone(ctx context.Context, cluster platform.Cluster, at time.Time) (CloneRef, error)
	// Teardown removes a clone; removing a missing clone is not an error.
	Teardown(ctx context.Context, cluster platform.Cluster, cloneID string) error
	// CopyTenant copies one tenant's rows of some tables of a store from a
	// clone into the live store (remapped when AsSiteID differs), with
	// INSERT ... ON CONFLICT DO NOTHING: idempotent, other tenants untouched.
	CopyTenant(ctx context.Context, req TenantCopy) (TenantCopyResult, error)
}

// ClonePlan is the result of clone planning.
type ClonePlan struct {
	// Points are the clone points, ascending, one clone each.
	Points []time.Time
	// Site is the point each site actually gets (one of Points).
	Site map[string]time.Time
}

// CloneRef names a running clone.
type CloneRef struct {
	ID      string    `json:"id"`
	Cluster string    `json:"cluster"`
	At      time.Time `json:"at"`
	// DSN is a libpq URL of one database of the clone; the activities swap
	// the database name for the store's.
	DSN string `json:"dsn"`
}

// TenantCopy asks for one tenant's rows of a store.
type TenantCopy struct {
	// CloneDSN and LiveDSN are libpq URLs of the store's database on the
	// clone and on the live cluster.
	CloneDSN string
	LiveDSN  string
	Store    platform.Store
	// Tables are the tables to copy, in the store's foreign-key order.
	Tables []platform.Table
	// SiteID is the tenant on the clone; AsSiteID the tenant it becomes in
	// the live store (equal for Restore 2).
	SiteID, AsSiteID string
	// Done lists tables an earlier attempt finished (resume).
	Done []string
	// Progress is called after each table.
	Progress func(TenantProgress)
}

// TenantProgress is reported after each table, and while a table's rows
// stream (sent as heartbeat).
type TenantProgress struct {
	Store      string   `json:"store"`
	TablesDone []string `json:"tables_done"`
	Rows       int64    `json:"rows"`
	// Copying is the table streaming now ("" between tables); Bytes counts
	// the COPY data streamed so far.
	Copying string `json:"copying,omitempty"`
	Bytes   int64  `json:"bytes,omitempty"`
}

// TenantCopyResult counts a copy.
type TenantCopyResult struct {
	// Rows read from the clone; Inserted rows new in the live store (0 on a
	// second run).
	Rows     int64 `json:"rows"`
	Inserted int64 `json:"inserted"`
	Tables   int   `json:"tables"`
}

// Package readiness checks whether a platform can be restored now: it
// connects to every PostgreSQL cluster, bucket and service a platform
// description names and reports each cluster's restorable window and WAL
// archiving, the bucket's versioning and oldest version kept, whether
// each service answers, and the RPO and retention the platform can honour.
//
// It only reads: it never writes to a cluster, a bucket or a service. Every
// problem is one line naming the cluster, bucket or service and what is
// wrong; a server's own error only ever follows that line's words.
package readiness

import (
	"context"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pitr"
)

// Windows says which points a cluster can be cloned at now: the cloner of
// the cluster's backup kind (pitr.LocalCloner, the pgBackRest and RDS
// cloners) satisfies it.
type Windows interface {
	Window(ctx context.Context, cluster string) (pitr.Window, error)
}

// Bounds of a check.
const (
	// DefaultArchiveBound is how old the oldest WAL not yet archived may
	// be for archiving to count as current: the incident's policy restored
	// each site to 5 minutes before its deletion, so an archive more than
	// 5 minutes behind cannot give the newest of those points. A cluster
	// whose archive_timeout is longer is allowed twice that (a segment is
	// switched only every archive_timeout).
	DefaultArchiveBound = 5 * time.Minute
	// ServiceTimeout bounds one service's answer (connect, headers, body).
	ServiceTimeout = 5 * time.Second
	// ClusterTimeout bounds one cluster's check (connect, query, window).
	ClusterTimeout = 30 * time.Second
	// DefaultMaxVersions bounds the scan of the bucket's versions: 100
	// pages of 1,000, a few seconds on a local server. A bucket with more
	// reports the oldest of those read, and says the scan was cut.
	DefaultMaxVersions = 100_000
)

// Checker checks one platform.
type Checker struct {
	Desc *platform.Description
	// Windows gives each cluster's restorable window (required).
	Windows Windows
	// HTTP is the client of the services (nil: one with ServiceTimeout).
	HTTP *http.Client
	// ArchiveBound is DefaultArchiveBound when zero.
	ArchiveBound time.Duration
	// MaxVersions is DefaultMaxVersions when zero.
	MaxVersions int
	// Now is the clock (tests); nil is time.Now.
	Now    func() time.Time
	Logger *zap.Logger
}

// Check checks every cluster, the bucket and every service, all at once,
// and returns what it found. It never fails: what it could not reach is a
// problem of the report.
func (c *Checker) Check(ctx context.Context) *Report {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	start := now().UTC()
	r := &Report{Platform: c.Desc.Name, CheckedAt: start, Described: c.Desc.Retention}
	// Each row keeps its own problems, joined in the description's order.
	var wg sync.WaitGroup
	clusterLines := make([][]string, len(c.Desc.Clusters))
	r.Clusters = make([]ClusterReport, len(c.Desc.Clusters))
	for i, cl := range c.Desc.Clusters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Clusters[i], clusterLines[i] = c.cluster(ctx, cl, now)
		}()
	}
	var bucketLines []string
	if c.Desc.Media.Bucket != "" {
		r.Buckets = make([]BucketReport, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Buckets[0], bucketLines = c.bucket(ctx)
		}()
	}
	targets := serviceTargets(c.Desc)
	serviceLines := make([]string, len(targets))
	r.Services = make([]ServiceReport, len(targets))
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Services[i], serviceLines[i] = c.service(ctx, t)
		}()
	}
	wg.Wait()
	for _, lines := range clusterLines {
		r.Problems = append(r.Problems, lines...)
	}
	r.Problems = append(r.Problems, bucketLines...)
	for _, line := range serviceLines {
		if line != "" {
			r.Problems = append(r.Problems, line)
		}
	}
	r.honour(now().UTC())
	return r
}

func (c *Checker) logger() *zap.Logger {
	if c.Logger == nil {
		return zap.NewNop()
	}
	return c.Logger
}

package readiness

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/platform/s3media"
)

// bucket checks the media bucket: reachable, versioning Enabled, and the
// oldest version it keeps (a scan bounded by MaxVersions).
func (c *Checker) bucket(ctx context.Context) (BucketReport, []string) {
	m := c.Desc.Media
	row := BucketReport{Bucket: m.Bucket, Endpoint: m.Endpoint}
	where := "bucket " + m.Bucket
	if m.Endpoint != "" {
		where += " at " + m.Endpoint
	}
	store, err := s3media.New(m)
	if err != nil {
		return row, []string{fmt.Sprintf("%s: cannot be reached: %v", where, err)}
	}
	status, err := store.Versioning(ctx)
	if err != nil {
		c.logger().Debug("bucket versioning", zap.String("bucket", m.Bucket), zap.Error(err))
		return row, []string{fmt.Sprintf("%s: cannot be reached, or its versioning cannot be read (%v)", where, rootCause(err))}
	}
	row.Reachable, row.Versioning = true, status
	var lines []string
	if status != "Enabled" {
		shown := status
		if shown == "" {
			shown = "never enabled"
		}
		lines = append(lines, fmt.Sprintf("%s: versioning is %s: a deleted object is gone for good, so no media can be undeleted (enable versioning)", where, shown))
	}
	max := c.MaxVersions
	if max <= 0 {
		max = DefaultMaxVersions
	}
	scan, err := store.OldestVersion(ctx, max)
	row.Oldest, row.Scanned, row.Cut = scan.Oldest, scan.Scanned, scan.Cut
	if err != nil {
		lines = append(lines, fmt.Sprintf("%s: its versions cannot be listed (%v)", where, rootCause(err)))
	}
	return row, lines
}

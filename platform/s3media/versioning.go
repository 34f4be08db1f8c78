package s3media

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Versioning is the bucket's versioning status as S3 names it: "Enabled",
// "Suspended", or "" for a bucket whose versioning was never enabled.
// Only a bucket with versioning Enabled keeps what undelete needs.
func (s *Store) Versioning(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opTimeout)
	defer cancel()
	out, err := s.client.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(s.bucket)})
	if err != nil {
		return "", fmt.Errorf("versioning of bucket %s: %w", s.bucket, err)
	}
	return string(out.Status), nil
}

// VersionScan is what OldestVersion saw of the bucket's versions.
type VersionScan struct {
	// Oldest is the creation time of the oldest version or delete marker
	// seen (zero when the bucket is empty).
	Oldest time.Time `json:"oldest,omitzero"`
	// Scanned is how many versions and delete markers were read.
	Scanned int `json:"scanned"`
	// Cut is true when the scan stopped at its bound before the end of
	// the bucket: Oldest is then the oldest of those read only.
	Cut bool `json:"cut,omitempty"`
}

// OldestVersion reads the bucket's versions and delete markers, at most max
// of them (pages of up to 1,000, each bounded by OperationTimeout), and
// returns the oldest creation time among them (see versionTime).
func (s *Store) OldestVersion(ctx context.Context, max int) (VersionScan, error) {
	var scan VersionScan
	p := s3.NewListObjectVersionsPaginator(s.client, &s3.ListObjectVersionsInput{Bucket: aws.String(s.bucket)})
	see := func(id *string, modified *time.Time) {
		t := versionTime(aws.ToString(id), aws.ToTime(modified))
		if scan.Oldest.IsZero() || t.Before(scan.Oldest) {
			scan.Oldest = t
		}
		scan.Scanned++
	}
	for p.HasMorePages() {
		if scan.Scanned >= max {
			scan.Cut = true
			break
		}
		pctx, cancel := context.WithTimeout(ctx, s.opTimeout)
		page, err := p.NextPage(pctx)
		cancel()
		if err != nil {
			return scan, fmt.Errorf("list the versions of bucket %s: %w", s.bucket, err)
		}
		for _, v := range page.Versions {
			see(v.VersionId, v.LastModified)
		}
		for _, m := range page.DeleteMarkers {
			see(m.VersionId, m.LastModified)
		}
	}
	return scan, nil
}

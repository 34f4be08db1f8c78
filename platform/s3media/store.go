// Package s3media undeletes a site's media in an S3-compatible object store
// with bucket versioning: it brings back exactly the object versions that were
// current at a restore point, under the site's own prefix (Restore 2) or
// copied under a new site's prefix (Restore 1, drills).
//
// It must never delete an object version (only delete markers), never touch
// keys outside the prefix it is given, and never write under the source
// prefix when asked to copy to a new one (a drill must not touch the live
// site). What to restore when is the runbook's business, not this package's.
// The one exception is PurgePrefix, which removes every version under a
// prefix: the cleanup of a drill's isolated copy, whose caller has proved
// the prefix is the copy's.
package s3media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/lazarus-dr/lazarus/platform"
)

// Deadlines of every S3 call. A call that passes its deadline ends in an
// error (a retryable one for the activities, whose retry budget in minutes
// outlasts an outage of the store).
const (
	// OperationTimeout bounds one S3 operation, the SDK's own retries
	// included: a page of up to 1,000 versions, a delete marker's removal,
	// a small object's read. They take milliseconds; 30s is a store that
	// does not answer.
	OperationTimeout = 30 * time.Second
	// CopyTimeout bounds one server-side copy of a version, which some
	// servers answer only once the copy is done: 2 minutes copies an
	// attachment of several gigabytes.
	CopyTimeout = 2 * time.Minute
	// DialTimeout and TLSHandshakeTimeout bound opening a connection.
	DialTimeout         = 5 * time.Second
	TLSHandshakeTimeout = 5 * time.Second
	// ResponseHeaderTimeout bounds the wait for an answer's headers even
	// for a caller without a deadline: as long as the longest operation.
	ResponseHeaderTimeout = CopyTimeout
	// RetryMaxAttempts and RetryMaxBackoff are the SDK's own retries of a
	// throttled or failed request: 3 attempts, at most 5s apart, absorb a
	// blip inside one operation; anything longer is the step's retry
	// budget's business, not a hidden wait inside one call.
	RetryMaxAttempts = 3
	RetryMaxBackoff  = 5 * time.Second
)

// Store is a versioned bucket.
type Store struct {
	client *s3.Client
	bucket string
	prefix string // site prefix template with {site}
	// opTimeout and copyTimeout are OperationTimeout and CopyTimeout
	// (tests shorten them).
	opTimeout, copyTimeout time.Duration
}

// New connects to the media store of a platform description. Its
// credentials and region come from the AWS default chain, or from the
// credentials file and profile the description names (see awsConfig); an
// Endpoint (an S3-compatible server) is addressed path-style, no Endpoint
// is AWS S3 itself.
func New(m platform.Media) (*Store, error) {
	if m.Bucket == "" {
		return nil, fmt.Errorf("media store: bucket is empty")
	}
	if m.Endpoint != "" {
		if u, err := url.Parse(m.Endpoint); err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("media store: endpoint %q is not a URL such as https://s3.example.com", m.Endpoint)
		}
	}
	cfg, err := awsConfig(context.Background(), m)
	if err != nil {
		return nil, err
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if m.Endpoint != "" {
			o.BaseEndpoint = aws.String(m.Endpoint)
			o.UsePathStyle = true
		}
		// Newer SDKs add checksums that some S3-compatible servers reject.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		o.Retryer = retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = RetryMaxAttempts
			o.MaxBackoff = RetryMaxBackoff
		})
	})
	prefix := m.SitePrefix
	if prefix == "" {
		prefix = "sites/{site}/"
	}
	return &Store{client: client, bucket: m.Bucket, prefix: prefix, opTimeout: OperationTimeout, copyTimeout: CopyTimeout}, nil
}

// Client is the underlying S3 client (tests use it to inspect the bucket).
func (s *Store) Client() *s3.Client { return s.client }

// Bucket is the bucket's name.
func (s *Store) Bucket() string { return s.bucket }

// SitePrefix is the key prefix of a site's objects.
func (s *Store) SitePrefix(siteID string) string {
	return strings.ReplaceAll(s.prefix, "{site}", siteID)
}

// Entry is one version or delete marker of a key.
type Entry struct {
	Key       string
	VersionID string
	// LastModified is when the version was made (see versionTime).
	LastModified time.Time
	ETag         string
	Size         int64
	DeleteMarker bool
	IsLatest     bool
}

// History lists every version and delete marker under a prefix, grouped by
// key, each key's entries newest first.
func (s *Store) History(ctx context.Context, prefix string) (map[string][]Entry, error) {
	out := map[string][]Entry{}
	p := s3.NewListObjectVersionsPaginator(s.client, &s3.ListObjectVersionsInput{
		Bucket: aws.String(s.bucket),
		Prefix: aws.String(prefix),
	})
	for p.HasMorePages() {
		octx, cancel := context.WithTimeout(ctx, s.opTimeout)
		page, err := p.NextPage(octx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("list versions under %s/%s: %w", s.bucket, prefix, err)
		}
		for _, v := range page.Versions {
			out[aws.ToString(v.Key)] = append(out[aws.ToString(v.Key)], Entry{
				Key: aws.ToString(v.Key), VersionID: aws.ToString(v.VersionId),
				LastModified: versionTime(aws.ToString(v.VersionId), aws.ToTime(v.LastModified)), ETag: aws.ToString(v.ETag),
				Size: aws.ToInt64(v.Size), IsLatest: aws.ToBool(v.IsLatest),
			})
		}
		for _, d := range page.DeleteMarkers {
			out[aws.ToString(d.Key)] = append(out[aws.ToString(d.Key)], Entry{
				Key: aws.ToString(d.Key), VersionID: aws.ToString(d.VersionId),
				LastModified: versionTime(aws.ToString(d.VersionId), aws.ToTime(d.LastModified)), DeleteMarker: true,
				IsLatest: aws.ToBool(d.IsLatest),
			})
		}
	}
	for k, es := range out {
		sortNewestFirst(es)
		out[k] = es
	}
	return out, nil
}

// sortNewestFirst orders a key's entries newest first; the entry the store
// marks latest wins a tie (S3 times have second precision on some servers).
func sortNewestFirst(es []Entry) {
	sort.SliceStable(es, func(i, j int) bool {
		if !es[i].LastModified.Equal(es[j].LastModified) {
			return es[i].LastModified.After(es[j].LastModified)
		}
		return es[i].IsLatest && !es[j].IsLatest
	})
}

// UndeleteOptions says where and how to restore.
type UndeleteOptions struct {
	// NewPrefix, when set, copies the versions current at the point under
	// this prefix (Restore 1, drills) and leaves the source prefix as it is.
	NewPrefix string
	// Progress is called after each key with the number of keys done.
	Progress func(done, total int)
	// Skip lists keys already handled by an earlier attempt (resume).
	Skip map[string]bool
	// Concurrency is how many keys are restored at once (default 8).
	Concurrency int
}

// UndeleteResult counts what an undelete did.
type UndeleteResult struct {
	Keys           int `json:"keys"`            // keys that existed at the point
	MarkersRemoved int `json:"markers_removed"` // delete markers removed
	Copied         int `json:"copied"`          // versions copied back on top or to the new prefix
	AlreadyCurrent int `json:"already_current"` // keys already as they were at the point
	NotAtPoint     int `json:"not_at_point"`    // keys that did not exist at the point (left alone)
}

// Changed says whether the undelete wrote anything.
func (r UndeleteResult) Changed() bool { return r.MarkersRemoved+r.Copied > 0 }

// ErrPrefix is returned for an empty or malformed prefix.
var ErrPrefix = errors.New("media prefix")

// Undelete restores every key under prefix to the version current at point:
// delete markers made after the point are removed; if a later real version
// exists, the version current at the point is copied back on top. Keys that
// did not exist at the point are left alone. Safe to run twice: a key whose
// latest version already has the content of the version current at the point
// is not touched.
func (s *Store) Undelete(ctx context.Context, prefix string, point time.Time, opts UndeleteOptions) (UndeleteResult, error) {
	var res UndeleteResult
	if prefix == "" || !strings.HasSuffix(prefix, "/") {
		return res, fmt.Errorf("%w %q: must be non-empty and end with /", ErrPrefix, prefix)
	}
	if opts.NewPrefix != "" && (!strings.HasSuffix(opts.NewPrefix, "/") || opts.NewPrefix == prefix) {
		return res, fmt.Errorf("%w: new prefix %q must end with / and differ from %q", ErrPrefix, opts.NewPrefix, prefix)
	}
	if point.IsZero() {
		return res, fmt.Errorf("media undelete %s: restore point is zero", prefix)
	}
	hist, err := s.History(ctx, prefix)
	if err != nil {
		return res, err
	}
	var dest map[string][]Entry
	if opts.NewPrefix != "" {
		if dest, err = s.History(ctx, opts.NewPrefix); err != nil {
			return res, err
		}
	}
	keys := make([]string, 0, len(hist))
	for k := range hist {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	workers := opts.Concurrency
	if workers <= 0 {
		workers = 8
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		done     int
		wg       sync.WaitGroup
	)
	next := make(chan string)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for key := range next {
				var one UndeleteResult
				err := s.undeleteKey(ctx, key, hist[key], dest, prefix, point, opts, &one)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				res.add(one)
				done++
				if opts.Progress != nil && err == nil {
					opts.Progress(done, len(keys))
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, key := range keys {
		select {
		case next <- key:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return res, firstErr
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	return res, nil
}

func (r *UndeleteResult) add(o UndeleteResult) {
	r.Keys += o.Keys
	r.MarkersRemoved += o.MarkersRemoved
	r.Copied += o.Copied
	r.AlreadyCurrent += o.AlreadyCurrent
	r.NotAtPoint += o.NotAtPoint
}

// undeleteKey restores one key (see Undelete).
func (s *Store) undeleteKey(ctx context.Context, key string, es []Entry, dest map[string][]Entry, prefix string, point time.Time, opts UndeleteOptions, res *UndeleteResult) error {
	if opts.Skip[key] {
		res.Keys++
		res.AlreadyCurrent++
		return nil
	}
	target, ok := CurrentAt(es, point)
	if !ok {
		res.NotAtPoint++
		return nil
	}
	res.Keys++
	if opts.NewPrefix != "" {
		dkey := opts.NewPrefix + strings.TrimPrefix(key, prefix)
		if latest, ok := latestOf(dest[dkey]); ok && !latest.DeleteMarker && latest.ETag == target.ETag {
			res.AlreadyCurrent++
			return nil
		}
		if err := s.copyVersion(ctx, target, dkey); err != nil {
			return err
		}
		res.Copied++
		return nil
	}
	n, copied, err := s.restoreInPlace(ctx, es, target)
	if err != nil {
		return err
	}
	res.MarkersRemoved += n
	if copied {
		res.Copied++
	}
	if n == 0 && !copied {
		res.AlreadyCurrent++
	}
	return nil
}

// CurrentAt is the version current at point: the newest entry not after
// it, if that entry is a real version (not a delete marker).
func CurrentAt(newestFirst []Entry, point time.Time) (Entry, bool) {
	for _, e := range newestFirst {
		if e.LastModified.After(point) {
			continue
		}
		if e.DeleteMarker {
			return Entry{}, false
		}
		return e, true
	}
	return Entry{}, false
}

func latestOf(newestFirst []Entry) (Entry, bool) {
	if len(newestFirst) == 0 {
		return Entry{}, false
	}
	return newestFirst[0], true
}

// restoreInPlace makes target the key's current content: removes the delete
// markers above it when nothing but markers is above it, else copies it on
// top. Returns markers removed and whether it copied.
func (s *Store) restoreInPlace(ctx context.Context, newestFirst []Entry, target Entry) (int, bool, error) {
	latest := newestFirst[0]
	if !latest.DeleteMarker && (latest.VersionID == target.VersionID || latest.ETag == target.ETag) {
		return 0, false, nil
	}
	var markers []Entry
	onlyMarkers := true
	for _, e := range newestFirst {
		if e.VersionID == target.VersionID {
			break
		}
		if !e.DeleteMarker {
			onlyMarkers = false
			break
		}
		markers = append(markers, e)
	}
	if onlyMarkers {
		for _, m := range markers {
			octx, cancel := context.WithTimeout(ctx, s.opTimeout)
			_, err := s.client.DeleteObject(octx, &s3.DeleteObjectInput{
				Bucket: aws.String(s.bucket), Key: aws.String(m.Key), VersionId: aws.String(m.VersionID),
			})
			cancel()
			if err != nil {
				return 0, false, fmt.Errorf("remove delete marker %s of %s: %w", m.VersionID, m.Key, err)
			}
		}
		return len(markers), false, nil
	}
	if err := s.copyVersion(ctx, target, target.Key); err != nil {
		return 0, false, err
	}
	return 0, true, nil
}

// copyVersion copies one version of a key to dkey as its new latest version.
func (s *Store) copyVersion(ctx context.Context, src Entry, dkey string) error {
	source := s.bucket + "/" + src.Key + "?versionId=" + url.QueryEscape(src.VersionID)
	ctx, cancel := context.WithTimeout(ctx, s.copyTimeout)
	defer cancel()
	_, err := s.client.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket:     aws.String(s.bucket),
		Key:        aws.String(dkey),
		CopySource: aws.String(source),
	})
	if err != nil {
		return fmt.Errorf("copy %s (version %s) to %s: %w", src.Key, src.VersionID, dkey, err)
	}
	return nil
}

// Get reads a key's current content (tests and verification).
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opTimeout)
	defer cancel()
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return b, nil
}

// IsNoSuchKey says whether err is S3's "no such key" (also for a key whose
// latest entry is a delete marker).
func IsNoSuchKey(err error) bool {
	var nsk *types.NoSuchKey
	return errors.As(err, &nsk)
}

// PurgePrefix removes every object version and delete marker under prefix
// and says how many it removed: the cleanup of a drill copy's media, which
// must leave nothing behind (a delete marker would hide the objects, not
// remove them). The caller must have checked that prefix is a drill copy's
// own: this is the only call of the package that deletes versions. It is
// idempotent (nothing under the prefix: 0, nil). An empty prefix, one not
// ending in "/", or "/" alone is refused.
func (s *Store) PurgePrefix(ctx context.Context, prefix string) (int, error) {
	if prefix == "" || prefix == "/" || !strings.HasSuffix(prefix, "/") {
		return 0, fmt.Errorf("purge: %w %q: must be non-empty and end with /", ErrPrefix, prefix)
	}
	hist, err := s.History(ctx, prefix)
	if err != nil {
		return 0, fmt.Errorf("purge %s: %w", prefix, err)
	}
	keys := make([]string, 0, len(hist))
	for k := range hist {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var ids []types.ObjectIdentifier
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			continue // a server that listed beyond the prefix
		}
		for _, e := range hist[k] {
			ids = append(ids, types.ObjectIdentifier{Key: aws.String(e.Key), VersionId: aws.String(e.VersionID)})
		}
	}
	removed := 0
	const batch = 1000 // S3's limit per DeleteObjects
	for len(ids) > 0 {
		n := min(batch, len(ids))
		octx, cancel := context.WithTimeout(ctx, s.opTimeout)
		out, err := s.client.DeleteObjects(octx, &s3.DeleteObjectsInput{
			Bucket: aws.String(s.bucket),
			Delete: &types.Delete{Objects: ids[:n], Quiet: aws.Bool(true)},
		})
		cancel()
		if err != nil {
			return removed, fmt.Errorf("purge %s: delete %d versions: %w", prefix, n, err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return removed, fmt.Errorf("purge %s: %d of %d versions not deleted, first %s (version %s): %s %s",
				prefix, len(out.Errors), n, aws.ToString(e.Key), aws.ToString(e.VersionId), aws.ToString(e.Code), aws.ToString(e.Message))
		}
		removed += n
		ids = ids[n:]
	}
	return removed, nil
}

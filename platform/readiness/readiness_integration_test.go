//go:build integration

package readiness_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/lazarus-dr/lazarus/internal/testpg"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pg"
	"github.com/lazarus-dr/lazarus/platform/pitr"
	"github.com/lazarus-dr/lazarus/platform/readiness"
	"github.com/lazarus-dr/lazarus/platform/s3media"
	"github.com/lazarus-dr/lazarus/platform/s3media/s3test"
)

// A real cluster with archiving and a base backup, a real versioned bucket
// and real HTTP services: ready; then archiving breaks, the bucket's
// versioning is suspended and a service fails, and the check names each.
func TestCheckNamesBrokenArchivingVersioningAndServices(t *testing.T) {
	ctx := context.Background()
	c := testpg.Start(t, ctx, "products", true)
	cc := c.Config()
	dir := filepath.Dir(cc.DataDir)
	cl := platform.Cluster{Name: "products", Host: "127.0.0.1", Port: cc.Port, User: "postgres", PGBin: cc.PGBin,
		BackupDir: filepath.Join(dir, "backups"), WALArchive: cc.WALArchive, OSUser: pg.DefaultOSUser(),
		ScratchDir: filepath.Join(dir, "scratch")}
	if err := pg.PrepareDir(cl.BackupDir, cl.OSUser, 0o755); err != nil {
		t.Fatal(err)
	}
	backup, err := c.BaseBackup(ctx, filepath.Join(cl.BackupDir, "b1"))
	if err != nil {
		t.Fatal(err)
	}
	media := s3test.Start(t)
	store, err := s3media.New(media)
	if err != nil {
		t.Fatal(err)
	}
	s3test.Put(t, store, "sites/s1/a.txt", "one")
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) }))
	defer ok.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	defer failing.Close()
	desc := &platform.Description{Name: "test", Retention: 720 * time.Hour, Clusters: []platform.Cluster{cl},
		Media: media, Services: platform.Services{Catalog: ok.URL}}
	check := func() *readiness.Report {
		ch := &readiness.Checker{Desc: desc, Windows: pitr.NewLocalCloner(desc, nil)}
		return ch.Check(ctx)
	}

	r := check()
	if !r.Ready() {
		t.Fatalf("a sound platform is not ready: %q", r.Problems)
	}
	row := r.Clusters[0]
	if !row.Connected || row.Archiving == nil || !row.Archiving.Current || row.Archiving.Mode != "on" {
		t.Errorf("cluster row %+v, archiving %+v", row, row.Archiving)
	}
	if !row.Oldest.Equal(backup.EndTime.UTC()) || row.Newest.Before(row.Oldest) || time.Since(row.Newest) > 2*time.Minute {
		t.Errorf("window [%s, %s], want from the backup's end %s to about now", row.Oldest, row.Newest, backup.EndTime)
	}
	if b := r.Buckets[0]; !b.Reachable || b.Versioning != "Enabled" || b.Scanned != 1 || b.Oldest.IsZero() {
		t.Errorf("bucket row %+v", b)
	}
	if s := r.Services[0]; !s.Answers || s.Status != http.StatusNotFound {
		t.Errorf("service row %+v: a 404 answers", s)
	}
	if r.Retention <= 0 || r.Retention > time.Hour || r.RPO > 2*time.Minute {
		t.Errorf("retention %s, RPO %s", r.Retention, r.RPO)
	}

	// Break everything at once.
	conn, err := c.Open(ctx, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{`ALTER SYSTEM SET archive_command = 'false'`, `SELECT pg_reload_conf()`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	time.Sleep(200 * time.Millisecond) // the archiver reads the new setting
	if _, err := conn.Exec(ctx, `CREATE TABLE t AS SELECT g FROM generate_series(1, 1000) g; SELECT pg_switch_wal()`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "a failed archive_command", func() bool {
		var n int64
		return conn.QueryRow(ctx, `SELECT failed_count FROM pg_stat_archiver`).Scan(&n) == nil && n > 0
	})
	if _, err := store.Client().PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(media.Bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}}); err != nil {
		t.Fatal(err)
	}
	desc.Services.Flags = failing.URL
	desc.Services.Apps = "http://127.0.0.1:1" // nothing listens

	r = check()
	want := []string{
		"cluster products (127.0.0.1:" + itoa(cl.Port) + "): WAL archiving is failing: segment ",
		"bucket media at " + media.Endpoint + ": versioning is Suspended: ",
		"service flags at " + failing.URL + ": answers HTTP 503",
		"service apps at http://127.0.0.1:1: does not answer (",
	}
	if len(r.Problems) != len(want) {
		t.Fatalf("problems:\n%s\nwant %d", strings.Join(r.Problems, "\n"), len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(r.Problems[i], w) {
			t.Errorf("problem %d: %q, want it to start %q", i, r.Problems[i], w)
		}
	}
	if r.Clusters[0].Archiving.Current {
		t.Error("failing archiving counts as current")
	}
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s", what, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

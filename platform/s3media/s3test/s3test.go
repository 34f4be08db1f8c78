// Package s3test starts a real versitygw (posix backend with versioning) on
// a free loopback port for tests, with one versioned bucket.
//
// It is for tests only and must never be imported by production code.
package s3test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/lazarus-dr/lazarus/internal/portowner"
	"github.com/lazarus-dr/lazarus/internal/tools"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/s3media"
)

// Start runs versitygw for the test's lifetime and returns the media
// description of a fresh versioned bucket, its keys in a credentials file
// of the test's (Media.CredentialsFile). It fails the test when versitygw
// is missing.
func Start(t testing.TB) platform.Media {
	t.Helper()
	bin, err := tools.VersityGW()
	if err != nil {
		t.Fatalf("versitygw: %v", err)
	}
	dir, err := os.MkdirTemp("", "s3test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	root, vers := filepath.Join(dir, "data"), filepath.Join(dir, "versions")
	for _, d := range []string{root, vers} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	const access, secret = "lazarus", "lazarus-secret"
	cmd := exec.Command(bin, "--access", access, "--secret", secret, "--port", addr,
		"posix", "--versioning-dir", vers, root)
	logf, err := os.Create(filepath.Join(dir, "versitygw.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start versitygw: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	endpoint := "http://" + addr
	// Wait until this very process listens: a plain request could reach
	// another process that took the port between the pick and the bind.
	port := l.Addr().(*net.TCPAddr).Port
	exited := make(chan error, 1)
	go func() { _, err := cmd.Process.Wait(); exited <- err }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if ok, _ := portowner.Listens(cmd.Process.Pid, port); ok {
			break
		}
		select {
		case <-exited:
			t.Fatalf("versitygw on %s exited at start (port taken by another process?); see %s", addr, logf.Name())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not listen on %s within 10s; see %s", addr, logf.Name())
		}
		time.Sleep(50 * time.Millisecond)
	}
	creds := filepath.Join(dir, "credentials")
	if err := s3media.WriteCredentialsFile(creds, "", access, secret); err != nil {
		t.Fatal(err)
	}
	m := platform.Media{Endpoint: endpoint, Region: "us-east-1", Bucket: "media",
		CredentialsFile: creds, SitePrefix: "sites/{site}/"}
	st, err := s3media.New(m)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c := st.Client()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(m.Bucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  aws.String(m.Bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
	}); err != nil {
		t.Fatalf("enable versioning: %v", err)
	}
	return m
}

// Put writes one object.
func Put(t testing.TB, st *s3media.Store, key, body string) {
	t.Helper()
	_, err := st.Client().PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(st.Bucket()), Key: aws.String(key), Body: strings.NewReader(body),
	})
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

// Delete deletes one key (leaving a delete marker).
func Delete(t testing.TB, st *s3media.Store, key string) {
	t.Helper()
	_, err := st.Client().DeleteObject(context.Background(), &s3.DeleteObjectInput{
		Bucket: aws.String(st.Bucket()), Key: aws.String(key),
	})
	if err != nil {
		t.Fatalf("delete %s: %v", key, err)
	}
}

// Content reads a key's current content, "" with ok=false when it is gone.
func Content(t testing.TB, st *s3media.Store, key string) (string, bool) {
	t.Helper()
	b, err := st.Get(context.Background(), key)
	if err != nil {
		if s3media.IsNoSuchKey(err) {
			return "", false
		}
		t.Fatalf("%v", err)
	}
	return string(b), true
}

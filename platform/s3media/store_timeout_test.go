package s3media

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/platform"
)

// storeAt is a Store of bucket "b" on a test server.
func storeAt(t *testing.T, h http.HandlerFunc) *Store {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	s, err := New(platform.Media{Endpoint: srv.URL, Bucket: "b", CredentialsFile: credentialsFile(t, "k", "s")})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A store that never answers ends every operation at its deadline, with
// an error, well before the default 30s would.
func TestHungStoreEndsAtTheOperationDeadline(t *testing.T) {
	release := make(chan struct{})
	s := storeAt(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // before the server's Close
	s.opTimeout, s.copyTimeout = 300*time.Millisecond, 300*time.Millisecond
	for name, op := range map[string]func(context.Context) error{
		"list": func(ctx context.Context) error { _, err := s.History(ctx, "sites/x/"); return err },
		"get":  func(ctx context.Context) error { _, err := s.Get(ctx, "sites/x/a"); return err },
		"copy": func(ctx context.Context) error {
			return s.copyVersion(ctx, Entry{Key: "sites/x/a", VersionID: "v1"}, "sites/y/a")
		},
		"undelete": func(ctx context.Context) error {
			_, err := s.Undelete(ctx, "sites/x/", time.Now(), UndeleteOptions{})
			return err
		},
	} {
		began := time.Now()
		err := op(context.Background())
		took := time.Since(began)
		if err == nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: %v, want a deadline error", name, err)
		}
		// Generous for a loaded machine, far below the 30s default.
		if took > 10*time.Second {
			t.Errorf("%s: ended after %s, its deadline is 300ms", name, took)
		}
	}
}

// The SDK retries a failing request RetryMaxAttempts times, no more: a
// longer outage is the step's retry budget's business.
func TestSDKRetriesAreBounded(t *testing.T) {
	var calls atomic.Int32
	s := storeAt(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`<Error><Code>SlowDown</Code><Message>busy</Message></Error>`))
	})
	if _, err := s.History(context.Background(), "sites/x/"); err == nil {
		t.Fatal("a failing store listed")
	}
	if n := calls.Load(); n != RetryMaxAttempts {
		t.Errorf("%d requests, want %d", n, RetryMaxAttempts)
	}
}

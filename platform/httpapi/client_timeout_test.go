package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/platform"
)

// hangingServer answers nothing until the client goes away (or, with
// headers, sends its headers and then nothing). It never outlives the test.
func hangingServer(t *testing.T, headers bool) string {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if headers {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"site_id":`))
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: Close waits for handlers
	return srv.URL
}

// patience bounds how long a test waits for a deadline of a few hundred
// milliseconds to end a call: generous for a loaded 2-core machine, and
// still far below the 30s default that would mean the deadline was ignored.
const patience = 10 * time.Second

func TestHungServiceEndsInATimeoutNamingIt(t *testing.T) {
	for _, headers := range []bool{false, true} {
		u := hangingServer(t, headers)
		c := New(platform.Services{FrontDoor: u}, WithTimeout(300*time.Millisecond))
		began := time.Now()
		_, err := c.CheckSite(context.Background(), "https://s1.example.test")
		took := time.Since(began)
		if err == nil {
			t.Fatalf("headers %v: a hung service answered", headers)
		}
		if took > patience {
			t.Errorf("headers %v: the call ended after %s, its deadline is 300ms", headers, took)
		}
		if !errors.Is(err, context.DeadlineExceeded) || IsPermanent(err) {
			t.Errorf("headers %v: %v: want a retryable deadline error", headers, err)
		}
		for _, want := range []string{"frontdoor:", u, "no answer within 300ms"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("headers %v: error %q does not say %q", headers, err, want)
			}
		}
	}
}

// The caller's own cancellation is not reported as the service's timeout.
func TestCallerCancellationIsNotATimeout(t *testing.T) {
	c := New(platform.Services{Search: hangingServer(t, false)}, WithTimeout(time.Minute))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := c.Reindex(ctx, "s1", "jira")
	if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "no answer within") {
		t.Fatalf("cancelled call: %v", err)
	}
}

// Without a per-request timeout, the transport still bounds the wait for
// an answer's headers.
func TestTransportBoundsTheWaitForHeaders(t *testing.T) {
	c := New(platform.Services{Catalog: hangingServer(t, false)}, WithTimeout(0))
	c.http = &http.Client{Transport: newTransport(300 * time.Millisecond)}
	began := time.Now()
	_, err := c.GetSite(context.Background(), "s1")
	if err == nil || !strings.Contains(err.Error(), "timeout awaiting response headers") || !strings.Contains(err.Error(), "catalog: GET") {
		t.Fatalf("want the transport's header timeout naming the service, got %v", err)
	}
	if took := time.Since(began); took > patience {
		t.Errorf("the call ended after %s", took)
	}
}

// The client New builds has every wait of its transport bounded; the
// header wait follows the per-request timeout, a little later.
func TestDefaultTransportTimeouts(t *testing.T) {
	for _, c := range []struct {
		opts   []Option
		header time.Duration
	}{{nil, DefaultTimeout + DialTimeout}, {[]Option{WithTimeout(2 * time.Minute)}, 2*time.Minute + DialTimeout}, {[]Option{WithTimeout(0)}, DefaultTimeout}} {
		cl := New(platform.Services{}, c.opts...)
		tr, ok := cl.http.Transport.(*http.Transport)
		if !ok {
			t.Fatalf("transport %T", cl.http.Transport)
		}
		if tr.DialContext == nil || tr.TLSHandshakeTimeout != TLSHandshakeTimeout || tr.ResponseHeaderTimeout != c.header ||
			tr.IdleConnTimeout != IdleConnTimeout || tr.MaxIdleConnsPerHost != MaxIdleConnsPerHost {
			t.Errorf("%d options: transport %+v", len(c.opts), tr)
		}
	}
	hc := &http.Client{}
	if New(platform.Services{}, WithHTTPClient(hc)).http != hc {
		t.Error("WithHTTPClient ignored")
	}
}

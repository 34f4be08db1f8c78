package httpapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/platform"
)

// A failing platform is described by service and address, never by the
// server's own error text.
func TestDescribeOutage(t *testing.T) {
	serverError := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"error":"lookup ids: id registry: ERROR: invalid byte sequence for encoding \"UTF8\": 0x00 (SQLSTATE 22021)"}`))
		}
	}
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"internal error", serverError(500), "failed with an internal error (POST /v1/ids/lookup)"},
		{"unavailable", serverError(503), "is unavailable (POST /v1/ids/lookup)"},
		{"bad gateway", serverError(502), "could not be reached through its gateway (POST /v1/ids/lookup)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			c := New(platform.Services{Catalog: srv.URL + "/", Identity: "http://identity.test"})
			_, err := c.LookupIDs(context.Background(), []string{"a"})
			line, ok := c.DescribeOutage(err)
			if want := "the catalog service at " + srv.URL + " " + tc.want; !ok || line != want {
				t.Fatalf("got %q %v\nwant %q", line, ok, want)
			}
			// The address holds a random port (which may hold "50"): look
			// at what the line says past it.
			said := strings.TrimPrefix(line, "the catalog service at "+srv.URL)
			for _, raw := range []string{"SQLSTATE", "HTTP", "500", "502", "503"} {
				if strings.Contains(said, raw) {
					t.Errorf("the line holds the raw %q: %s", raw, line)
				}
			}
		})
	}

	t.Run("refused connection", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := "http://" + l.Addr().String()
		l.Close()
		c := New(platform.Services{Catalog: addr})
		_, err = c.LookupIDs(context.Background(), []string{"a"})
		if line, ok := c.DescribeOutage(err); !ok || line != "the catalog service at "+addr+" refused the connection (is it running?)" {
			t.Fatalf("got %q %v (%v)", line, ok, err)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
		defer srv.Close()
		defer close(release)
		c := New(platform.Services{Catalog: srv.URL, Identity: srv.URL + "/identity"}, WithTimeout(100*time.Millisecond))
		_, err := c.LookupIDs(context.Background(), []string{"a"})
		if line, ok := c.DescribeOutage(err); !ok || line != "the catalog service at "+srv.URL+" did not answer within 100ms" {
			t.Fatalf("got %q %v (%v)", line, ok, err)
		}
	})

	t.Run("unknown host", func(t *testing.T) {
		c := New(platform.Services{Catalog: "http://catalog.invalid"})
		_, err := c.LookupIDs(context.Background(), []string{"a"})
		if line, ok := c.DescribeOutage(err); !ok || !strings.HasPrefix(line, "the catalog service at http://catalog.invalid could not be reached") {
			t.Fatalf("got %q %v (%v)", line, ok, err)
		}
	})

	t.Run("not an outage", func(t *testing.T) {
		c := serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"error":"bad request: ids: 100001 IDs, at most 100000 per lookup"}`))
		})
		_, err := c.LookupIDs(context.Background(), []string{"a"})
		if line, ok := c.DescribeOutage(err); ok || err == nil {
			t.Fatalf("a 400 described as an outage: %q (%v)", line, err)
		}
		for _, err := range []error{nil, errors.New("other"), ErrInvalid} {
			if _, ok := c.DescribeOutage(err); ok {
				t.Errorf("%v described as an outage", err)
			}
		}
	})
}

func TestServiceOf(t *testing.T) {
	c := New(platform.Services{Catalog: "http://h:1", Identity: "http://h:2/", FrontDoor: "http://h:3/fd"})
	for full, want := range map[string]string{
		"http://h:1/v1/ids/lookup":  "catalog",
		"http://h:2/v1/sites/x":     "identity",
		"http://h:3/fd/v1/sites":    "frontdoor",
		"http://h:10/v1/ids/lookup": "platform",
	} {
		if got := c.serviceOf(full); got != want {
			t.Errorf("%s: %s, want %s", full, got, want)
		}
	}
}

package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/platform"
)

func serve(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u := srv.URL
	return New(platform.Services{Catalog: u, Identity: u, Flags: u, Apps: u, Vendors: u, Search: u, FrontDoor: u, Admin: u})
}

func TestNotFoundIsDistinguishableAndPermanent(t *testing.T) {
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/sites/s1" {
			t.Errorf("path %s", r.URL.Path)
		}
		w.WriteHeader(404)
		_, _ = w.Write([]byte(`{"error":"not found: site s1 is not in the catalog"}`))
	})
	_, err := c.GetSite(context.Background(), "s1")
	if !IsNotFound(err) || !IsPermanent(err) || StatusOf(err) != 404 {
		t.Fatalf("err %v: IsNotFound=%v IsPermanent=%v", err, IsNotFound(err), IsPermanent(err))
	}
	if !strings.Contains(err.Error(), "catalog: GET") || !strings.Contains(err.Error(), "HTTP 404") || !strings.Contains(err.Error(), "site s1 is not in the catalog") {
		t.Fatalf("message %q", err)
	}
}

func TestServerErrorsAreRetryable(t *testing.T) {
	for _, code := range []int{500, 503, 429, 408} {
		c := serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			_, _ = w.Write([]byte("plain text body"))
		})
		_, err := c.Reindex(context.Background(), "s1", "jira")
		if err == nil || IsPermanent(err) || IsNotFound(err) {
			t.Fatalf("%d: %v permanent=%v", code, err, IsPermanent(err))
		}
		if !strings.Contains(err.Error(), "plain text body") {
			t.Fatalf("%d: body missing from %q", code, err)
		}
	}
	// 501: the server does not do this at all (a platform without the
	// drill's checksums endpoint); retrying cannot help.
	c := serve(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotImplemented) })
	if _, err := c.Reindex(context.Background(), "s1", "jira"); !IsPermanent(err) {
		t.Fatalf("501: %v is retryable", err)
	}
	c = serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(409)
		_, _ = w.Write([]byte(`{"error":"x"}`))
	})
	_, err := c.Reattach(context.Background(), "a", "s")
	if !errors.Is(err, ErrConflict) || !IsPermanent(err) {
		t.Fatalf("409: %v", err)
	}
}

func TestEmptyArgumentsAreRefusedBeforeAnyRequest(t *testing.T) {
	c := serve(t, func(w http.ResponseWriter, r *http.Request) { t.Errorf("no request expected, got %s", r.URL) })
	ctx := context.Background()
	_, err := c.Migrate(ctx, "app", "", "")
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "old_site_id, new_site_id is empty") {
		t.Fatalf("migrate: %v", err)
	}
	if err := c.ApplyLicense(ctx, "s", ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("license: %v", err)
	}
	if _, err := New(platform.Services{}).GetSite(ctx, "s"); err == nil || !strings.Contains(err.Error(), "no URL for this service") {
		t.Fatalf("no URL: %v", err)
	}
}

func TestCheckSiteTellsMissingFromOutage(t *testing.T) {
	mode := "missing"
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if got := r.URL.Query().Get("url"); got != "https://a.test/x?y" {
			t.Errorf("url %q", got)
		}
		w.Header().Set("Content-Type", "application/json")
		switch mode {
		case "ok":
			_, _ = w.Write([]byte(`{"ok":true,"site_id":"s1"}`))
		case "missing":
			w.WriteHeader(503)
			_, _ = w.Write([]byte(`{"ok":false,"site_id":"s1","missing":["identity: no site admins (contacts)"]}`))
		case "outage":
			w.WriteHeader(503)
			_, _ = w.Write([]byte(`{"error":"frontdoor: outage (injected fault)"}`))
		}
	})
	ctx := context.Background()
	h, err := c.CheckSite(ctx, "https://a.test/x?y")
	if err != nil || h.OK || h.SiteID != "s1" || len(h.Missing) != 1 {
		t.Fatalf("missing: %+v %v", h, err)
	}
	mode = "ok"
	if h, err = c.CheckSite(ctx, "https://a.test/x?y"); err != nil || !h.OK {
		t.Fatalf("ok: %+v %v", h, err)
	}
	mode = "outage"
	if _, err = c.CheckSite(ctx, "https://a.test/x?y"); err == nil || StatusOf(err) != 503 || IsPermanent(err) {
		t.Fatalf("outage must be a retryable error: %v", err)
	}
}

func TestTimeoutIsApplied(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	c := New(platform.Services{Vendors: srv.URL}, WithTimeout(50*time.Millisecond))
	start := time.Now()
	_, err := c.Operation(context.Background(), "op-1")
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("err %v after %s", err, time.Since(start))
	}
}

func TestVerifySiteSendsItsRequest(t *testing.T) {
	point := time.Date(2026, 11, 1, 7, 33, 0, 0, time.UTC)
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			SiteID   string    `json:"site_id"`
			AsSiteID string    `json:"as_site_id"`
			Point    time.Time `json:"point"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || r.Method != "POST" || r.URL.Path != "/v1/verify-site" {
			t.Errorf("request %s %s %v", r.Method, r.URL.Path, err)
		}
		if body.SiteID != "old" || body.AsSiteID != "new" || !body.Point.Equal(point) {
			t.Errorf("body %+v", body)
		}
		_, _ = w.Write([]byte(`[{"store":"catalog","match":true},{"store":"shard_1","match":false,"diff":"3 rows missing"}]`))
	})
	diffs, err := c.VerifySite(context.Background(), "old", "new", point)
	if err != nil || len(diffs) != 2 || diffs[1].Match || diffs[1].Diff != "3 rows missing" {
		t.Fatalf("%+v %v", diffs, err)
	}
}

package worker

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
)

func readyz(t *testing.T, r *readiness) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	return rec.Code, rec.Body.String()
}

func TestReadinessBeforeReadyAndAfterStop(t *testing.T) {
	r := newReadiness()
	if code, body := readyz(t, r); code != http.StatusServiceUnavailable || body != "not ready: workers starting\n" {
		t.Fatalf("before ready: %d %q", code, body)
	}
	healthy := true
	r.ready(func(context.Context) error {
		if !healthy {
			return errors.New("connection refused")
		}
		return nil
	})
	if code, body := readyz(t, r); code != http.StatusOK || body != "ready\n" {
		t.Fatalf("ready: %d %q", code, body)
	}
	healthy = false
	if code, body := readyz(t, r); code != http.StatusServiceUnavailable || body != "not ready: Temporal health check failed: connection refused\n" {
		t.Fatalf("Temporal gone: %d %q", code, body)
	}
	healthy = true
	r.notReady("worker stopping")
	if code, body := readyz(t, r); code != http.StatusServiceUnavailable || body != "not ready: worker stopping\n" {
		t.Fatalf("stopping: %d %q", code, body)
	}
}

func TestMetricsServerServesAndNamesAPortInUse(t *testing.T) {
	r := newReadiness()
	// A port in use is one error naming the address.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	if _, _, err := serveMetrics(addr, r, zap.NewNop()); err == nil || !strings.HasPrefix(err.Error(), "metrics address "+addr+": ") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("port in use: %v", err)
	}

	// The three endpoints, on a free port.
	addr = freeAddress(t)
	_, stop, err := serveMetrics(addr, r, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	for path, want := range map[string]int{"/livez": 200, "/readyz": 503, "/metrics": 200} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d %q, want %d", path, resp.StatusCode, body, want)
		}
		if path == "/metrics" && !strings.Contains(string(body), "go_goroutines") {
			t.Errorf("/metrics lacks the Go runtime's series:\n%s", body)
		}
	}
}

// freeAddress is a loopback address with a port free a moment ago.
func freeAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

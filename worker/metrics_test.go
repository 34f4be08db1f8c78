package worker

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
)

// scrape is what /metrics serves now.
func scrape(t *testing.T, m *metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.httpHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// hasLine says whether text has a line starting with prefix.
func hasLine(text, prefix string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// The SDK handler's names become Prometheus series the way the dashboard
// and the README say: counters get _total, timers are histograms in
// seconds with the seconds buckets, gauges keep their name; no OTel scope
// labels, no target_info.
func TestMetricsPipelineNames(t *testing.T) {
	m, err := newMetrics(zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	h := m.handler.WithTags(map[string]string{"action": "db.clone"})
	h.Timer(MetricStepDuration).Record(3 * time.Second)
	m.handler.Counter(MetricSites).Inc(2)
	m.handler.Gauge("temporal_num_pollers").Update(4)
	out := scrape(t, m)
	for _, want := range []string{
		`lazarus_step_duration_seconds_bucket{action="db.clone",le="2.5"} 0`,
		`lazarus_step_duration_seconds_bucket{action="db.clone",le="5"} 1`,
		`lazarus_step_duration_seconds_bucket{action="db.clone",le="3600"} 1`,
		`lazarus_step_duration_seconds_sum{action="db.clone"} 3`,
		`lazarus_step_duration_seconds_count{action="db.clone"} 1`,
		`lazarus_sites_total 2`,
		`temporal_num_pollers 4`,
		`# TYPE lazarus_sites_total counter`,
	} {
		if !hasLine(out, want) {
			t.Errorf("no line %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "otel_scope") || strings.Contains(out, "target_info") {
		t.Errorf("OTel scope or target info exported:\n%s", out)
	}
}

// A worker that has done nothing yet already has a lazarus_ series: its
// build.
func TestWorkerInfoFromTheFirstScrape(t *testing.T) {
	m, err := newMetrics(zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	out := scrape(t, m)
	if !hasLine(out, MetricWorkerInfo+"{") || !strings.Contains(out, `go_version="go`) {
		t.Fatalf("no %s series with its build labels in:\n%s", MetricWorkerInfo, out)
	}
}

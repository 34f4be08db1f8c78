//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/tconn"
	"github.com/lazarus-dr/lazarus/sandbox"
	"github.com/lazarus-dr/lazarus/worker"
)

// TestWorkerMetricsDuringARestore: the worker, with --metrics-address and
// its own connection to Temporal (so that its client carries the metrics
// handler), restores a handful of deleted sites with Restore 2. /readyz
// answers 200 and /livez 200; /metrics has temporal_ and lazarus_ series,
// with sites restored and step attempts counted, every lazarus_ and
// temporal_ series the Grafana dashboard reads (but those that only a
// failure, a cache miss or a parking creates), and no label whose value
// names one of the sites or the batch.
func TestWorkerMetricsDuringARestore(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	log := zap.NewNop()
	tmp := t.TempDir()
	bin, err := buildCLI(ctx, tmp)
	if err != nil {
		t.Fatal(err)
	}
	srv, _, p := upSeeded(ctx, t, "lazarus-metrics-", 24, 15, log)
	sites := deleteSites(ctx, t, p, 4, 15)
	addr := metricsWorker(ctx, t, srv.FrontendHostPort(), p, log)
	if code, body := get(t, "http://"+addr+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz once the worker polls: %d %q", code, body)
	}
	if code, _ := get(t, "http://"+addr+"/livez"); code != http.StatusOK {
		t.Fatalf("/livez: %d", code)
	}

	const batch = "e2e-metrics"
	lz := cli{t: t, bin: bin, address: srv.FrontendHostPort(), platform: p.DescriptionPath()}
	if out, code := lz.run(ctx, "restore", "start", "--runbook", "restore2", "--ids-file", writeLines(t, filepath.Join(tmp, "ids.txt"), sites),
		"--restore-offset", restoreOffset.String(), "--batch-id", batch, "--wait", "--auto-approve", "e2e-test", "--platform", p.DescriptionPath()); code != 0 {
		t.Fatalf("restore start: exit %d\n%s", code, out)
	}

	began := time.Now()
	code, text := get(t, "http://"+addr+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	series := parseScrape(t, text)
	lazarus, temporal := 0, 0
	for _, s := range series {
		switch {
		case strings.HasPrefix(s.name, "lazarus_"):
			lazarus++
		case strings.HasPrefix(s.name, "temporal_"):
			temporal++
		}
	}
	t.Logf("scrape after %d sites: %d lines, %d bytes, %s; %d lazarus_ and %d temporal_ series",
		len(sites), strings.Count(text, "\n"), len(text), time.Since(began).Round(time.Millisecond), lazarus, temporal)
	if lazarus == 0 || temporal == 0 {
		t.Fatalf("%d lazarus_ and %d temporal_ series, want both", lazarus, temporal)
	}
	if n := sum(series, "lazarus_sites_total", map[string]string{"outcome": "restored", "runbook": "restore2"}); n != float64(len(sites)) {
		t.Errorf("lazarus_sites_total{outcome=restored,runbook=restore2} = %v, want %d", n, len(sites))
	}
	if n := sum(series, "lazarus_step_duration_seconds_count", nil); n == 0 {
		t.Error("lazarus_step_duration_seconds_count is 0")
	}
	for _, name := range []string{"lazarus_clone_duration_seconds_count", "lazarus_rows_restored_total", "temporal_workflow_task_schedule_to_start_latency_seconds_count", "temporal_activity_schedule_to_start_latency_seconds_count"} {
		if sum(series, name, nil) == 0 {
			t.Errorf("%s is 0 or absent", name)
		}
	}

	// No label value names a site or the batch (bounded cardinality).
	for _, s := range series {
		for k, v := range s.labels {
			for _, id := range append([]string{batch}, sites...) {
				if strings.Contains(v, id) {
					t.Errorf("%s has label %s=%q, which names %s", s.name, k, v, id)
				}
			}
		}
	}

	// The dashboard's queries read series the worker exports.
	exported := map[string]bool{}
	for _, s := range series {
		exported[s.name] = true
	}
	onlyOnEvents := regexp.MustCompile(`_(failure|failed|miss|forced_eviction|parked)_`)
	for _, q := range dashboardQueries(t) {
		for _, name := range regexp.MustCompile(`\b(?:lazarus|temporal)_[a-z0-9_]+`).FindAllString(q, -1) {
			if !exported[name] && !onlyOnEvents.MatchString(name) {
				t.Errorf("the dashboard reads %s, absent from the scrape (query %s)", name, q)
			}
		}
	}
}

// dashboardQueries are the queries of the Grafana dashboard (its panels'
// expr and its variables' definition).
func dashboardQueries(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../deploy/grafana/dashboards/lazarus.json")
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("lazarus.json: %v", err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if s, ok := e.(string); ok && (k == "expr" || k == "definition") {
					out = append(out, s)
				}
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	if len(out) == 0 {
		t.Fatal("lazarus.json has no query")
	}
	return out
}

// metricsWorker runs the worker in-process with its metrics on a free
// loopback port, dialing Temporal itself, and returns the address once it
// polls; it stops when the test ends.
func metricsWorker(ctx context.Context, t *testing.T, temporal string, p *sandbox.Platform, log *zap.Logger) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	startWorker(ctx, t, "the worker", worker.Options{
		Temporal: tconn.Config{Address: temporal, Namespace: "default"}, MetricsAddress: addr,
		PlatformFile: p.DescriptionPath(), Config: worker.DefaultConfig(), Logger: log,
	})
	return addr
}

// get returns the status and body of a GET.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

// sample is one line of a Prometheus text scrape.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

var labelPair = regexp.MustCompile(`(\w+)="((?:[^"\\]|\\.)*)"`)

// parseScrape reads the samples of a Prometheus text scrape.
func parseScrape(t *testing.T, text string) []sample {
	t.Helper()
	var out []sample
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s := sample{labels: map[string]string{}}
		rest := line
		if i := strings.IndexByte(line, '{'); i >= 0 {
			j := strings.LastIndexByte(line, '}')
			s.name, rest = line[:i], line[j+1:]
			for _, m := range labelPair.FindAllStringSubmatch(line[i:j], -1) {
				s.labels[m[1]] = m[2]
			}
		} else {
			s.name, rest, _ = strings.Cut(line, " ")
		}
		v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64)
		if err != nil {
			t.Fatalf("scrape line %q: %v", line, err)
		}
		s.value = v
		out = append(out, s)
	}
	return out
}

// sum adds the samples of name whose labels include want.
func sum(series []sample, name string, want map[string]string) float64 {
	var n float64
	for _, s := range series {
		if s.name != name {
			continue
		}
		match := true
		for k, v := range want {
			if s.labels[k] != v {
				match = false
			}
		}
		if match {
			n += s.value
		}
	}
	return n
}

package worker

import (
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/activities"
)

// dashboardFile is the Grafana dashboard of deploy/.
const dashboardFile = "../deploy/grafana/dashboards/lazarus.json"

// metricName finds the lazarus_ and temporal_ series names in a query.
var metricName = regexp.MustCompile(`\b(?:lazarus|temporal)_[a-z0-9_]+`)

// sdkMetrics are the Temporal SDK's metrics the dashboard may read, by the
// names the SDK gives its handler (go.temporal.io/sdk's
// internal/common/metrics constants) and their kind.
var sdkMetrics = map[string]string{
	"temporal_request":                                 "counter",
	"temporal_request_failure":                         "counter",
	"temporal_long_request":                            "counter",
	"temporal_long_request_failure":                    "counter",
	"temporal_workflow_task_schedule_to_start_latency": "timer",
	"temporal_workflow_task_execution_latency":         "timer",
	"temporal_workflow_task_execution_failed":          "counter",
	"temporal_activity_schedule_to_start_latency":      "timer",
	"temporal_activity_execution_latency":              "timer",
	"temporal_activity_execution_failed":               "counter",
	"temporal_num_pollers":                             "gauge",
	"temporal_worker_task_slots_used":                  "gauge",
	"temporal_worker_task_slots_available":             "gauge",
	"temporal_sticky_cache_size":                       "gauge",
	"temporal_sticky_cache_hit":                        "counter",
	"temporal_sticky_cache_miss":                       "counter",
	"temporal_sticky_cache_total_forced_eviction":      "counter",
}

// lazarusMetrics are Lazarus's own, by the same rule.
var lazarusMetrics = map[string]string{
	MetricSites:                      "counter",
	MetricSitesParked:                "counter",
	MetricStepDuration:               "timer",
	activities.MetricCloneDuration:   "timer",
	activities.MetricRowsRestored:    "counter",
	activities.MetricObjectsRestored: "counter",
}

// exportedSeries emits every metric of kinds through the worker's real
// pipeline and returns the series names /metrics then shows.
func exportedSeries(t *testing.T, kinds ...map[string]string) map[string]bool {
	t.Helper()
	m, err := newMetrics(zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kinds {
		for name, kind := range k {
			switch kind {
			case "counter":
				m.handler.Counter(name).Inc(1)
			case "timer":
				m.handler.Timer(name).Record(1)
			case "gauge":
				m.handler.Gauge(name).Update(1)
			}
		}
	}
	out := map[string]bool{}
	for _, line := range strings.Split(scrape(t, m), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out[strings.FieldsFunc(line, func(r rune) bool { return r == '{' || r == ' ' })[0]] = true
	}
	return out
}

// dashboardQueries parses the dashboard and returns every query of its
// panels and variables.
func dashboardQueries(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID        string `json:"uid"`
		Templating struct {
			List []struct {
				Name       string `json:"name"`
				Type       string `json:"type"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	hasDatasourceVar := false
	var queries []string
	for _, v := range d.Templating.List {
		if v.Type == "datasource" && v.Name == "datasource" {
			hasDatasourceVar = true
		}
		if v.Definition != "" {
			queries = append(queries, v.Definition)
		}
	}
	if !hasDatasourceVar {
		t.Error("the dashboard has no Prometheus data source variable ($datasource)")
	}
	for _, p := range d.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			queries = append(queries, tg.Expr)
		}
	}
	return queries
}

// Every lazarus_ and temporal_ series the dashboard reads is one the
// worker exports, under the name the Prometheus exporter gives it; and the
// dashboard reads each of Lazarus's metrics.
func TestDashboardReadsExportedSeries(t *testing.T) {
	exported := exportedSeries(t, sdkMetrics, lazarusMetrics)
	used := map[string]bool{}
	for _, q := range dashboardQueries(t) {
		for _, name := range metricName.FindAllString(q, -1) {
			used[name] = true
			if !exported[name] {
				t.Errorf("the dashboard reads %s, which the worker does not export (query %s)", name, q)
			}
		}
	}
	var missing []string
	for name := range lazarusMetrics {
		found := false
		for u := range used {
			if strings.HasPrefix(u, name+"_") {
				found = true
			}
		}
		if !found {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no panel reads %v", missing)
	}
}

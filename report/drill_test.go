package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/drill"
)

var drillT0 = time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)

// drillFixture is a drill of n sites started at start: site i takes
// rto+i seconds, its restore-db step db+i seconds; every site validated.
func drillFixture(id string, start time.Time, n int, rto, db float64) drill.Result {
	r := drill.Result{DrillID: id, Runbook: "restore1", StartedAt: start, EndedAt: start.Add(10 * time.Minute),
		RestorePoint: start.Add(-5 * time.Minute), ProductionUnchanged: true, ProductionChecked: 200, CleanedUp: true,
		LiveSitesBefore: 200, LiveSitesAfter: 200, Passed: true}
	for i := 0; i < n; i++ {
		r.Sites = append(r.Sites, drill.Site{SiteID: fmt.Sprintf("site-%02d", i), CopyID: fmt.Sprintf("copy-%02d", i), Stratum: drill.StratumSmall,
			Validated: true, Outcome: "restored", RTOSeconds: rto + float64(i), RPOSeconds: 300, RestorePoint: r.RestorePoint,
			Steps: []drill.Step{
				{StepID: "create-site", Status: "done", Seconds: 2},
				{StepID: "restore-db", Status: "done", Seconds: db + float64(i), RPOSeconds: 300},
			}})
	}
	return r
}

// drillCase is this week's drill (one site failed, restore-db slower) and
// three earlier ones, given newest first as the CLI lists them.
func drillCase() (drill.Result, []drill.Result) {
	prev := []drill.Result{
		drillFixture("w3", drillT0.Add(-7*24*time.Hour), 4, 60, 10),
		drillFixture("w2", drillT0.Add(-14*24*time.Hour), 4, 50, 10),
		drillFixture("w1", drillT0.Add(-21*24*time.Hour), 4, 40, 10),
	}
	cur := drillFixture("w4", drillT0, 20, 100, 20)
	cur.Sites[7].Validated, cur.Sites[7].Outcome, cur.Sites[7].Errors = false, "parked", []string{"restore-db: shard down"}
	cur.Passed = false
	return cur, prev
}

func TestDrillJSONHasTheIssueKeys(t *testing.T) {
	cur, prev := drillCase()
	var b bytes.Buffer
	if err := DrillJSON(&b, BuildDrill(cur, prev, DrillOptions{})); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"drill_id", "runbook", "sites", "production_unchanged", "cleaned_up", "regressions"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("no %q in %s", k, b.String()[:200])
		}
	}
	if _, ok := doc["production_unchanged"].(bool); !ok {
		t.Error("production_unchanged is not a boolean")
	}
	sites := doc["sites"].([]any)
	if len(sites) != 20 {
		t.Fatalf("%d sites", len(sites))
	}
	site := sites[0].(map[string]any)
	for _, k := range []string{"site_id", "validated", "rto_seconds", "rpo_seconds", "steps"} {
		if _, ok := site[k]; !ok {
			t.Errorf("site has no %q", k)
		}
	}
	step := site["steps"].([]any)[1].(map[string]any)
	if step["step_id"] != "restore-db" || step["seconds"] != 20.0 {
		t.Errorf("step %v", step)
	}
	regs := doc["regressions"].([]any)
	if len(regs) != 2 {
		t.Fatalf("regressions %v", regs)
	}
	if r := regs[0].(map[string]any); r["kind"] != drill.RegressionFailedSite || r["site_id"] != "site-07" {
		t.Errorf("first regression %v", r)
	}
	if r := regs[1].(map[string]any); r["kind"] != drill.RegressionSlowerStep || r["step_id"] != "restore-db" || r["median_seconds"] != 11.5 {
		t.Errorf("second regression %v", r)
	}
}

func TestDrillJSONEmptyListsAreArrays(t *testing.T) {
	cur := drill.Result{DrillID: "d", Runbook: "restore1", ProductionUnchanged: true, CleanedUp: true,
		Sites: []drill.Site{{SiteID: "s", Validated: true}}}
	var b bytes.Buffer
	if err := DrillJSON(&b, BuildDrill(cur, nil, DrillOptions{})); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"regressions": []`, `"steps": []`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %s in %s", want, b.String())
		}
	}
	b.Reset()
	_ = DrillJSON(&b, BuildDrill(drill.Result{DrillID: "e"}, nil, DrillOptions{}))
	if !strings.Contains(b.String(), `"sites": []`) || strings.Contains(b.String(), "null") {
		t.Errorf("a drill of no sites: %s", b.String())
	}
}

func TestDrillFigures(t *testing.T) {
	cur, prev := drillCase()
	r := BuildDrill(cur, prev, DrillOptions{})
	s := r.Summary
	// RTO over the 19 validated sites: 100..119 without 107. Nearest rank:
	// p50 is the 10th (110), p95 the 19th (119).
	if s.SitesTotal != 20 || s.SitesValidated != 19 || s.RTOP50 != 110 || s.RTOP95 != 119 || s.RTOMax != 119 || s.RPOP50 != 300 || s.RPOMax != 300 {
		t.Errorf("summary %+v", s)
	}
	if len(r.Steps) != 2 || r.Steps[0].StepID != "restore-db" || r.Steps[0].Sites != 20 || r.Steps[0].P50 != 29 || r.Steps[0].P95 != 38 || r.Steps[0].Max != 39 {
		t.Errorf("steps %+v", r.Steps)
	}
	var ids []string
	for _, p := range r.Trend {
		ids = append(ids, p.DrillID)
	}
	if strings.Join(ids, ",") != "w1,w2,w3,w4" || !r.Trend[3].Current || r.Trend[0].RTOP50 != 41 || r.Trend[0].RTOMax != 43 {
		t.Errorf("trend %+v", r.Trend)
	}
	if len(cur.Regressions) != 0 || cur.Sites[0].Steps == nil {
		t.Error("BuildDrill changed its input")
	}
}

func TestDrillMarkdown(t *testing.T) {
	cur, prev := drillCase()
	var b bytes.Buffer
	if err := DrillMarkdown(&b, BuildDrill(cur, prev, DrillOptions{WorkflowURL: "http://ui/wf"})); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"# DR drill w4: FAILED",
		"Result: **FAILED**",
		"Sites validated: 19 of 20",
		"Production unchanged: yes, over 200 tenants",
		"Cleaned up: yes (live sites 200 before, 200 after)",
		"Restore point: 2026-11-22 02:55:00 UTC (5m0s before the drill's start)",
		"RTO: p50 1m50s, p95 1m59s, max 1m59s",
		"RPO: p50 5m0s, max 5m0s",
		"## Regressions (against 3 previous drills of this runbook)",
		"- **failed-site** site `site-07`: not validated (parked): restore-db: shard down",
		"- **slower-step** step `restore-db`: median 29.5 s over 20 sites",
		"| site-07 | copy-07 | small | **no** | parked | - | 5m0s |",
		"| restore-db | 20 | 29s | 38s | 39s |",
		"| **w4** (this drill) |",
		"http://ui/wf",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	// One table row a site, the failed one first.
	if n := strings.Count(md, "| copy-"); n != 20 {
		t.Errorf("%d site rows", n)
	}
	if i, j := strings.Index(md, "| site-07 |"), strings.Index(md, "| site-00 |"); i < 0 || i > j {
		t.Error("the site that failed is not the first row")
	}
}

func TestDrillHTML(t *testing.T) {
	cur, prev := drillCase()
	var b bytes.Buffer
	if err := DrillHTML(&b, BuildDrill(cur, prev, DrillOptions{})); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	// Self-contained: nothing fetched, nothing run.
	for _, bad := range []string{"<script", "<link", "@import", "src=", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("page has %q", bad)
		}
	}
	for _, want := range []string{"Sites validated: 19 of 20", "Result: <b>FAILED</b>", "drills, oldest first", "time (RTO, RPO)",
		`<span class="kind">failed-site</span>`, "RTO p50", "RTO max", "RPO max"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(page, `<svg`); n != 1 {
		t.Fatalf("%d charts", n)
	}
	// One point a drill on each line, oldest first (x growing), the
	// current drill last.
	for _, class := range []string{"rto-p50", "rto-max", "rpo-max"} {
		re := regexp.MustCompile(`<circle class="pt ` + class + `" cx="([0-9.]+)" cy="([0-9.]+)"[^>]*><title>([^:]+):`)
		m := re.FindAllStringSubmatch(page, -1)
		if len(m) != 4 {
			t.Fatalf("%s: %d points, want 4", class, len(m))
		}
		last := -1.0
		var ids []string
		for _, p := range m {
			x, _ := strconv.ParseFloat(p[1], 64)
			if x <= last {
				t.Errorf("%s: x %v after %v", class, x, last)
			}
			last = x
			ids = append(ids, p[3])
		}
		if strings.Join(ids, ",") != "w1,w2,w3,w4" {
			t.Errorf("%s: points of %v", class, ids)
		}
	}
	// RTO max of w4 (119 s) is the highest point: the smallest y.
	re := regexp.MustCompile(`<circle class="pt rto-max" cx="[0-9.]+" cy="([0-9.]+)"`)
	var ys []float64
	for _, m := range re.FindAllStringSubmatch(page, -1) {
		y, _ := strconv.ParseFloat(m[1], 64)
		ys = append(ys, y)
	}
	if !(ys[3] < ys[2] && ys[2] < ys[1] && ys[1] < ys[0]) {
		t.Errorf("RTO max should rise drill after drill: y %v", ys)
	}
	if n := strings.Count(page, `<tr class="site">`); n != 20 {
		t.Errorf("%d site rows", n)
	}
}

func TestRenderDrillFormat(t *testing.T) {
	r := BuildDrill(drill.Result{DrillID: "d"}, nil, DrillOptions{})
	for _, f := range []string{"md", "html", "json"} {
		if err := RenderDrill(&bytes.Buffer{}, f, r); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if err := RenderDrill(&bytes.Buffer{}, "pdf", r); err == nil {
		t.Error("pdf rendered")
	}
}

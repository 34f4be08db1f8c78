package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/workflows"
)

func TestBuildFigures(t *testing.T) {
	r := Build(fixture(14), Options{GeneratedAt: t0.Add(time.Hour)})
	s := r.Summary
	if s.SitesTotal != 14 || s.SitesRestored != 12 {
		t.Fatalf("sites %d/%d", s.SitesRestored, s.SitesTotal)
	}
	// users: 10..23 = 231; parked sites 6 and 13 have 16+23 = 39 users.
	if s.UsersTotal != 231 || s.UsersRestored != 192 {
		t.Fatalf("users %d/%d", s.UsersRestored, s.UsersTotal)
	}
	if s.PctSites < 85.7 || s.PctSites > 85.8 {
		t.Fatalf("pct sites %.2f", s.PctSites)
	}
	if s.DataLossMin != 5*time.Minute || s.DataLossMax != 7*time.Minute {
		t.Fatalf("data loss %s..%s", s.DataLossMin, s.DataLossMax)
	}
	if s.Outcomes[workflows.SiteParked] != 2 {
		t.Fatalf("outcomes %v", s.Outcomes)
	}
	// Not restored sites first.
	if r.Sites[0].Outcome != workflows.SiteParked || r.Sites[1].Outcome != workflows.SiteParked {
		t.Fatalf("first rows %+v %+v", r.Sites[0], r.Sites[1])
	}
	conf := map[string]string{}
	for _, l := range r.Sites {
		conf[l.SiteID] = l.Confidence
	}
	if conf["site-0000"] != ConfidenceHigh || conf["site-0003"] != ConfidenceMedium || conf["site-0006"] != ConfidenceLow {
		t.Fatalf("confidence %v", conf)
	}
}

func TestTimelineOrdered(t *testing.T) {
	r := Build(fixture(20), Options{})
	if len(r.Timeline) < 6 {
		t.Fatalf("timeline %v", r.Timeline)
	}
	for i := 1; i < len(r.Timeline); i++ {
		if r.Timeline[i].At.Before(r.Timeline[i-1].At) {
			t.Fatalf("timeline out of order at %d: %v", i, r.Timeline)
		}
	}
	var whats []string
	for _, e := range r.Timeline {
		whats = append(whats, e.What)
	}
	joined := strings.Join(whats, "\n")
	for _, want := range []string{"first site deleted", "last site deleted", "started", "50% of sites restored", "site site-0006 parked", "batch ended"} {
		if !strings.Contains(joined, want) {
			t.Errorf("timeline lacks %q:\n%s", want, joined)
		}
	}
}

func TestMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := Render(&b, "md", Build(fixture(14), Options{WorkflowURL: "http://localhost:8233/namespaces/default/workflows/lazarus-batch-b-2022"})); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{"# Restore of 14 deleted sites", "## What happened", "| Sites | 12 | 14 | 85.7% |",
		"| Users | 192 | 231 | 83.1% |", "## Timeline", "site-0006 | parked", "connection reset", "5m0s", "high", "low",
		"http://localhost:8233/namespaces/default/workflows/lazarus-batch-b-2022"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(md)
	}
}

func TestJSON(t *testing.T) {
	var b bytes.Buffer
	if err := Render(&b, "json", Build(fixture(5), Options{})); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	sum := got["summary"].(map[string]any)
	if sum["sites_total"].(float64) != 5 || sum["sites_restored"].(float64) != 5 || sum["pct_users_restored"].(float64) != 100 {
		t.Fatalf("summary %v", sum)
	}
	sites := got["sites"].([]any)
	first := sites[0].(map[string]any)
	for _, k := range []string{"site_id", "restore_point", "expected_data_loss", "confidence", "deleted_at"} {
		if _, ok := first[k]; !ok {
			t.Errorf("site lacks %q: %v", k, first)
		}
	}
}

func TestHTMLHasGantt(t *testing.T) {
	var b bytes.Buffer
	r := Build(fixture(10), Options{UIBase: "http://localhost:8233/namespaces/default"})
	if err := Render(&b, "html", r); err != nil {
		t.Fatal(err)
	}
	h := b.String()
	if n := strings.Count(h, "<svg"); n != 2 {
		t.Fatalf("%d svgs, want 2 (restored over time, gantt)", n)
	}
	// 10 sites, 6 steps each except parked site 6 which stops at db-jira (3 steps).
	if n := strings.Count(h, `class="step"`); n != 9*6+3 {
		t.Fatalf("%d step bars", n)
	}
	for _, want := range []string{`aria-label="per-site step timeline"`, "stroke=\"#c62828\"", "catalog", "validation",
		"http://localhost:8233/namespaces/default/workflows/lazarus-site-site-0001", "<title>"} {
		if !strings.Contains(h, want) {
			t.Errorf("html lacks %q", want)
		}
	}
}

func TestHTMLEscapes(t *testing.T) {
	res := fixture(2)
	res.Sites[0].SiteID = `<script>alert(1)</script>`
	res.Sites[0].Steps[0].StepID = `"><b>x`
	var b bytes.Buffer
	if err := HTML(&b, Build(res, Options{})); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<script>alert") || strings.Contains(b.String(), `"><b>x`) {
		t.Fatal("unescaped input in html")
	}
}

func TestGanttCapsSites(t *testing.T) {
	var b bytes.Buffer
	r := Build(fixture(100), Options{GanttMaxSites: 20})
	if err := HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "The 20 slowest of 100 sites are drawn.") {
		t.Fatal("no cap note")
	}
}

func TestEmptyBatch(t *testing.T) {
	for _, f := range []string{"md", "html", "json"} {
		var b bytes.Buffer
		if err := Render(&b, f, Build(workflows.BatchResult{BatchID: "x"}, Options{})); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if err := Render(&bytes.Buffer{}, "pdf", Report{}); err == nil || !strings.Contains(err.Error(), "pdf") {
		t.Fatalf("got %v", err)
	}
}

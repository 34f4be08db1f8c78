package report

import (
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lazarus-dr/lazarus/workflows"
)

// stageColors is the palette for stages, assigned in sorted stage order.
var stageColors = []string{"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#edc948", "#76b7b2", "#ff9da7", "#9c755f", "#bab0ac", "#e15759"}

// HTML writes a self-contained page: summary, a chart of sites restored over
// time, a per-site step timeline (SVG Gantt) and the site table.
func HTML(w io.Writer, r Report) error {
	data := struct {
		Report
		Restored   template.HTML
		Gantt      template.HTML
		GanttNote  string
		Outcomes   string
		SiteLink   func(string) string
		Fmt        func(time.Time) string
		Dur        func(time.Duration) string
		PctSitesW  string
		PctUsersW  string
		Confidence map[string]int
		Switches   []Event
		ErrSpan    int
	}{
		Report: r, Restored: template.HTML(restoredSVG(r)), Gantt: template.HTML(ganttSVG(r)),
		Outcomes: outcomesLine(r.Summary.Outcomes), Fmt: fmtTime, Dur: roundDur,
		PctSitesW: fmt.Sprintf("%.1f%%", r.Summary.PctSites), PctUsersW: fmt.Sprintf("%.1f%%", r.Summary.PctUsers),
		Confidence: map[string]int{}, Switches: runbookSwitches(r), ErrSpan: 7,
	}
	if r.MultipleRunbooks() {
		data.ErrSpan = 8
	}
	for _, l := range r.Sites {
		data.Confidence[l.Confidence]++
	}
	data.SiteLink = func(site string) string {
		if r.uiBase == "" {
			return ""
		}
		return r.uiBase + "/workflows/" + workflows.SiteWorkflowID(site)
	}
	if n := len(r.gantt); n < countWithSteps(r) {
		data.GanttNote = fmt.Sprintf("The %d slowest of %d sites are drawn.", n, countWithSteps(r))
	}
	return pageTmpl.Execute(w, data)
}

func countWithSteps(r Report) int {
	n := 0
	for _, l := range r.Sites {
		if !l.StartedAt.IsZero() {
			n++
		}
	}
	if n < len(r.gantt) {
		n = len(r.gantt)
	}
	return n
}

var pageTmpl = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px 32px;color:#1d2433;background:#fff}
h1{font-size:24px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #e3e6ec;padding-bottom:4px}
.meta{color:#5b6475;font-size:13px}
.cards{display:flex;gap:16px;flex-wrap:wrap;margin-top:16px}
.card{border:1px solid #e3e6ec;border-radius:8px;padding:12px 16px;min-width:200px;background:#f8f9fb}
.card .big{font-size:30px;font-weight:700}
.bar{height:10px;background:#e3e6ec;border-radius:5px;overflow:hidden;margin-top:6px}
.bar span{display:block;height:100%;background:#59a14f}
table{border-collapse:collapse;font-size:12px;margin-top:8px}
th,td{border-bottom:1px solid #eef0f4;padding:3px 8px;text-align:left} th{background:#f3f5f8}
td.num{text-align:right}
.o-restored{color:#2f7d32}.o-parked,.o-failed,.o-aborted,.o-cancelled{color:#c62828;font-weight:600}
.c-high{color:#2f7d32}.c-medium{color:#b26a00}.c-low{color:#c62828}
ul.tl{font-size:13px} ul.tl li.op{font-weight:600} .err{color:#c62828;font-size:11px}
blockquote.status{margin:8px 0;padding:10px 14px;border-left:4px solid #4e79a7;background:#f3f6fb;font-size:15px;max-width:900px}
svg text{font-family:system-ui,sans-serif}
</style></head><body>
<h1>{{.Title}}</h1>
<div class="meta">Runbook <b>{{.Runbook}}</b>{{if .MultipleRunbooks}} · sites ran {{range $i, $c := .Runbooks}}{{if $i}}, {{end}}<b>{{$c.Runbook}}</b>{{end}}{{end}} · generated {{call .Fmt .GeneratedAt}} UTC{{if .WorkflowURL}} · <a href="{{.WorkflowURL}}">Temporal Web UI</a>{{end}}</div>
<div class="cards">
 <div class="card"><div>Sites restored</div><div class="big">{{.PctSitesW}}</div><div>{{.Summary.SitesRestored}} of {{.Summary.SitesTotal}}</div><div class="bar"><span style="width:{{.PctSitesW}}"></span></div></div>
 <div class="card"><div>Users restored</div><div class="big">{{.PctUsersW}}</div><div>{{.Summary.UsersRestored}} of {{.Summary.UsersTotal}}</div><div class="bar"><span style="width:{{.PctUsersW}}"></span></div></div>
 <div class="card"><div>Expected data loss</div><div class="big">{{call .Dur .Summary.DataLossMedian}}</div><div>median; {{call .Dur .Summary.DataLossMin}} to {{call .Dur .Summary.DataLossMax}}</div></div>
 <div class="card"><div>Time to restore a site</div><div class="big">{{call .Dur .Summary.RestoreMedian}}</div><div>median; max {{call .Dur .Summary.RestoreMax}}; batch {{call .Dur .Summary.Elapsed}}</div></div>
</div>
<h2>Status for customers</h2>
<blockquote class="status">{{range .Status.Text}}{{.}} {{end}}</blockquote>
<p class="meta">People to tell: <code>{{.ContactsCommand}}</code></p>
<h2>What happened</h2>
<ul>{{range .WhatHappened}}<li>{{.}}</li>{{end}}</ul>
<p class="meta">Outcomes: {{.Outcomes}}. Confidence of the data-loss figures: {{range $k, $v := .Confidence}}{{$v}} {{$k}} · {{end}}</p>
{{if .MultipleRunbooks}}<h2>Runbooks</h2>
<table class="runbooks"><tr><th>Runbook</th><th>Sites</th><th>Restored</th></tr>
{{range .Runbooks}}<tr><td>{{.Runbook}}</td><td class="num">{{.Sites}}</td><td class="num">{{.Restored}}</td></tr>
{{end}}</table>
{{with .Switches}}<ul class="tl">{{range .}}<li>{{call $.Fmt .At}} — {{.What}}</li>{{end}}</ul>{{end}}
{{end}}<h2>Sites restored over time</h2>
{{.Restored}}
<h2>Per-site step timeline</h2>
<p class="meta">One row per site, one bar per step, coloured by stage; red outline: a step that parked or failed. {{.GanttNote}}</p>
{{.Gantt}}
<h2>Timeline (UTC)</h2>
<ul class="tl">{{range .Timeline}}<li{{if .Operator}} class="op"{{end}}>{{call $.Fmt .At}} — {{.What}}</li>{{end}}</ul>
<h2>Sites</h2>
<table><tr><th>Site</th><th>Outcome</th>{{if .MultipleRunbooks}}<th>Runbook</th>{{end}}<th>Users</th><th>Deleted at</th><th>Restore point</th><th>Expected data loss</th><th>Confidence</th><th>Time to restore</th></tr>
{{range .Sites}}<tr><td>{{with call $.SiteLink .SiteID}}<a href="{{.}}">{{end}}{{.SiteID}}{{if call $.SiteLink .SiteID}}</a>{{end}}</td><td class="o-{{.Outcome}}">{{.Outcome}}</td>{{if $.MultipleRunbooks}}<td>{{.Runbook}}</td>{{end}}<td class="num">{{.Users}}</td><td>{{call $.Fmt .DeletedAt}}</td><td>{{call $.Fmt .RestorePoint}}</td><td class="num">{{call $.Dur .ExpectedDataLoss}}</td><td class="c-{{.Confidence}}" title="{{.ConfidenceWhy}}">{{.Confidence}}</td><td class="num">{{call $.Dur .Duration}}</td></tr>
{{range .Errors}}<tr><td></td><td colspan="{{$.ErrSpan}}" class="err">{{.}}</td></tr>{{end}}{{end}}
</table>
</body></html>
`))

func esc(s string) string { return template.HTMLEscapeString(s) }

// restoredSVG draws the cumulative count of restored sites over time.
func restoredSVG(r Report) string {
	var ends []time.Time
	for _, l := range r.Sites {
		if l.Outcome == workflows.SiteRestored && !l.EndedAt.IsZero() {
			ends = append(ends, l.EndedAt)
		}
	}
	const W, H, left, bottom, top = 900, 220, 60, 30, 10
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="sites restored over time">`, W, H, W, H)
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="#fbfcfd"/>`, W, H)
	if len(ends) == 0 || r.StartedAt.IsZero() {
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#5b6475">no site restored yet</text></svg>`, left, H/2)
		return b.String()
	}
	sort.Slice(ends, func(i, j int) bool { return ends[i].Before(ends[j]) })
	t0 := r.StartedAt
	t1 := ends[len(ends)-1]
	if !r.EndedAt.IsZero() && r.EndedAt.After(t1) {
		t1 = r.EndedAt
	}
	span := t1.Sub(t0)
	if span <= 0 {
		span = time.Second
	}
	total := r.Summary.SitesTotal
	pw, ph := float64(W-left-20), float64(H-top-bottom)
	x := func(t time.Time) float64 { return float64(left) + pw*float64(t.Sub(t0))/float64(span) }
	y := func(n int) float64 { return float64(top) + ph - ph*float64(n)/float64(total) }
	// Axes and grid.
	for _, f := range []float64{0, 0.25, 0.5, 0.75, 1} {
		yy := float64(top) + ph - ph*f
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e3e6ec"/>`, left, yy, W-20, yy)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#5b6475">%.0f%%</text>`, left-6, yy+4, f*100)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#5b6475">%s</text>`, left, H-8, t0.UTC().Format("15:04:05"))
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="end" fill="#5b6475">%s (+%s)</text>`, W-20, H-8, t1.UTC().Format("15:04:05"), roundDur(span))
	var path strings.Builder
	fmt.Fprintf(&path, "M%.1f,%.1f", x(t0), y(0))
	for i, e := range ends {
		fmt.Fprintf(&path, " L%.1f,%.1f L%.1f,%.1f", x(e), y(i), x(e), y(i+1))
	}
	fmt.Fprintf(&path, " L%.1f,%.1f", x(t1), y(len(ends)))
	fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="#59a14f" stroke-width="2.5"/>`, path.String())
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" fill="#2f7d32" text-anchor="end">%d sites</text>`, x(t1)-4, y(len(ends))+14, len(ends))
	b.WriteString(`</svg>`)
	return b.String()
}

// ganttSVG draws one row per site and one bar per step, coloured by stage.
func ganttSVG(r Report) string {
	sites := r.gantt
	var b strings.Builder
	const W, labelW, rowH, top, legendH = 1100, 170, 14, 24, 26
	if len(sites) == 0 {
		return `<svg xmlns="http://www.w3.org/2000/svg" width="600" height="40"><text x="10" y="25" fill="#5b6475">no step has started yet</text></svg>`
	}
	var t0, t1 time.Time
	stages := map[string]bool{}
	for _, s := range sites {
		a, e := stepBounds(s)
		if t0.IsZero() || a.Before(t0) {
			t0 = a
		}
		if e.After(t1) {
			t1 = e
		}
		for _, st := range s.Steps {
			stages[stageOf(st)] = true
		}
	}
	span := t1.Sub(t0)
	if span <= 0 {
		span = time.Millisecond
	}
	names := slices.Sorted(maps.Keys(stages))
	color := map[string]string{}
	for i, n := range names {
		color[n] = stageColors[i%len(stageColors)]
	}
	H := top + rowH*len(sites) + legendH + 20
	pw := float64(W - labelW - 20)
	x := func(t time.Time) float64 { return float64(labelW) + pw*float64(t.Sub(t0))/float64(span) }
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="gantt" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="per-site step timeline">`, W, H, W, H)
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="#fbfcfd"/>`, W, H)
	// Time ticks.
	for i := 0; i <= 5; i++ {
		xx := float64(labelW) + pw*float64(i)/5
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e3e6ec"/>`, xx, top-4, xx, top+rowH*len(sites))
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="10" text-anchor="middle" fill="#5b6475">+%s</text>`, xx, top-8, roundDur(span*time.Duration(i)/5))
	}
	for i, s := range sites {
		yy := top + rowH*i
		if i%2 == 1 {
			fmt.Fprintf(&b, `<rect x="0" y="%d" width="%d" height="%d" fill="#f3f5f8"/>`, yy, W, rowH)
		}
		label := s.SiteID
		if len(label) > 24 {
			label = label[:23] + "…"
		}
		fill := "#1d2433"
		if s.Outcome != workflows.SiteRestored {
			fill = "#c62828"
		}
		fmt.Fprintf(&b, `<text x="4" y="%d" font-size="10" fill="%s">%s</text>`, yy+rowH-3, fill, esc(label))
		for _, st := range s.Steps {
			if st.StartedAt.IsZero() {
				continue
			}
			end := st.EndedAt
			if end.IsZero() {
				end = st.StartedAt
			}
			x0, x1 := x(st.StartedAt), x(end)
			w := x1 - x0
			if w < 1.5 {
				w = 1.5
			}
			stroke := ""
			if st.Status == workflows.StepParked || st.Status == workflows.StepFailed {
				stroke = ` stroke="#c62828" stroke-width="1.5"`
			}
			fmt.Fprintf(&b, `<rect class="step" x="%.1f" y="%d" width="%.1f" height="%d" rx="2" fill="%s" fill-opacity="0.85"%s><title>%s %s: %s (%s, %s)</title></rect>`,
				x0, yy+2, w, rowH-4, color[stageOf(st)], stroke, esc(s.SiteID), esc(st.StepID), esc(st.Status), esc(st.Action), roundDur(end.Sub(st.StartedAt)))
		}
	}
	// Legend.
	ly := top + rowH*len(sites) + 18
	lx := labelW
	for _, n := range names {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d" font-size="11" fill="#1d2433">%s</text>`, lx, ly, color[n], lx+16, ly+10, esc(n))
		lx += 24 + 7*len(n)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func stageOf(st workflows.StepState) string {
	if st.Stage != "" {
		return st.Stage
	}
	if st.Service != "" {
		return st.Service
	}
	return "other"
}

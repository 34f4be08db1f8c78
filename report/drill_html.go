package report

import (
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/lazarus-dr/lazarus/drill"
)

// DrillHTML writes a drill's report as one self-contained page (no
// scripts, no fonts or images fetched): the summary, the regressions, an
// SVG chart of RTO and RPO across the drills, the sites and the slowest
// steps.
func DrillHTML(w io.Writer, r DrillReport) error {
	steps := r.Steps
	if len(steps) > drillSlowestSteps {
		steps = steps[:drillSlowestSteps]
	}
	var lines []template.HTML
	for _, l := range drillSummaryLines(r) {
		lines = append(lines, boldHTML(l))
	}
	data := struct {
		DrillReport
		Lines    []template.HTML
		Chart    template.HTML
		Steps    []StepStat
		Previous string
		Verdict  string
		Secs     func(float64) string
		RTO      func(drill.Site) string
	}{
		DrillReport: r, Lines: lines, Chart: template.HTML(drillTrendSVG(r.Trend)), Steps: steps,
		Previous: previousWords(r), Verdict: passedWord(r.Result.Passed), Secs: secs, RTO: siteRTO,
	}
	return drillTmpl.Execute(w, data)
}

// boldHTML escapes s and turns its **bold** Markdown into <b>.
func boldHTML(s string) template.HTML {
	parts := strings.Split(template.HTMLEscapeString(s), "**")
	var b strings.Builder
	for i, p := range parts {
		if i > 0 && i%2 == 1 {
			b.WriteString("<b>")
		} else if i > 0 {
			b.WriteString("</b>")
		}
		b.WriteString(p)
	}
	if len(parts)%2 == 0 {
		b.WriteString("</b>")
	}
	return template.HTML(b.String())
}

var drillTmpl = template.Must(template.New("drill").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px 32px;color:#1d2433;background:#fff}
h1{font-size:24px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #e3e6ec;padding-bottom:4px}
.meta{color:#5b6475;font-size:13px}
.verdict{display:inline-block;padding:2px 10px;border-radius:6px;color:#fff;font-weight:700}
.v-PASSED{background:#2f7d32}.v-FAILED{background:#c62828}
table{border-collapse:collapse;font-size:12px;margin-top:8px}
th,td{border-bottom:1px solid #eef0f4;padding:3px 8px;text-align:left} th{background:#f3f5f8}
td.num{text-align:right}
.yes{color:#2f7d32}.no{color:#c62828;font-weight:600}
ul.reg li{margin:2px 0} .kind{font-family:ui-monospace,monospace;color:#c62828}
.err{color:#c62828;font-size:11px}
svg text{font-family:system-ui,sans-serif}
</style></head><body>
<h1>{{.Title}}</h1>
<div class="meta"><span class="verdict v-{{.Verdict}}">{{.Verdict}}</span> Runbook <b>{{.Result.Runbook}}</b>{{if .Result.ScheduleID}} · schedule <b>{{.Result.ScheduleID}}</b>{{end}} · generated {{.GeneratedAt.Format "2006-01-02 15:04:05"}} UTC{{if .WorkflowURL}} · <a href="{{.WorkflowURL}}">Temporal Web UI</a>{{end}}</div>
<h2>Summary</h2>
<ul>{{range .Lines}}<li>{{.}}</li>{{end}}</ul>
{{if .Result.Errors}}<p>What went wrong:</p><ul>{{range .Result.Errors}}<li class="err">{{.}}</li>{{end}}</ul>{{end}}
<h2>Regressions (against {{.Previous}})</h2>
{{if .Result.Regressions}}<ul class="reg">{{range .Result.Regressions}}<li><span class="kind">{{.Kind}}</span>{{if .SiteID}} site <code>{{.SiteID}}</code>{{end}}{{if .StepID}} step <code>{{.StepID}}</code>{{end}}: {{.Detail}}</li>{{end}}</ul>{{else}}<p>None.</p>{{end}}
<h2>RTO and RPO across drills</h2>
<p class="meta">One point a drill, oldest first; the last is this drill. RTO: drill start to copy validated (p50 and max over the validated sites). RPO: drill start minus the copy's restore point (max over the sites).</p>
{{.Chart}}
<h2>Sites ({{.Summary.SitesValidated}} of {{.Summary.SitesTotal}} validated)</h2>
<table><tr><th>Site</th><th>Copy</th><th>Stratum</th><th>Validated</th><th>Outcome</th><th>RTO</th><th>RPO</th></tr>
{{range .SitesShown}}<tr class="site"><td>{{.SiteID}}</td><td>{{.CopyID}}</td><td>{{.Stratum}}</td>{{if .Validated}}<td class="yes">yes</td>{{else}}<td class="no">no</td>{{end}}<td>{{.Outcome}}</td><td class="num">{{call $.RTO .}}</td><td class="num">{{call $.Secs .RPOSeconds}}</td></tr>
{{range .Errors}}<tr><td></td><td colspan="6" class="err">{{.}}</td></tr>{{end}}{{end}}
</table>
<h2>Slowest steps ({{len .Steps}} of {{len .DrillReport.Steps}}, by p95 across sites)</h2>
<table><tr><th>Step</th><th>Sites</th><th>p50</th><th>p95</th><th>max</th></tr>
{{range .Steps}}<tr class="step"><td>{{.StepID}}</td><td class="num">{{.Sites}}</td><td class="num">{{call $.Secs .P50}}</td><td class="num">{{call $.Secs .P95}}</td><td class="num">{{call $.Secs .Max}}</td></tr>
{{end}}</table>
</body></html>
`))

// trendSeries are the lines of the trend chart: a name, its colour and its
// value of a drill.
var trendSeries = []struct {
	class, name, color string
	value              func(TrendPoint) float64
}{
	{"rto-p50", "RTO p50", "#4e79a7", func(p TrendPoint) float64 { return p.RTOP50 }},
	{"rto-max", "RTO max", "#e15759", func(p TrendPoint) float64 { return p.RTOMax }},
	{"rpo-max", "RPO max", "#59a14f", func(p TrendPoint) float64 { return p.RPOMax }},
}

// drillTrendSVG draws RTO p50, RTO max and RPO max of each drill, oldest
// first, with a labelled time axis and the drills' IDs under their points.
func drillTrendSVG(points []TrendPoint) string {
	const W, H, left, right, top, bottom = 900, 280, 70, 130, 16, 64
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="trend" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="RTO and RPO across drills">`, W, H, W, H)
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="#fbfcfd"/>`, W, H)
	if len(points) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#5b6475">no drill to draw</text></svg>`, left, H/2)
		return b.String()
	}
	maxY := 0.0
	for _, p := range points {
		for _, s := range trendSeries {
			maxY = max(maxY, s.value(p))
		}
	}
	if maxY <= 0 {
		maxY = 1
	}
	maxY *= 1.1
	pw, ph := float64(W-left-right), float64(H-top-bottom)
	x := func(i int) float64 {
		if len(points) == 1 {
			return float64(left) + pw/2
		}
		return float64(left) + pw*float64(i)/float64(len(points)-1)
	}
	y := func(v float64) float64 { return float64(top) + ph - ph*v/maxY }
	// Grid, the seconds axis and its label.
	for _, f := range []float64{0, 0.25, 0.5, 0.75, 1} {
		yy := y(f * maxY)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e3e6ec"/>`, left, yy, W-right, yy)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#5b6475">%s</text>`, left-6, yy+4, secs(f*maxY))
	}
	fmt.Fprintf(&b, `<text class="axis-label" x="14" y="%.1f" font-size="12" fill="#1d2433" transform="rotate(-90 14 %.1f)" text-anchor="middle">time (RTO, RPO)</text>`, float64(top)+ph/2, float64(top)+ph/2)
	fmt.Fprintf(&b, `<text class="axis-label" x="%.1f" y="%d" font-size="12" fill="#1d2433" text-anchor="middle">drills, oldest first</text>`, float64(left)+pw/2, H-6)
	// The drills' IDs under their points (every one when they fit).
	every := 1 + len(points)/12
	for i, p := range points {
		if i%every != 0 && i != len(points)-1 {
			continue
		}
		label := p.DrillID
		if len(label) > 22 {
			label = "…" + label[len(label)-21:]
		}
		weight := ""
		if p.Current {
			weight = ` font-weight="700"`
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="10" fill="#5b6475" text-anchor="middle"%s>%s</text>`, x(i), H-bottom+16, weight, esc(label))
	}
	// One line and one point a drill for each series, and the legend.
	for k, s := range trendSeries {
		var path strings.Builder
		for i, p := range points {
			cmd := " L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&path, "%s%.1f,%.1f", cmd, x(i), y(s.value(p)))
		}
		fmt.Fprintf(&b, `<path class="line %s" d="%s" fill="none" stroke="%s" stroke-width="2"/>`, s.class, path.String(), s.color)
		for i, p := range points {
			r := 3.5
			if p.Current {
				r = 5.5
			}
			fmt.Fprintf(&b, `<circle class="pt %s" cx="%.1f" cy="%.1f" r="%.1f" fill="%s"><title>%s: %s %s (%s)</title></circle>`,
				s.class, x(i), y(s.value(p)), r, s.color, esc(p.DrillID), s.name, secs(s.value(p)), fmtTime(p.StartedAt))
		}
		ly := top + 8 + 18*k
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="3" fill="%s"/><text x="%d" y="%d" font-size="11" fill="#1d2433">%s</text>`,
			W-right+16, ly, s.color, W-right+32, ly+5, s.name)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

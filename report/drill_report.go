package report

import (
	"fmt"
	"io"
	"math"
	"sort"
	"time"

	"github.com/lazarus-dr/lazarus/drill"
)

// DrillOptions shape a drill's report.
type DrillOptions struct {
	// Title defaults to "DR drill ID: PASSED" (or FAILED).
	Title string
	// WorkflowURL is the Temporal Web UI link of the drill.
	WorkflowURL string
	// GeneratedAt defaults to time.Now().
	GeneratedAt time.Time
}

// DrillReport is a drill's report: its result with the regressions against
// the previous drills filled in, and the figures the Markdown and the HTML
// show. Its JSON format is Result alone (DrillJSON).
type DrillReport struct {
	Result drill.Result
	// Previous are the earlier drills of the same runbook, oldest first.
	Previous    []drill.Result
	Title       string
	GeneratedAt time.Time
	WorkflowURL string
	Summary     DrillSummary
	// Steps are the per-step figures across the drill's sites, slowest
	// (by p95) first.
	Steps []StepStat
	// Trend is one point a drill: the previous drills, then this one.
	Trend []TrendPoint
}

// DrillSummary is a drill's headline figures, in seconds. RTO figures are
// over the validated sites (a site that was not validated has no RTO);
// RPO figures over the sites that recorded one.
type DrillSummary struct {
	SitesTotal     int
	SitesValidated int
	RTOP50         float64
	RTOP95         float64
	RTOMax         float64
	RPOP50         float64
	RPOMax         float64
}

// StepStat is one step's time across the drill's sites that completed it.
type StepStat struct {
	StepID string
	Sites  int
	P50    float64
	P95    float64
	Max    float64
}

// TrendPoint is one drill's RTO and RPO, for the trend chart.
type TrendPoint struct {
	DrillID   string
	StartedAt time.Time
	Passed    bool
	Current   bool
	RTOP50    float64
	RTOMax    float64
	RPOP50    float64
	RPOMax    float64
}

// BuildDrill computes the report of drill cur against previous, the
// completed drills of the same runbook that started before it (any
// order). cur and previous are not changed.
func BuildDrill(cur drill.Result, previous []drill.Result, opts DrillOptions) DrillReport {
	gen := opts.GeneratedAt
	if gen.IsZero() {
		gen = time.Now()
	}
	prev := append([]drill.Result(nil), previous...)
	sort.SliceStable(prev, func(i, j int) bool {
		if !prev[i].StartedAt.Equal(prev[j].StartedAt) {
			return prev[i].StartedAt.Before(prev[j].StartedAt)
		}
		return prev[i].DrillID < prev[j].DrillID
	})
	res := normalized(cur)
	res.Regressions = drill.Regressions(res, prev)
	if res.Regressions == nil {
		res.Regressions = []drill.Regression{}
	}
	r := DrillReport{Result: res, Previous: prev, GeneratedAt: gen.UTC(), WorkflowURL: opts.WorkflowURL, Title: opts.Title}
	if r.Title == "" {
		r.Title = fmt.Sprintf("DR drill %s: %s", res.DrillID, passedWord(res.Passed))
	}
	r.Summary = drillSummary(res)
	r.Steps = stepStats(res)
	for _, p := range prev {
		r.Trend = append(r.Trend, trendPoint(p, false))
	}
	r.Trend = append(r.Trend, trendPoint(res, true))
	return r
}

// normalized is r with its lists never null in JSON: sites, each site's
// steps and the regressions are empty arrays when there are none.
func normalized(r drill.Result) drill.Result {
	sites := make([]drill.Site, len(r.Sites))
	copy(sites, r.Sites)
	for i := range sites {
		if sites[i].Steps == nil {
			sites[i].Steps = []drill.Step{}
		}
	}
	r.Sites = sites
	r.Regressions = append([]drill.Regression{}, r.Regressions...)
	return r
}

// SitesShown are the drill's sites as the tables show them: the sites
// that were not validated first (the rows a reader acts on), then by site
// ID.
func (r DrillReport) SitesShown() []drill.Site {
	sites := append([]drill.Site(nil), r.Result.Sites...)
	sort.SliceStable(sites, func(i, j int) bool {
		if sites[i].Validated != sites[j].Validated {
			return !sites[i].Validated
		}
		return sites[i].SiteID < sites[j].SiteID
	})
	return sites
}

func drillSummary(r drill.Result) DrillSummary {
	s := DrillSummary{SitesTotal: len(r.Sites)}
	var rto, rpo []float64
	for _, site := range r.Sites {
		if site.Validated {
			s.SitesValidated++
			rto = append(rto, site.RTOSeconds)
		}
		if site.RPOSeconds > 0 {
			rpo = append(rpo, site.RPOSeconds)
		}
	}
	s.RTOP50, s.RTOP95, s.RTOMax = percentile(rto, 50), percentile(rto, 95), percentile(rto, 100)
	s.RPOP50, s.RPOMax = percentile(rpo, 50), percentile(rpo, 100)
	return s
}

// stepStats are the completed steps' times by step ID, slowest p95 first
// (then by step ID).
func stepStats(r drill.Result) []StepStat {
	by := map[string][]float64{}
	for _, site := range r.Sites {
		for _, st := range site.Steps {
			if st.Status == "done" || st.Status == "" {
				by[st.StepID] = append(by[st.StepID], st.Seconds)
			}
		}
	}
	out := make([]StepStat, 0, len(by))
	for id, xs := range by {
		out = append(out, StepStat{StepID: id, Sites: len(xs), P50: percentile(xs, 50), P95: percentile(xs, 95), Max: percentile(xs, 100)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].P95 != out[j].P95 {
			return out[i].P95 > out[j].P95
		}
		return out[i].StepID < out[j].StepID
	})
	return out
}

func trendPoint(r drill.Result, current bool) TrendPoint {
	s := drillSummary(r)
	return TrendPoint{DrillID: r.DrillID, StartedAt: r.StartedAt, Passed: r.Passed, Current: current,
		RTOP50: s.RTOP50, RTOMax: s.RTOMax, RPOP50: s.RPOP50, RPOMax: s.RPOMax}
}

// percentile is the nearest-rank p-th percentile of xs (p in 1..100: the
// smallest value with at least p% of the values at or below it); 0 when
// xs is empty. Nearest rank always answers a value that was measured.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	k := int(math.Ceil(p / 100 * float64(len(s))))
	if k < 1 {
		k = 1
	}
	if k > len(s) {
		k = len(s)
	}
	return s[k-1]
}

func passedWord(passed bool) string {
	if passed {
		return "PASSED"
	}
	return "FAILED"
}

// secs prints a number of seconds as a rounded duration.
func secs(x float64) string { return roundDur(time.Duration(x * float64(time.Second))) }

// RenderDrill writes r in format (md, html or json).
func RenderDrill(w io.Writer, format string, r DrillReport) error {
	switch format {
	case FormatMarkdown, "markdown":
		return DrillMarkdown(w, r)
	case FormatHTML:
		return DrillHTML(w, r)
	case FormatJSON:
		return DrillJSON(w, r)
	default:
		return fmt.Errorf("report format %q: want md, html or json", format)
	}
}

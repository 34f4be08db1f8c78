package drill

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Thresholds of a regression.
const (
	// SlowerFactor: a step is slower when it takes more than this many
	// times its median over the previous drills (25% more).
	SlowerFactor = 1.25
	// SlowerFloorSeconds: and when it is also this much slower in absolute
	// terms. A step of under 4 s is within a second of its median from
	// scheduling noise alone (a worker poll, a task queue hop), so 25% of it
	// is no signal; such a step is flagged only when it is more than a
	// second slower, and a 0.5 s step that now takes 10 s still is.
	SlowerFloorSeconds = 1.0
	// PointSlack is how far a site's restore point may be from the
	// drill's requested point before it has drifted: the clone planner
	// and the WAL replay land within milliseconds of the point asked for.
	PointSlack = time.Second
)

// stepDone is a step's status when it ran to completion (workflows.StepDone;
// this package cannot import workflows, which imports it).
const stepDone = "done"

// Regressions are what cur does worse than the previous drills (any
// order; the caller passes the completed drills of the same runbook), in
// a deterministic order: production changed, not cleaned up, failed sites
// (by site ID), restore points that drifted (by site ID), slower steps (by
// step ID). A drill with no previous drills can still regress on all but
// slower steps: those are judged against the drill's own requirements.
//
// The kinds:
//
//   - production-changed: a production tenant's checksum changed.
//   - not-cleaned-up: a drill copy, clone or object is left.
//   - failed-site: a sampled site was not validated.
//   - restore-point-drift: a site's restore point is more than PointSlack
//     away from the drill's requested point (cur.RestorePoint), earlier or
//     later. This is judged against the point asked for, not against the
//     RPO of earlier drills: a drill's RPO is mostly the --point-age it was
//     given, which an operator may change between drills, so an RPO 25%
//     above earlier ones would flag a setting and miss a real drift of a
//     few seconds; the distance to the point asked for is the drift itself.
//   - slower-step: a step whose median over this drill's sites is more
//     than SlowerFactor times its baseline and more than SlowerFloorSeconds
//     above it. The baseline is the median over the previous drills of
//     each drill's median over its sites (per drill, then median): every
//     drill weighs the same whatever its sample size, so one 100-site drill
//     does not outvote five 20-site ones, and one slow site in an earlier
//     drill does not move the baseline. The current drill is summed up the
//     same way, so like is compared with like and a step regresses once,
//     not once a site. Only steps that ran to completion ("done") count: a
//     skipped step took no time and a failed one stopped early.
func Regressions(cur Result, previous []Result) []Regression {
	var out []Regression
	if !cur.ProductionUnchanged {
		out = append(out, Regression{Kind: RegressionProduction, Detail: productionDetail(cur)})
	}
	if !cur.CleanedUp {
		out = append(out, Regression{Kind: RegressionNotCleaned, Detail: cleanupDetail(cur)})
	}
	sites := append([]Site(nil), cur.Sites...)
	sort.SliceStable(sites, func(i, j int) bool { return sites[i].SiteID < sites[j].SiteID })
	for _, s := range sites {
		if !s.Validated {
			out = append(out, Regression{Kind: RegressionFailedSite, SiteID: s.SiteID, Detail: failedDetail(s)})
		}
	}
	for _, s := range sites {
		if s.RestorePoint.IsZero() || cur.RestorePoint.IsZero() {
			continue
		}
		d := s.RestorePoint.Sub(cur.RestorePoint)
		if d.Abs() <= PointSlack {
			continue
		}
		dir := "earlier"
		if d > 0 {
			dir = "later"
		}
		out = append(out, Regression{Kind: RegressionPointDrift, SiteID: s.SiteID,
			Detail: fmt.Sprintf("restored to %s, %s %s than the drill's point %s (more than %s off)",
				s.RestorePoint.UTC().Format(time.RFC3339Nano), roundSeconds(d.Abs()), dir,
				cur.RestorePoint.UTC().Format(time.RFC3339Nano), PointSlack)})
	}
	return append(out, slowerSteps(cur, previous)...)
}

// slowerSteps are the slower-step regressions of cur, by step ID.
func slowerSteps(cur Result, previous []Result) []Regression {
	// per[step] holds one median a previous drill.
	per := map[string][]float64{}
	for _, p := range previous {
		for id, secs := range stepSeconds(p) {
			per[id] = append(per[id], median(secs))
		}
	}
	now := stepSeconds(cur)
	ids := make([]string, 0, len(now))
	for id := range now {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []Regression
	for _, id := range ids {
		base, ok := per[id]
		if !ok {
			continue // a new step: nothing to compare with
		}
		m, c := median(base), median(now[id])
		if c <= m*SlowerFactor || c-m <= SlowerFloorSeconds {
			continue
		}
		slower := "slower"
		if m > 0 {
			slower = fmt.Sprintf("%.0f%% slower", 100*(c-m)/m)
		}
		out = append(out, Regression{Kind: RegressionSlowerStep, StepID: id, Seconds: c, MedianSeconds: m,
			Detail: fmt.Sprintf("median %.1f s over %s, %s than %.1f s, its median over %s",
				c, count(len(now[id]), "site"), slower, m, count(len(base), "previous drill"))})
	}
	return out
}

// stepSeconds is the seconds of every completed step of r, by step ID, one
// entry a site that ran it.
func stepSeconds(r Result) map[string][]float64 {
	out := map[string][]float64{}
	for _, s := range r.Sites {
		for _, st := range s.Steps {
			if st.Status == stepDone || st.Status == "" {
				out[st.StepID] = append(out[st.StepID], st.Seconds)
			}
		}
	}
	return out
}

// median is the middle value of xs (the mean of the two middle ones when
// there is an even number); 0 when xs is empty. xs is not changed.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func productionDetail(r Result) string {
	if len(r.ProductionChanged) == 0 {
		return fmt.Sprintf("production was not proven unchanged (%d tenants checked)", r.ProductionChecked)
	}
	return fmt.Sprintf("%d of %d production tenants changed: %s", len(r.ProductionChanged), r.ProductionChecked, firstFew(r.ProductionChanged, 5))
}

func cleanupDetail(r Result) string {
	return fmt.Sprintf("the drill's copies were not all removed (live sites %d before, %d after)", r.LiveSitesBefore, r.LiveSitesAfter)
}

func failedDetail(s Site) string {
	d := "not validated"
	if s.Outcome != "" {
		d += " (" + s.Outcome + ")"
	}
	if len(s.Errors) > 0 {
		d += ": " + s.Errors[0]
	}
	return d
}

// firstFew is the first n of xs, comma-separated, and how many more.
func firstFew(xs []string, n int) string {
	if len(xs) <= n {
		return strings.Join(xs, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(xs[:n], ", "), len(xs)-n)
}

// count is "1 thing" or "n things".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// roundSeconds prints d to the millisecond.
func roundSeconds(d time.Duration) string { return d.Round(time.Millisecond).String() }

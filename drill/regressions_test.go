package drill

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)

// clean is a drill that passed: every site validated at the drill's point,
// each site's steps taking the given seconds (step ID -> seconds).
func clean(id string, sites int, steps map[string]float64) Result {
	r := Result{DrillID: id, Runbook: DefaultRunbook, RestorePoint: t0, ProductionUnchanged: true, ProductionChecked: 10, CleanedUp: true, Passed: true}
	for i := 0; i < sites; i++ {
		s := Site{SiteID: string(rune('a'+i)) + "-site", Validated: true, Outcome: "restored", RestorePoint: t0}
		for id, secs := range steps {
			s.Steps = append(s.Steps, Step{StepID: id, Status: stepDone, Seconds: secs})
		}
		r.Sites = append(r.Sites, s)
	}
	return r
}

func kinds(rs []Regression) []string {
	var out []string
	for _, r := range rs {
		k := r.Kind
		if r.SiteID != "" {
			k += ":" + r.SiteID
		}
		if r.StepID != "" {
			k += ":" + r.StepID
		}
		out = append(out, k)
	}
	return out
}

func TestRegressionsNoneWhenLikeBefore(t *testing.T) {
	steps := map[string]float64{"restore-db": 10, "create-site": 2}
	prev := []Result{clean("d1", 3, steps), clean("d2", 5, steps)}
	if got := Regressions(clean("d3", 4, steps), prev); len(got) != 0 {
		t.Errorf("a drill like the previous ones: %v", kinds(got))
	}
	if got := Regressions(clean("d1", 4, steps), nil); len(got) != 0 {
		t.Errorf("a first clean drill: %v", kinds(got))
	}
}

func TestRegressionsSlowerStep(t *testing.T) {
	prev := []Result{
		clean("d1", 3, map[string]float64{"restore-db": 10, "tiny": 0.4, "new-ish": 5}),
		clean("d2", 3, map[string]float64{"restore-db": 12, "tiny": 0.5}),
		clean("d3", 3, map[string]float64{"restore-db": 11, "tiny": 0.6}),
	}
	// restore-db: baseline median 11 s; 13.75 s is exactly 25% more (not
	// flagged), 14 s is more. tiny: 0.5 s baseline, 1.4 s is 180% more but
	// under the 1 s floor; new-ish is 5 s in one drill only.
	cur := clean("d4", 3, map[string]float64{"restore-db": 13.75, "tiny": 1.4, "new-ish": 6, "brand-new": 100})
	if got := Regressions(cur, prev); len(got) != 0 {
		t.Fatalf("at the thresholds: %v", kinds(got))
	}
	cur = clean("d4", 3, map[string]float64{"restore-db": 14, "tiny": 1.6, "new-ish": 6.3})
	got := Regressions(cur, prev)
	want := []string{"slower-step:new-ish", "slower-step:restore-db", "slower-step:tiny"}
	if !reflect.DeepEqual(kinds(got), want) {
		t.Fatalf("got %v, want %v", kinds(got), want)
	}
	if r := got[1]; r.Seconds != 14 || r.MedianSeconds != 11 || !strings.Contains(r.Detail, "27% slower than 11.0 s") || !strings.Contains(r.Detail, "3 previous drills") {
		t.Errorf("restore-db: %+v", r)
	}
}

// The baseline is per drill, then median: one big drill with one slow
// site does not move it.
func TestRegressionsBaselinePerDrill(t *testing.T) {
	big := clean("d1", 9, map[string]float64{"s": 10})
	for i := 0; i < 4; i++ {
		big.Sites[i].Steps[0].Seconds = 40 // 4 of 9 sites slow: this drill's median is still 10
	}
	prev := []Result{big, clean("d2", 1, map[string]float64{"s": 10}), clean("d3", 1, map[string]float64{"s": 10})}
	got := Regressions(clean("d4", 2, map[string]float64{"s": 13}), prev)
	if want := []string{"slower-step:s"}; !reflect.DeepEqual(kinds(got), want) {
		t.Errorf("got %v, want %v (the baseline should be 10 s)", kinds(got), want)
	}
	// Only completed steps count: a skipped 0 s step in the current drill
	// does not pull its median down, a failed one does not count either.
	cur := clean("d4", 3, map[string]float64{"s": 13})
	cur.Sites[0].Steps[0] = Step{StepID: "s", Status: "skipped"}
	cur.Sites[1].Steps[0] = Step{StepID: "s", Status: "failed", Seconds: 1}
	if got := Regressions(cur, prev); len(got) != 1 || got[0].Seconds != 13 {
		t.Errorf("skipped and failed steps counted: %+v", got)
	}
}

func TestRegressionsEverythingWrong(t *testing.T) {
	prev := []Result{clean("d1", 2, map[string]float64{"s": 10})}
	cur := clean("d2", 4, map[string]float64{"s": 10})
	cur.ProductionUnchanged, cur.ProductionChanged = false, []string{"live-1", "live-2"}
	cur.CleanedUp, cur.LiveSitesBefore, cur.LiveSitesAfter = false, 100, 101
	cur.Sites[2].Validated, cur.Sites[2].Outcome, cur.Sites[2].Errors = false, "parked", []string{"restore-db: boom"}
	cur.Sites[0].Validated = false
	cur.Sites[3].RestorePoint = t0.Add(-1500 * time.Millisecond) // drifted
	cur.Sites[1].RestorePoint = t0.Add(-900 * time.Millisecond)  // within a second
	cur.Sites[0].RestorePoint = t0.Add(3 * time.Second)          // later is drift too
	cur.Sites[2].Steps[0].Seconds = 100
	cur.Sites[3].Steps[0].Seconds = 100
	cur.Sites[1].Steps[0].Seconds = 100
	got := Regressions(cur, prev)
	want := []string{"production-changed", "not-cleaned-up", "failed-site:a-site", "failed-site:c-site",
		"restore-point-drift:a-site", "restore-point-drift:d-site", "slower-step:s"}
	if !reflect.DeepEqual(kinds(got), want) {
		t.Fatalf("got %v\nwant %v", kinds(got), want)
	}
	for _, c := range []struct {
		i    int
		want string
	}{
		{0, "2 of 10 production tenants changed: live-1, live-2"},
		{1, "live sites 100 before, 101 after"},
		{3, "not validated (parked): restore-db: boom"},
		{4, "3s later"},
		{5, "1.5s earlier"},
	} {
		if !strings.Contains(got[c.i].Detail, c.want) {
			t.Errorf("%s: detail %q lacks %q", got[c.i].Kind, got[c.i].Detail, c.want)
		}
	}
	// The same input, shuffled, gives the same list.
	cur.Sites[0], cur.Sites[3] = cur.Sites[3], cur.Sites[0]
	if again := Regressions(cur, prev); !reflect.DeepEqual(again, got) {
		t.Errorf("order depends on the input's order:\n%v\n%v", kinds(again), kinds(got))
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

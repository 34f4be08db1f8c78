package pitr

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"
)

var day = time.Date(2022, 4, 5, 0, 0, 0, 0, time.UTC)

// disaster2022 is 883 deletions spread evenly over 07:38-08:01 UTC.
func disaster2022() []PlanSite {
	start := day.Add(7*time.Hour + 38*time.Minute)
	span := 23 * time.Minute
	n := 883
	sites := make([]PlanSite, n)
	for i := range sites {
		sites[i] = PlanSite{SiteID: fmt.Sprintf("site-%03d", i),
			DeletedAt: start.Add(time.Duration(int64(span) * int64(i) / int64(n-1)))}
	}
	return sites
}

func checkPlan(t *testing.T, in PlanInput, plan ClonePlan) {
	t.Helper()
	tol := in.Tolerance
	if tol == 0 {
		tol = DefaultTolerance
	}
	off := in.Offset
	if off == 0 {
		off = DefaultOffset
	}
	if len(plan.Sites) != len(in.Sites) {
		t.Fatalf("%d assignments for %d sites", len(plan.Sites), len(in.Sites))
	}
	served := 0
	for ci, c := range plan.Clones {
		served += len(c.Sites)
		if c.Point.Nanosecond()%1000 != 0 {
			t.Errorf("clone %d point %s has sub-microsecond precision", ci, c.Point)
		}
	}
	if served != len(in.Sites) {
		t.Errorf("clones serve %d sites, want %d", served, len(in.Sites))
	}
	for i, s := range in.Sites {
		a := plan.Sites[i]
		if a.SiteID != s.SiteID {
			t.Fatalf("assignment %d is %s, want %s (input order)", i, a.SiteID, s.SiteID)
		}
		rp := s.RestorePoint
		if rp.IsZero() {
			rp = s.DeletedAt.Add(-off)
		}
		if !a.RestorePoint.Equal(rp) {
			t.Errorf("site %s: restore point %s, want %s", s.SiteID, a.RestorePoint, rp)
		}
		if a.Point.After(rp) {
			t.Errorf("site %s: point %s after its restore point %s", s.SiteID, a.Point, rp)
		}
		if !s.DeletedAt.IsZero() && a.Point.After(s.DeletedAt) {
			t.Errorf("site %s: point %s after its deletion %s", s.SiteID, a.Point, s.DeletedAt)
		}
		if a.Point.Before(rp.Add(-tol)) {
			t.Errorf("site %s: point %s more than %s before %s", s.SiteID, a.Point, tol, rp)
		}
		if !plan.Clones[a.Clone].Point.Equal(a.Point) {
			t.Errorf("site %s: point %s is not its clone's %s", s.SiteID, a.Point, plan.Clones[a.Clone].Point)
		}
		if a.ExtraLoss != rp.Sub(a.Point) {
			t.Errorf("site %s: extra loss %s, want %s", s.SiteID, a.ExtraLoss, rp.Sub(a.Point))
		}
	}
}

func TestPlanClones2022Disaster(t *testing.T) {
	in := PlanInput{Sites: disaster2022()}
	plan, err := PlanClones(in)
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, in, plan)
	// 23 minutes of restore points, each clone covering 5 minutes after its
	// point: ceil(23/5) = 5 clones, and no plan can do with 4 (4 clones cover
	// at most 4 x 5 minutes plus 4 instants < 23 minutes).
	if len(plan.Clones) != 5 {
		t.Fatalf("2022 disaster: %d clones, want 5", len(plan.Clones))
	}
	var worst time.Duration
	for _, s := range plan.Sites {
		if s.ExtraLoss > worst {
			worst = s.ExtraLoss
		}
	}
	for i, c := range plan.Clones {
		t.Logf("clone %d at %s serves %d sites", i, c.Point.Format("15:04:05.000000"), len(c.Sites))
	}
	t.Logf("2022 disaster: 883 sites, %d clones, worst extra loss %s", len(plan.Clones), worst)
	if plan.Clones[0].Point != day.Add(7*time.Hour+33*time.Minute) {
		t.Errorf("first clone at %s, want 07:33 (first deletion minus 5m)", plan.Clones[0].Point)
	}
}

func TestPlanClonesSitesTwentyMinutesApart(t *testing.T) {
	d1 := day.Add(8 * time.Hour)
	d2 := d1.Add(20 * time.Minute)
	in := PlanInput{Sites: []PlanSite{{SiteID: "b", DeletedAt: d2}, {SiteID: "a", DeletedAt: d1}}}
	plan, err := PlanClones(in)
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, in, plan)
	if len(plan.Clones) != 2 {
		t.Fatalf("%d clones, want 2", len(plan.Clones))
	}
	a, _ := plan.Site("a")
	b, _ := plan.Site("b")
	if !a.Point.Equal(d1.Add(-5*time.Minute)) || !b.Point.Equal(d2.Add(-5*time.Minute)) || a.ExtraLoss != 0 || b.ExtraLoss != 0 {
		t.Fatalf("a=%+v b=%+v: each should get exactly its own restore point", a, b)
	}
	if a.Clone == b.Clone {
		t.Fatal("sites 20 minutes apart share a clone")
	}
}

func TestPlanClonesWithinToleranceShareOneClone(t *testing.T) {
	d := day.Add(8 * time.Hour)
	in := PlanInput{Tolerance: 2 * time.Minute, Sites: []PlanSite{
		{SiteID: "a", DeletedAt: d},
		{SiteID: "b", DeletedAt: d.Add(time.Minute)},
		{SiteID: "c", DeletedAt: d.Add(2 * time.Minute)},                 // exactly tolerance later: shares
		{SiteID: "d", DeletedAt: d.Add(2*time.Minute + time.Nanosecond)}, // just past: new clone
	}}
	plan, err := PlanClones(in)
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, in, plan)
	if len(plan.Clones) != 2 || strings.Join(plan.Clones[0].Sites, ",") != "a,b,c" || strings.Join(plan.Clones[1].Sites, ",") != "d" {
		t.Fatalf("clones %+v", plan.Clones)
	}
	// d's point is truncated to microseconds, never rounded up past its restore point.
	dd, _ := plan.Site("d")
	if dd.Point.After(dd.RestorePoint) || dd.RestorePoint.Sub(dd.Point) >= time.Microsecond {
		t.Fatalf("d: %+v", dd)
	}
}

func TestPlanClonesExplicitRestorePointAndOffset(t *testing.T) {
	d := day.Add(8 * time.Hour)
	in := PlanInput{Offset: time.Hour, Sites: []PlanSite{
		{SiteID: "a", DeletedAt: d},
		{SiteID: "b", DeletedAt: d, RestorePoint: d.Add(-time.Minute)},
		{SiteID: "c", RestorePoint: d.Add(-2 * time.Hour)},
	}}
	plan, err := PlanClones(in)
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, in, plan)
	if len(plan.Clones) != 3 {
		t.Fatalf("clones %+v", plan.Clones)
	}
}

func TestPlanClonesReportsEveryProblem(t *testing.T) {
	d := day.Add(8 * time.Hour)
	_, err := PlanClones(PlanInput{
		Earliest: d.Add(-time.Hour), Latest: d.Add(time.Hour),
		Sites: []PlanSite{
			{SiteID: ""},
			{SiteID: "dup", DeletedAt: d},
			{SiteID: "dup", DeletedAt: d},
			{SiteID: "late", DeletedAt: d, RestorePoint: d.Add(time.Second)},
			{SiteID: "old", DeletedAt: d.Add(-2 * time.Hour)},
			{SiteID: "future", RestorePoint: d.Add(2 * time.Hour)},
			{SiteID: "nothing"},
		}})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"sites[0]: site ID is empty", "site dup: listed twice",
		"site late: restore point", "after its deletion", "site old: restore point", "before the earliest",
		"site future", "after the latest", "site nothing: neither"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%s", want, err)
		}
	}
	if _, err := PlanClones(PlanInput{}); err == nil || !strings.Contains(err.Error(), "no sites") {
		t.Errorf("empty input: %v", err)
	}
	if _, err := PlanClones(PlanInput{Tolerance: -time.Second, Sites: []PlanSite{{SiteID: "a", DeletedAt: d}}}); err == nil || !strings.Contains(err.Error(), "tolerance") {
		t.Errorf("negative tolerance: %v", err)
	}
}

// minClones is the brute-force optimum: some optimal cover uses only restore
// points as clone points, so try every subset of them.
func minClones(rps []time.Time, tol time.Duration) int {
	best := len(rps)
	for mask := 1; mask < 1<<len(rps); mask++ {
		var pts []time.Time
		for i := range rps {
			if mask&(1<<i) != 0 {
				pts = append(pts, rps[i])
			}
		}
		if len(pts) >= best {
			continue
		}
		ok := true
		for _, rp := range rps {
			covered := false
			for _, p := range pts {
				if !p.After(rp) && !p.Before(rp.Add(-tol)) {
					covered = true
					break
				}
			}
			if !covered {
				ok = false
				break
			}
		}
		if ok {
			best = len(pts)
		}
	}
	return best
}

func TestPlanClonesIsOptimal(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for round := 0; round < 300; round++ {
		n := 1 + r.Intn(10)
		tol := time.Duration(1+r.Intn(10)) * time.Minute
		var sites []PlanSite
		var rps []time.Time
		for i := 0; i < n; i++ {
			rp := day.Add(time.Duration(r.Intn(40*60)) * time.Second)
			sites = append(sites, PlanSite{SiteID: fmt.Sprintf("s%d", i), RestorePoint: rp})
			rps = append(rps, rp)
		}
		in := PlanInput{Sites: sites, Tolerance: tol}
		plan, err := PlanClones(in)
		if err != nil {
			t.Fatal(err)
		}
		checkPlan(t, in, plan)
		if want := minClones(rps, tol); len(plan.Clones) != want {
			t.Fatalf("round %d: %d clones, optimum %d (tol %s, points %v)", round, len(plan.Clones), want, tol, rps)
		}
	}
}

func FuzzPlanClones(f *testing.F) {
	f.Add(int64(1), uint8(5), uint16(300))
	f.Add(int64(42), uint8(50), uint16(1))
	f.Fuzz(func(t *testing.T, seed int64, n uint8, tolSeconds uint16) {
		if n == 0 || tolSeconds == 0 {
			return
		}
		r := rand.New(rand.NewSource(seed))
		var sites []PlanSite
		for i := 0; i < int(n); i++ {
			del := day.Add(time.Duration(r.Int63n(int64(48 * time.Hour))))
			sites = append(sites, PlanSite{SiteID: fmt.Sprintf("s%d", i), DeletedAt: del})
		}
		in := PlanInput{Sites: sites, Tolerance: time.Duration(tolSeconds) * time.Second}
		plan, err := PlanClones(in)
		if err != nil {
			t.Fatal(err)
		}
		checkPlan(t, in, plan)
		for i := 1; i < len(plan.Clones); i++ {
			if !plan.Clones[i].Point.After(plan.Clones[i-1].Point.Add(in.Tolerance)) {
				t.Fatalf("clones %d and %d are within tolerance: not minimal", i-1, i)
			}
		}
	})
}

package activities

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/platform/pitr"
)

// TestAssignClones: each site is read from the clone the db.clone step
// planned for it (the real planner, run again on the same points), and a
// site no clone serves makes the read "not ready", never a wrong clone.
func TestAssignClones(t *testing.T) {
	a := New(Deps{Description: testDescription(), PITR: NewEngine(nil, nil)})
	// Nanoseconds: clone IDs keep microseconds only.
	t0 := time.Date(2026, 11, 29, 7, 38, 0, 1500, time.UTC)
	sites := []contract.SiteTarget{
		{SiteID: "s1", RestorePoint: t0},
		{SiteID: "s2", RestorePoint: t0.Add(time.Second)},
		{SiteID: "s3", DeletedAt: t0.Add(25 * time.Minute)}, // point: deleted_at - 5m
	}
	plan, err := a.d.PITR.PlanClones(map[string]time.Time{"s1": t0, "s2": t0.Add(time.Second), "s3": t0.Add(20 * time.Minute)}, 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Points) != 2 {
		t.Fatalf("plan %v: want 2 clones", plan.Points)
	}
	ids := []string{pitr.CloneID("platform", plan.Points[0]), pitr.CloneID("platform", plan.Points[1])}
	req := contract.ContactsRequest{BatchID: "b", Sites: sites, Clones: []contract.ContactsClone{
		{StepID: "clone-products", Cluster: "products", CloneIDs: []string{pitr.CloneID("products", t0)}},
		{StepID: "clone-platform", Cluster: "platform", CloneIDs: ids, Tolerance: "2m"},
	}}
	got, err := a.assignClones(req, "platform")
	if err != nil {
		t.Fatal(err)
	}
	for site, p := range plan.Site {
		id := pitr.CloneID("platform", p)
		if !slices.Contains(got[id], site) {
			t.Errorf("site %s: not read from its planned clone %s (%v)", site, id, got)
		}
	}
	if len(got[ids[0]])+len(got[ids[1]]) != 3 {
		t.Errorf("assignment %v: want 3 sites", got)
	}

	req.Clones[1].CloneIDs = ids[:1] // the second clone is missing
	_, err = a.assignClones(req, "platform")
	if ErrorType(err) != contract.ErrCloneNotReady || !IsPermanent(err) || !strings.Contains(err.Error(), "s3") {
		t.Errorf("a site without its clone: %v (type %q)", err, ErrorType(err))
	}

	req.Clones = req.Clones[:1] // only the products cluster is cloned
	_, err = a.assignClones(req, "platform")
	if ErrorType(err) != contract.ErrCloneNotReady || !strings.Contains(err.Error(), "no clone of cluster platform yet") {
		t.Errorf("no clone of the cluster: %v", err)
	}
}

// TestLatestWithin: the latest clone in [p - tolerance, p], none outside.
func TestLatestWithin(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	by := map[int64]string{
		t0.UnixNano():                       "a",
		t0.Add(time.Minute).UnixNano():      "b",
		t0.Add(10 * time.Minute).UnixNano(): "c",
	}
	for _, c := range []struct {
		p    time.Time
		want string
	}{
		{t0.Add(2 * time.Minute), "b"},
		{t0.Add(time.Minute), "b"},
		{t0.Add(9 * time.Minute), ""},
		{t0.Add(-time.Second), ""},
	} {
		if got, _ := latestWithin(by, c.p, 5*time.Minute); got != c.want {
			t.Errorf("at %s: %q, want %q", c.p.Sub(t0), got, c.want)
		}
	}
}

func TestWithoutContacts(t *testing.T) {
	sites := []contract.SiteTarget{{SiteID: "a"}, {SiteID: "b"}, {SiteID: "c"}}
	got := withoutContacts(sites, []contract.Contact{{SiteID: "b"}, {SiteID: "b"}})
	if strings.Join(got, ",") != "a,c" {
		t.Errorf("%v", got)
	}
}

package workflows

import (
	"testing"

	"github.com/lazarus-dr/lazarus/runbooks"
)

func leadPlan(t *testing.T) *graph {
	t.Helper()
	base := cloneStep()
	base.ID = "base"
	clone := cloneStep()
	clone.Needs = []string{"base"}
	g, err := newGraph(plan(base, clone, step("catalog", "catalog"), step("restore", "restore", "clone")))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// The lead rounds on their own: readiness follows the batch steps' needs,
// a site with a step that needs no batch step has work at once, per-site
// values are merged and shared, and a queued site takes them once.
func TestLeadRoundsReadinessAndValues(t *testing.T) {
	g := leadPlan(t)
	l := newLeadRounds(g)
	r0 := l.open(sites(2, "a"))
	r1 := l.open(sites(1, "b"))
	if r0 != 0 || r1 != 1 || l.roundOf("a00000") != 0 || l.roundOf("b00000") != 1 {
		t.Fatalf("rounds %d, %d; a in %d, b in %d", r0, r1, l.roundOf("a00000"), l.roundOf("b00000"))
	}
	base, clone := g.batchSteps[0], g.batchSteps[1]
	if !l.ready(0, base) || l.ready(0, clone) {
		t.Fatal("base is ready at once; clone needs base")
	}
	if !l.hasWork(0) {
		t.Fatal("catalog needs no batch step: the round's sites have work at once")
	}
	l.rounds[0].Steps[0].Status = StepDone
	l.rounds[0].Steps[0].Values = map[string]string{"base": "b1"}
	if !l.ready(0, clone) {
		t.Fatal("clone is ready once base is done")
	}
	if p := l.pending(0); len(p) != 1 || p[0].StepID != "clone" || p[0].Status != LeadPending {
		t.Fatalf("pending(0) = %+v; want clone pending", p)
	}
	if v := l.values(0); v["base"] != "b1" {
		t.Fatalf("values(0) = %v", v)
	}
	l.keep("a00000", map[string]string{"dsn": "x"})
	l.keep("a00001", map[string]string{"dsn": "x"})
	l.keep("a00000", map[string]string{"rp": "t"})
	if len(l.table) != 2 {
		t.Fatalf("table has %d rows, want 2 (a shared row, then a merged one)", len(l.table))
	}
	vars, round := l.take("a00000")
	if vars["dsn"] != "x" || vars["rp"] != "t" || round != 0 {
		t.Fatalf("take = %v, %d", vars, round)
	}
	if vars, _ := l.take("a00000"); vars != nil {
		t.Fatal("a site takes its values once")
	}
	l.forget()
	if vars, round := l.take("b00000"); vars != nil || round != 0 {
		t.Fatal("forget drops every queued site's values and round")
	}
}

// A site whose every first step needs a running batch step has no work.
func TestLeadRoundsNoWorkWhileRootStepsWait(t *testing.T) {
	clone := cloneStep()
	g, err := newGraph(plan(clone, step("restore", "restore", "clone")))
	if err != nil {
		t.Fatal(err)
	}
	l := newLeadRounds(g)
	l.open(sites(1, "a"))
	if l.hasWork(0) {
		t.Fatal("restore needs the running clone: no work")
	}
	l.rounds[0].Steps[0].Status = StepFailed
	if !l.hasWork(0) {
		t.Fatal("once the clone ended (even failed) the site starts, to report it")
	}
	if g.plan.Steps[g.batchSteps[0]].Scope != runbooks.ScopeBatch {
		t.Fatal("clone is batch-scoped")
	}
}

package runbooks

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestWithoutGatesRestore1(t *testing.T) {
	p, err := Default("restore1")
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := Default("restore1")
	got, dropped := p.WithoutGates()
	if !reflect.DeepEqual(dropped, []string{"customer-validation"}) {
		t.Fatalf("dropped %v, want [customer-validation]", dropped)
	}
	if !reflect.DeepEqual(p, orig) {
		t.Fatal("WithoutGates changed the plan it was called on")
	}
	if len(got.Steps) != len(p.Steps)-1 {
		t.Fatalf("%d steps, want %d", len(got.Steps), len(p.Steps)-1)
	}
	want := map[string][]string{}
	for _, st := range p.Steps {
		want[st.ID] = st.Needs
	}
	for _, st := range got.Steps {
		if st.Gate != nil {
			t.Errorf("gate %s left in", st.ID)
		}
		// Nothing in restore1 needs its gate: every need is kept as is.
		if !reflect.DeepEqual(st.Needs, want[st.ID]) {
			t.Errorf("step %s needs %v, want %v", st.ID, st.Needs, want[st.ID])
		}
	}
	if got.StepsPerService["gate"] != 0 || p.StepsPerService["gate"] != 1 {
		t.Errorf("steps per service: gate %d (plan %d)", got.StepsPerService["gate"], p.StepsPerService["gate"])
	}
	if slices.Contains(got.CriticalPath, "customer-validation") || got.EstimatedDuration >= p.EstimatedDuration {
		t.Errorf("critical path %v (%s), plan's %s: the gate's estimate should be gone", got.CriticalPath, got.EstimatedDuration, p.EstimatedDuration)
	}
	if got.CriticalPath[len(got.CriticalPath)-1] != "validate-site" {
		t.Errorf("critical path ends at %s, want validate-site", got.CriticalPath[len(got.CriticalPath)-1])
	}
	if c := got.ClonedClusters(); !reflect.DeepEqual(c, []string{"platform", "products"}) {
		t.Errorf("cloned clusters %v", c)
	}
	// Every original ordering between kept steps still holds.
	checkReach(t, p, got)
}

// A chain of two gates in the middle of restore1: the steps after them
// need what the first gate needed.
func TestWithoutGatesChain(t *testing.T) {
	p, err := Default("restore1")
	if err != nil {
		t.Fatal(err)
	}
	g := &Gate{Deadline: time.Hour, Escalation: time.Minute, OnDeadline: "approve"}
	var steps []PlanStep
	for _, st := range p.Steps {
		if st.ID == "metadata" {
			// metadata needed place (expanded); it now needs gate-b, which
			// needs gate-a, which needs what metadata needed, and license.
			steps = append(steps,
				PlanStep{ID: "gate-a", Action: "gate.customer_validation", Service: "gate", Scope: ScopeSite, Needs: append(slices.Clone(st.Needs), "license"), Gate: g},
				PlanStep{ID: "gate-b", Action: "gate.customer_validation", Service: "gate", Scope: ScopeSite, Needs: []string{"gate-a"}, Gate: g})
			st.Needs = []string{"gate-b", "create-site"}
		}
		steps = append(steps, st)
	}
	orig, _ := Default("restore1")
	var metaNeeds []string
	for _, st := range orig.Steps {
		if st.ID == "metadata" {
			metaNeeds = st.Needs
		}
	}
	p.Steps = steps
	got, dropped := p.WithoutGates()
	if !reflect.DeepEqual(dropped, []string{"gate-a", "gate-b", "customer-validation"}) {
		t.Fatalf("dropped %v", dropped)
	}
	for _, st := range got.Steps {
		if st.ID != "metadata" {
			continue
		}
		// create-site and license come first in plan order.
		want := append([]string{"create-site", "license"}, metaNeeds...)
		if !reflect.DeepEqual(st.Needs, want) {
			t.Errorf("metadata needs %v, want %v", st.Needs, want)
		}
	}
	for _, st := range got.Steps {
		for _, n := range st.Needs {
			if n == "gate-a" || n == "gate-b" || n == "customer-validation" {
				t.Errorf("step %s still needs gate %s", st.ID, n)
			}
		}
	}
	checkReach(t, p, got)
}

// checkReach asserts that every step reachable (through needs) from a kept
// step in the plan is reachable from it in the copy, gates left out.
func checkReach(t *testing.T, plan, got *Plan) {
	t.Helper()
	reach := func(p *Plan) map[string]map[string]bool {
		needs := map[string][]string{}
		for _, st := range p.Steps {
			needs[st.ID] = st.Needs
		}
		out := map[string]map[string]bool{}
		var walk func(id string, into map[string]bool)
		walk = func(id string, into map[string]bool) {
			for _, n := range needs[id] {
				if !into[n] {
					into[n] = true
					walk(n, into)
				}
			}
		}
		for _, st := range p.Steps {
			out[st.ID] = map[string]bool{}
			walk(st.ID, out[st.ID])
		}
		return out
	}
	gates := map[string]bool{}
	for _, st := range plan.Steps {
		if st.Gate != nil {
			gates[st.ID] = true
		}
	}
	before, after := reach(plan), reach(got)
	for _, st := range got.Steps {
		for n := range before[st.ID] {
			if !gates[n] && !after[st.ID][n] {
				t.Errorf("step %s no longer waits for %s", st.ID, n)
			}
		}
		for n := range after[st.ID] {
			if !before[st.ID][n] {
				t.Errorf("step %s now waits for %s, which it did not", st.ID, n)
			}
		}
	}
}

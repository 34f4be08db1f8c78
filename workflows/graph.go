package workflows

import (
	"fmt"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/runbooks"
)

// GateAction is the action of a customer-validation gate: no activity runs.
const GateAction = contract.ActionGateCustomerValidation

// graph indexes a compiled plan for the workflows. Built from the plan on
// every run (pure computation, deterministic).
type graph struct {
	plan runbooks.Plan
	// index of each step ID in plan.Steps.
	index map[string]int
	// stageRank is the order of each stage's first appearance in the plan.
	stageRank map[string]int
	// batchSteps are the plan's batch-scoped steps, in plan order.
	batchSteps []int
	// siteSteps are the plan's site-scoped steps, in plan order.
	siteSteps []int
}

// newGraph validates the plan's shape (what the workflow relies on) and
// indexes it. All problems are reported at once.
func newGraph(plan runbooks.Plan) (*graph, error) {
	g := &graph{plan: plan, index: map[string]int{}, stageRank: map[string]int{}}
	var errs *multierror.Error
	if len(plan.Steps) == 0 {
		errs = multierror.Append(errs, fmt.Errorf("plan %q has no steps", plan.Runbook))
	}
	for i, st := range plan.Steps {
		if st.ID == "" {
			errs = multierror.Append(errs, fmt.Errorf("plan step %d has an empty id", i))
			continue
		}
		if st.Action == "" {
			errs = multierror.Append(errs, fmt.Errorf("plan step %q has no action", st.ID))
		}
		if _, dup := g.index[st.ID]; dup {
			errs = multierror.Append(errs, fmt.Errorf("plan step id %q appears twice", st.ID))
			continue
		}
		for _, err := range g.checkStep(st) {
			errs = multierror.Append(errs, err)
		}
		g.add(i, st)
	}
	if err := errs.ErrorOrNil(); err != nil {
		return nil, fmt.Errorf("invalid plan: %w", err)
	}
	return g, nil
}

// checkStep lists what is wrong with a step, given the steps before it.
func (g *graph) checkStep(st runbooks.PlanStep) []error {
	var errs []error
	for _, n := range st.Needs {
		j, ok := g.index[n]
		if !ok {
			errs = append(errs, fmt.Errorf("plan step %q needs %q, which is not an earlier step (plan steps must be in topological order)", st.ID, n))
			continue
		}
		if st.Scope == runbooks.ScopeBatch && g.plan.Steps[j].Scope != runbooks.ScopeBatch {
			errs = append(errs, fmt.Errorf("batch-scoped plan step %q needs site-scoped step %q", st.ID, n))
		}
	}
	if st.Action == GateAction && st.Gate == nil {
		errs = append(errs, fmt.Errorf("plan step %q is a gate without gate settings", st.ID))
	}
	if st.Gate != nil && st.Scope == runbooks.ScopeBatch {
		errs = append(errs, fmt.Errorf("plan step %q: a gate cannot be batch-scoped", st.ID))
	}
	return errs
}

// add indexes step i.
func (g *graph) add(i int, st runbooks.PlanStep) {
	g.index[st.ID] = i
	if _, ok := g.stageRank[st.Stage]; !ok && st.Stage != "" {
		g.stageRank[st.Stage] = len(g.stageRank)
	}
	if st.Scope == runbooks.ScopeBatch {
		g.batchSteps = append(g.batchSteps, i)
	} else {
		g.siteSteps = append(g.siteSteps, i)
	}
}

// isBatchStep says whether the plan has a batch-scoped step of that ID.
func (g *graph) isBatchStep(id string) bool {
	i, ok := g.index[id]
	return ok && g.plan.Steps[i].Scope == runbooks.ScopeBatch
}

// isGate says whether a step waits for a human instead of running an activity.
func isGate(st runbooks.PlanStep) bool { return st.Gate != nil }

// truncate shortens a message for state kept in histories and carries.
func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

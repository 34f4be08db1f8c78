package workflows

import (
	"fmt"
	"sort"
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
		switch {
		case st.ID == "":
			errs = multierror.Append(errs, fmt.Errorf("plan step %d has an empty id", i))
			continue
		case st.Action == "":
			errs = multierror.Append(errs, fmt.Errorf("plan step %q has no action", st.ID))
		}
		if _, dup := g.index[st.ID]; dup {
			errs = multierror.Append(errs, fmt.Errorf("plan step id %q appears twice", st.ID))
			continue
		}
		for _, n := range st.Needs {
			j, ok := g.index[n]
			if !ok {
				errs = multierror.Append(errs, fmt.Errorf("plan step %q needs %q, which is not an earlier step (plan steps must be in topological order)", st.ID, n))
				continue
			}
			if st.Scope == runbooks.ScopeBatch && plan.Steps[j].Scope != runbooks.ScopeBatch {
				errs = multierror.Append(errs, fmt.Errorf("batch-scoped plan step %q needs site-scoped step %q", st.ID, n))
			}
		}
		if st.Action == GateAction && st.Gate == nil {
			errs = multierror.Append(errs, fmt.Errorf("plan step %q is a gate without gate settings", st.ID))
		}
		if st.Gate != nil && st.Scope == runbooks.ScopeBatch {
			errs = multierror.Append(errs, fmt.Errorf("plan step %q: a gate cannot be batch-scoped", st.ID))
		}
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
	if err := errs.ErrorOrNil(); err != nil {
		return nil, fmt.Errorf("invalid plan: %w", err)
	}
	return g, nil
}

// isGate says whether a step waits for a human instead of running an activity.
func isGate(st runbooks.PlanStep) bool { return st.Gate != nil }

// sortedKeys returns a map's keys in order (workflow code never ranges over
// a map directly). Collecting the keys then sorting them is deterministic.
//
//workflowcheck:ignore
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// truncate shortens a message for state kept in histories and carries.
func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

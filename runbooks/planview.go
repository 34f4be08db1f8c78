package runbooks

import (
	"fmt"
	"sort"

	"github.com/hashicorp/go-multierror"
)

// Step returns the plan step with the given ID.
func (p *Plan) Step(id string) (PlanStep, bool) {
	for _, s := range p.Steps {
		if s.ID == id {
			return s, true
		}
	}
	return PlanStep{}, false
}

// BatchSteps returns the batch-scoped steps, in plan order.
func (p *Plan) BatchSteps() []PlanStep { return p.byScope(ScopeBatch) }

// SiteSteps returns the site-scoped steps, in plan order.
func (p *Plan) SiteSteps() []PlanStep { return p.byScope(ScopeSite) }

func (p *Plan) byScope(s Scope) []PlanStep {
	var out []PlanStep
	for _, st := range p.Steps {
		if st.Scope == s {
			out = append(out, st)
		}
	}
	return out
}

// LeadSteps returns the IDs of the batch steps that the step id needs,
// directly or through other steps, in plan order.
func (p *Plan) LeadSteps(id string) []string {
	idx := map[string]int{}
	for i, s := range p.Steps {
		idx[s.ID] = i
	}
	seen := map[string]bool{}
	var walk func(string)
	walk = func(x string) {
		i, ok := idx[x]
		if !ok {
			return
		}
		for _, n := range p.Steps[i].Needs {
			if !seen[n] {
				seen[n] = true
				walk(n)
			}
		}
	}
	walk(id)
	var out []string
	for _, s := range p.Steps {
		if seen[s.ID] && s.Scope == ScopeBatch {
			out = append(out, s.ID)
		}
	}
	return out
}

// Check verifies that a plan (for example one received as workflow input)
// is well formed: unique IDs, known actions, needs naming earlier steps only,
// batch steps needing no site step, gates with deadlines, only_if_product on
// site steps that run an activity and naming a product. It is pure and
// deterministic, so a workflow may call it.
func (p *Plan) Check() error {
	var errs *multierror.Error
	if p == nil {
		return fmt.Errorf("plan is nil")
	}
	if len(p.Steps) == 0 {
		errs = multierror.Append(errs, fmt.Errorf("plan %q has no steps", p.Runbook))
	}
	seen := map[string]PlanStep{}
	for _, s := range p.Steps {
		if _, dup := seen[s.ID]; dup {
			errs = multierror.Append(errs, fmt.Errorf("step %q: duplicate id", s.ID))
		}
		a, ok := LookupAction(s.Action)
		if !ok {
			errs = multierror.Append(errs, fmt.Errorf("step %q: unknown action %q", s.ID, s.Action))
		} else {
			if a.Scope != s.Scope {
				errs = multierror.Append(errs, fmt.Errorf("step %q: scope %q, action %s is %s-scoped", s.ID, s.Scope, a.Name, a.Scope))
			}
			if a.Gate && (s.Gate == nil || s.Gate.Deadline <= 0) {
				errs = multierror.Append(errs, fmt.Errorf("step %q: gate without deadline", s.ID))
			}
			if s.OnlyIfProduct != "" && a.Gate {
				errs = multierror.Append(errs, fmt.Errorf("step %q: only_if_product on a gate", s.ID))
			}
		}
		if s.OnlyIfProduct != "" {
			if s.Scope == ScopeBatch {
				errs = multierror.Append(errs, fmt.Errorf("step %q: only_if_product on a batch step", s.ID))
			}
			if !itemRe.MatchString(s.OnlyIfProduct) {
				errs = multierror.Append(errs, fmt.Errorf("step %q: only_if_product %q is not a product name", s.ID, s.OnlyIfProduct))
			}
		}
		for _, n := range s.Needs {
			dep, ok := seen[n]
			if !ok {
				errs = multierror.Append(errs, fmt.Errorf("step %q needs %q, which is not an earlier step", s.ID, n))
				continue
			}
			if s.Scope == ScopeBatch && dep.Scope == ScopeSite {
				errs = multierror.Append(errs, fmt.Errorf("batch step %q needs site step %q", s.ID, n))
			}
		}
		seen[s.ID] = s
	}
	return errs.ErrorOrNil()
}

// Services returns the sorted distinct services (activity task queues) the
// plan's steps use, gates excluded: the queues a worker must poll to run it.
func (p *Plan) Services() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range p.Steps {
		if s.Gate != nil || seen[s.Service] {
			continue
		}
		seen[s.Service] = true
		out = append(out, s.Service)
	}
	sort.Strings(out)
	return out
}

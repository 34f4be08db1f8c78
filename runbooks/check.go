package runbooks

import (
	"strings"
	"time"

	"github.com/lazarus-dr/lazarus/internal/suggest"
)

// effStep is a raw step with the registry and the defaults applied.
type effStep struct {
	raw       *rawStep
	action    Action
	known     bool // action is in the registry
	scope     Scope
	service   string
	stage     string
	timeout   time.Duration
	heartbeat time.Duration
	estimate  time.Duration
	retry     RetryPolicy
	budget    time.Duration
	onFailure FailurePolicy
	gate      *Gate
	cleanup   string
}

// checkStep applies the registry and the defaults to st and records every
// problem of the step on its own (graph problems are checked later).
func checkStep(c *collector, rb *rawRunbook, st *rawStep) *effStep {
	e := &effStep{raw: st}
	what := "step"
	if st.id.set() {
		what = "step \"" + st.id.v + "\""
	}
	if st.action.set() {
		a, ok := LookupAction(st.action.v)
		switch {
		case !ok:
			c.at(st.action.n, "%s: unknown action %q%s", what, st.action.v, suggest.DidYouMean(st.action.v, actionNames()))
		case a.CleanupOf != "":
			c.at(st.action.n, "%s: action %q is the cleanup of %s and runs by itself; it is not a step (name it in cleanup: of the %s step)", what, a.Name, a.CleanupOf, a.CleanupOf)
		default:
			e.action, e.known = a, true
		}
	}

	// Scope: the registry's; a step may restate it but not change it.
	e.scope = ScopeSite
	if e.known {
		e.scope = e.action.Scope
		if st.scope.set() && Scope(st.scope.v) != e.action.Scope {
			c.at(st.scope.n, "%s: scope %q does not match action %s, which is %s-scoped", what, st.scope.v, e.action.Name, e.action.Scope)
		}
	} else if st.scope.set() {
		e.scope = Scope(st.scope.v)
	}

	e.service = e.action.Service
	if st.service.set() {
		e.service = st.service.v
	}
	e.stage = e.action.Stage
	if st.stage.set() {
		e.stage = st.stage.v
	}

	// Params: only those the action knows; required ones present.
	if e.known {
		have := map[string]bool{}
		for _, p := range st.params {
			have[p.key.v] = true
			if !e.action.allowsParam(p.key.v) {
				allowed := append(append([]string(nil), e.action.Required...), e.action.Optional...)
				if len(allowed) == 0 {
					c.at(p.key.n, "%s: unknown param %q: action %s takes no params", what, p.key.v, e.action.Name)
				} else {
					c.at(p.key.n, "%s: unknown param %q for action %s%s (known: %s)", what, p.key.v, e.action.Name, suggest.DidYouMean(p.key.v, allowed), strings.Join(allowed, ", "))
				}
			}
		}
		for _, r := range e.action.Required {
			if !have[r] {
				c.at(st.action.n, "%s: action %s needs param %q", what, e.action.Name, r)
			}
		}
		for _, p := range st.params {
			if p.key.v == ParamTolerance {
				if d := duration(c, what+".params.tolerance", p.val.n); d.set() && d.v == 0 {
					c.at(p.val.n, "%s.params.tolerance: must be longer than 0s", what)
				}
			}
		}
	}

	checkPluginStep(c, what, st, e)

	// Timings and retry, defaults applied.
	df := rb.defaults
	e.timeout = pick(st.timeout, df.timeout, builtinTimeout)
	e.heartbeat = pick(st.heartbeat, df.heartbeat, min(builtinHeartbeat, e.timeout/2))
	// The runbook's or the built-in budget is raised to the step's timeout;
	// only a step's own budget shorter than its timeout is a problem.
	e.budget = max(pick(dval{}, df.retryBudget, builtinRetryBudget), e.timeout)
	if st.retryBudget.set() {
		e.budget = st.retryBudget.v
	}
	e.estimate = pick(st.estimate, df.estimate, builtinEstimate)
	e.onFailure = builtinOnFailure
	if df.onFailure.set() {
		e.onFailure = FailurePolicy(df.onFailure.v)
	}
	if st.onFailure.set() {
		e.onFailure = FailurePolicy(st.onFailure.v)
	}
	e.retry = RetryPolicy{
		InitialInterval:    pick(st.retry.initial, df.retry.initial, builtinInitial),
		BackoffCoefficient: builtinBackoff,
		MaximumInterval:    pick(st.retry.max, df.retry.max, builtinMaxIntvl),
		MaximumAttempts:    builtinAttempts,
	}
	for _, b := range []fval{df.retry.backoff, st.retry.backoff} {
		if b.n != nil {
			e.retry.BackoffCoefficient = b.v
		}
	}
	for _, a := range []ival{df.retry.attempts, st.retry.attempts} {
		if a.n != nil {
			e.retry.MaximumAttempts = int32(a.v)
		}
	}

	isGate := e.known && e.action.Gate
	if !isGate {
		if e.retry.InitialInterval == 0 {
			c.at(firstNode(st.retry.initial.n, df.retry.initial.n, st.n), "%s: retry.initial_interval must be longer than 0s", what)
		}
		if e.retry.MaximumInterval < e.retry.InitialInterval {
			c.at(firstNode(st.retry.max.n, df.retry.max.n, st.retry.initial.n, df.retry.initial.n, st.n),
				"%s: retry.max_interval %s is shorter than retry.initial_interval %s", what, e.retry.MaximumInterval, e.retry.InitialInterval)
		}
		if e.heartbeat >= e.timeout {
			c.at(firstNode(st.heartbeat.n, st.timeout.n, df.heartbeat.n, st.n),
				"%s: heartbeat %s must be shorter than timeout %s", what, e.heartbeat, e.timeout)
		}
		if e.heartbeat > MaxHeartbeat {
			c.at(firstNode(st.heartbeat.n, df.heartbeat.n, st.n),
				"%s: heartbeat %s is longer than %s: a lost task, a dead worker or a hung call would go unnoticed that long", what, e.heartbeat, MaxHeartbeat)
		}
		if e.budget < e.timeout {
			c.at(firstNode(st.retryBudget.n, st.n),
				"%s: retry_budget %s is shorter than timeout %s: the first attempt could not use its whole timeout", what, e.budget, e.timeout)
		}
		if e.retry.MaximumInterval > e.budget {
			c.at(firstNode(st.retry.max.n, st.retryBudget.n, df.retry.max.n, df.retryBudget.n, st.n),
				"%s: retry.max_interval %s is longer than retry_budget %s: the step would hardly retry", what, e.retry.MaximumInterval, e.budget)
		}
		if e.estimate > e.timeout {
			c.at(firstNode(st.estimate.n, st.timeout.n, df.estimate.n, st.n),
				"%s: estimate %s is longer than timeout %s: the step would always time out", what, e.estimate, e.timeout)
		}
	}

	// Gates.
	switch {
	case isGate && st.gate == nil:
		c.at(st.action.n, "%s: gate without deadline: action %s needs gate: {deadline: ...}", what, e.action.Name)
	case isGate:
		g := st.gate
		if !g.deadline.set() || g.deadline.v == 0 {
			if !g.deadline.set() {
				c.at(g.n, "%s: gate without deadline: gate needs deadline", what)
			} else {
				c.at(g.deadline.n, "%s: gate deadline must be longer than 0s", what)
			}
		} else {
			e.gate = &Gate{Deadline: g.deadline.v, Escalation: g.escalation.v, OnDeadline: builtinOnDeadln}
			if g.onDeadline.set() {
				e.gate.OnDeadline = g.onDeadline.v
			}
			if g.escalation.set() && g.escalation.v >= g.deadline.v {
				c.at(g.escalation.n, "%s: gate escalation %s must be shorter than its deadline %s", what, g.escalation.v, g.deadline.v)
			}
			if e.estimate > g.deadline.v {
				c.at(firstNode(st.estimate.n, df.estimate.n, g.deadline.n), "%s: estimate %s is longer than the gate deadline %s", what, e.estimate, g.deadline.v)
			}
			e.timeout = g.deadline.v
			e.heartbeat = 0
			e.retry = RetryPolicy{}
			e.budget = 0
		}
		if st.timeout.set() {
			c.at(st.timeout.n, "%s: a gate has no timeout: use gate.deadline", what)
		}
		if st.heartbeat.set() {
			c.at(st.heartbeat.n, "%s: a gate has no heartbeat", what)
		}
		if st.retry.initial.set() || st.retry.max.set() || st.retry.backoff.n != nil || st.retry.attempts.n != nil {
			c.at(firstNode(st.retry.initial.n, st.retry.max.n, st.retry.backoff.n, st.retry.attempts.n), "%s: a gate has no retry", what)
		}
		if st.retryBudget.set() {
			c.at(st.retryBudget.n, "%s: a gate has no retry_budget: use gate.deadline", what)
		}
	case st.gate != nil:
		c.at(st.gate.n, "%s: gate: only gate actions take a gate (action %q is not one)", what, st.action.v)
	}

	// Cleanup: batch steps only, and only the action's own cleanup.
	if e.known {
		e.cleanup = e.action.Cleanup
	}
	if st.cleanup.set() {
		switch {
		case e.known && e.action.Scope != ScopeBatch:
			c.at(st.cleanup.n, "%s: cleanup is for batch steps; action %s is site-scoped", what, e.action.Name)
		case e.known && st.cleanup.v != e.action.Cleanup:
			want := e.action.Cleanup
			if want == "" {
				want = "none"
			}
			c.at(st.cleanup.n, "%s: cleanup %q does not clean up action %s (its cleanup is %s)", what, st.cleanup.v, e.action.Name, want)
		}
	}

	// only_if_product: site steps that run an activity (its value is
	// checked once expanded, see expand).
	if st.onlyIfProduct.set() {
		switch {
		case e.scope == ScopeBatch:
			c.at(st.onlyIfProduct.n, "%s: only_if_product %q is for site-scoped steps; this step is batch-scoped (it runs once per batch, for all its sites)", what, st.onlyIfProduct.v)
		case isGate:
			c.at(st.onlyIfProduct.n, "%s: only_if_product %q is for steps that run an activity; a gate (action %s) waits for a decision whatever the site's products", what, st.onlyIfProduct.v, e.action.Name)
		}
	}
	return e
}

// pick returns the step's value, else the default's, else the built-in.
func pick(step, def dval, builtin time.Duration) time.Duration {
	if step.set() {
		return step.v
	}
	if def.set() {
		return def.v
	}
	return builtin
}

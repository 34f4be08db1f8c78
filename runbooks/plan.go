package runbooks

import (
	"time"

	"github.com/lazarus-dr/lazarus/contract"
)

// Scope says how often a step runs: once per site, or once per batch.
type Scope string

const (
	// ScopeSite steps run once for every site of a batch, in that site's workflow.
	ScopeSite Scope = "site"
	// ScopeBatch steps run once per batch, before and alongside the site
	// workflows (for example a point-in-time clone shared by many sites).
	ScopeBatch Scope = "batch"
)

// FailurePolicy says what happens when a step has exhausted its retries.
type FailurePolicy string

const (
	// OnFailurePark parks the site until an operator says retry, skip or abort.
	OnFailurePark FailurePolicy = "park"
	// OnFailureFail fails the site at once.
	OnFailureFail FailurePolicy = "fail"
	// OnFailureSkip records the failure and carries on as if the step were done.
	OnFailureSkip FailurePolicy = "skip"
)

// RetryPolicy is the Temporal retry policy of one step.
type RetryPolicy struct {
	InitialInterval    time.Duration `json:"initial_interval"`
	BackoffCoefficient float64       `json:"backoff_coefficient"`
	MaximumInterval    time.Duration `json:"maximum_interval"`
	// MaximumAttempts is 0 (unlimited: the step's RetryBudget ends it)
	// unless the runbook sets max_attempts.
	MaximumAttempts int32 `json:"maximum_attempts"`
}

// Gate makes a step wait for a human decision (approve or reject).
type Gate struct {
	// Deadline is how long the gate waits for a decision after it opens.
	Deadline time.Duration `json:"deadline"`
	// Escalation is when, after the gate opens, the site is flagged as
	// needing attention. It is shorter than Deadline.
	Escalation time.Duration `json:"escalation"`
	// OnDeadline is what happens when the deadline passes: "approve",
	// "reject" or "park".
	OnDeadline string `json:"on_deadline"`
}

// PlanStep is one compiled step: every expansion done, every default applied.
type PlanStep struct {
	ID      string   `json:"id"`
	Action  string   `json:"action"`
	Scope   Scope    `json:"scope"`
	Service string   `json:"service"`
	Stage   string   `json:"stage,omitempty"`
	Needs   []string `json:"needs,omitempty"`
	// Timeout bounds one attempt (Temporal's start-to-close timeout).
	Timeout time.Duration `json:"timeout"`
	// Heartbeat is the heartbeat timeout: an attempt that has not
	// heartbeaten for this long (a lost task, a dead worker, a hung call) is
	// failed and retried. Compiled steps always have one (gates excepted);
	// it is shorter than Timeout and at most MaxHeartbeat.
	Heartbeat time.Duration `json:"heartbeat,omitempty"`
	Retry     RetryPolicy   `json:"retry"`
	// RetryBudget is how long the step may keep trying, from its first
	// schedule, across all its attempts (Temporal's schedule-to-close
	// timeout). The step parks (or fails, or is skipped: OnFailure) only on
	// a non-retryable error or once the budget is spent. It is never shorter
	// than Timeout; 0 for gates.
	RetryBudget time.Duration     `json:"retry_budget"`
	OnFailure   FailurePolicy     `json:"on_failure"`
	Estimate    time.Duration     `json:"estimate"`
	Params      map[string]string `json:"params,omitempty"`
	Gate        *Gate             `json:"gate,omitempty"`
	// Cleanup is, for a batch-scoped step, the action that releases what it
	// made (for example dropping a point-in-time clone) once no site needs it.
	Cleanup string `json:"cleanup,omitempty"`
	// OnlyIfProduct, when set (on a site-scoped step that runs an activity,
	// never a batch step or a gate), names a product: the step runs only
	// when the site had that product at the restore point. The site's
	// products are the var site.products (contract.VarSiteProducts: a
	// comma-separated, sorted list of product names) that catalog.undelete
	// sets in its output values. When the step becomes ready and that var is
	// known and does not list the product, the step is skipped ("site had no
	// NAME at the restore point: nothing to do") without running its
	// activity; when the var is absent (another runbook, an older action),
	// the step runs as if OnlyIfProduct were empty. {{item}} is expanded in
	// it under for_each, as in Params.
	OnlyIfProduct string `json:"only_if_product,omitempty"`
}

// Plan is a compiled runbook: plain data, small enough for a Temporal
// payload. A running restore takes the plan, not the file, so it stays pinned
// to the runbook it started with.
type Plan struct {
	Runbook     string `json:"runbook"`
	Description string `json:"description,omitempty"`
	// Digest is the sha256 of the runbook source the plan was compiled from.
	Digest string `json:"digest"`
	// Steps are in a deterministic topological order.
	Steps             []PlanStep     `json:"steps"`
	CriticalPath      []string       `json:"critical_path"`
	EstimatedDuration time.Duration  `json:"estimated_duration"`
	Width             int            `json:"width"`
	StepsPerService   map[string]int `json:"steps_per_service"`
}

// ClonedClusters are the clusters the plan clones (the param cluster of its
// db.clone steps), in plan order, each once: the clusters whose oldest base
// backup bounds the restore points the plan can reach.
func (p *Plan) ClonedClusters() []string {
	var out []string
	seen := map[string]bool{}
	for _, st := range p.Steps {
		if c := st.Params["cluster"]; st.Action == contract.ActionDBClone && c != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

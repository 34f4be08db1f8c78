package runbooks

import (
	"time"

	"gopkg.in/yaml.v3"
)

// The raw runbook as written, every value kept with the YAML node it came
// from so that every problem can name its FILE:LINE:COL. A nil node means the
// field is absent.

type sval struct {
	v string
	n *yaml.Node
}

func (s sval) set() bool { return s.n != nil }

type dval struct {
	v time.Duration
	n *yaml.Node
}

func (d dval) set() bool { return d.n != nil }

type fval struct {
	v float64
	n *yaml.Node
}

type ival struct {
	v int64
	n *yaml.Node
}

type rawRetry struct {
	initial  dval
	backoff  fval
	max      dval
	attempts ival
}

type rawDefaults struct {
	n           *yaml.Node
	timeout     dval
	heartbeat   dval
	estimate    dval
	retry       rawRetry
	retryBudget dval
	onFailure   sval
}

type rawGate struct {
	n          *yaml.Node
	deadline   dval
	escalation dval
	onDeadline sval
}

type rawParam struct {
	key sval
	val sval
}

type rawStep struct {
	n     *yaml.Node
	index int

	id, action, scope, service, stage, onFailure, cleanup sval

	needs       []sval
	timeout     dval
	heartbeat   dval
	estimate    dval
	retry       rawRetry
	retryBudget dval
	params      []rawParam
	gate        *rawGate
	// onlyIfProduct is the step's only_if_product, before expansion.
	onlyIfProduct sval

	// forEach is set when the step has for_each; items are its items
	// (literal, or those of the named list).
	forEach *yaml.Node
	items   []sval
}

type rawRunbook struct {
	root        *yaml.Node
	name        sval
	description sval
	lists       map[string][]sval
	listNodes   map[string]*yaml.Node
	defaults    rawDefaults
	stepsNode   *yaml.Node
	steps       []*rawStep
}

// Field names, in the order they are documented.
var (
	topFields      = []string{"name", "description", "lists", "defaults", "steps"}
	defaultsFields = []string{"timeout", "heartbeat", "retry", "retry_budget", "on_failure", "estimate"}
	retryFields    = []string{"initial_interval", "backoff", "max_interval", "max_attempts"}
	gateFields     = []string{"deadline", "escalation", "on_deadline"}
	stepFields     = []string{"id", "action", "needs", "scope", "service", "stage", "timeout",
		"heartbeat", "retry", "retry_budget", "on_failure", "estimate", "params", "gate", "cleanup", "for_each", "only_if_product"}
)

// Built-in defaults, used when the runbook's defaults do not say.
const (
	builtinTimeout  = 10 * time.Minute
	builtinEstimate = 30 * time.Second
	// builtinHeartbeat is every step's heartbeat timeout unless the runbook
	// says otherwise (or the step's timeout is shorter than twice it: then
	// half the timeout). A lost task, a dead worker or a call that stopped
	// heartbeating is noticed after this long instead of after the step's
	// timeout (15 to 60 minutes). The SDK sends heartbeats at most every
	// 80% of it (24 s), which leaves 6 s for the heartbeat to reach a busy
	// server; with the longest retry interval (builtinMaxIntvl) a step is
	// running again within about a minute of losing its worker.
	builtinHeartbeat = 30 * time.Second
	builtinInitial   = time.Second
	builtinBackoff   = 2.0
	// builtinMaxIntvl caps the wait between attempts: 1, 2, 4, 8, 16, then
	// every 30 s, so a service back from an outage is retried within 30 s.
	builtinMaxIntvl = 30 * time.Second
	// builtinAttempts is 0: unlimited attempts within the retry budget.
	builtinAttempts = 0
	// builtinRetryBudget is how long a step may keep retrying, from its
	// first schedule, before it parks (the larger of this and the step's
	// timeout). Ten minutes of backoff is about 24 attempts and outlasts a
	// two-minute outage of a service several times over, where the old
	// five attempts in 15 s did not.
	builtinRetryBudget = 10 * time.Minute
	builtinOnFailure   = OnFailurePark
	builtinOnDeadln    = "park"

	// MaxHeartbeat is the longest heartbeat timeout a step may have: every
	// step recovers within about 2 minutes from a lost task, a dead worker
	// or a hung call.
	MaxHeartbeat = 2 * time.Minute

	// MaxSteps bounds the compiled plan so that it stays a small Temporal payload.
	MaxSteps = 2000
	// MaxEdges bounds the needs of a compiled plan (groups multiply them).
	MaxEdges = 50000
)

// firstNode returns the first non-nil node.
func firstNode(ns ...*yaml.Node) *yaml.Node {
	for _, n := range ns {
		if n != nil {
			return n
		}
	}
	return nil
}

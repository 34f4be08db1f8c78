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
	n         *yaml.Node
	timeout   dval
	heartbeat dval
	estimate  dval
	retry     rawRetry
	onFailure sval
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

	needs     []sval
	timeout   dval
	heartbeat dval
	estimate  dval
	retry     rawRetry
	params    []rawParam
	gate      *rawGate

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
	defaultsFields = []string{"timeout", "heartbeat", "retry", "on_failure", "estimate"}
	retryFields    = []string{"initial_interval", "backoff", "max_interval", "max_attempts"}
	gateFields     = []string{"deadline", "escalation", "on_deadline"}
	stepFields     = []string{"id", "action", "needs", "scope", "service", "stage", "timeout",
		"heartbeat", "retry", "on_failure", "estimate", "params", "gate", "cleanup", "for_each"}
)

// Built-in defaults, used when the runbook's defaults do not say.
const (
	builtinTimeout   = 10 * time.Minute
	builtinEstimate  = 30 * time.Second
	builtinInitial   = time.Second
	builtinBackoff   = 2.0
	builtinMaxIntvl  = time.Minute
	builtinAttempts  = 5
	builtinOnFailure = OnFailurePark
	builtinOnDeadln  = "park"

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

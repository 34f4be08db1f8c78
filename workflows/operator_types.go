package workflows

import (
	"time"

	"github.com/lazarus-dr/lazarus/runbooks"
)

// Operator actions (OperatorAction.Action): the batch's steering updates.
const (
	ActionPause          = "pause"
	ActionResume         = "resume"
	ActionCancel         = "cancel"
	ActionSetConcurrency = "set-concurrency"
	ActionAddSites       = "add-sites"
	ActionSwitchRunbook  = "switch-runbook"
)

// OperatorAction is one steering decision a batch accepted, with who made
// it and why: what the report's timeline shows.
type OperatorAction struct {
	At       time.Time `json:"at"`
	Action   string    `json:"action"`
	Operator string    `json:"operator"`
	Reason   string    `json:"reason,omitempty"`
	// Detail says what changed, e.g. "max concurrent sites 50" or
	// "restore1 -> restore2 for 120 queued sites".
	Detail string `json:"detail,omitempty"`
}

// Operator is who sends a steering update and why; every steering update's
// request carries it.
type Operator struct {
	Operator string `json:"operator"`
	Reason   string `json:"reason,omitempty"`
}

// SwitchRunbookRequest moves a batch's sites that have not started to
// another runbook (switch-runbook). Sites already running keep theirs.
type SwitchRunbookRequest struct {
	// Plan is the new runbook, compiled (and preflighted) by the caller.
	// Its batch-scoped steps must be the batch's: the sites it moves use
	// the clones the batch made.
	Plan runbooks.Plan `json:"plan"`
	// Sites are the sites to move (each must be queued); empty: every
	// queued site, and the sites added later.
	Sites []string `json:"sites,omitempty"`
	// IncludeParked also moves the parked sites (listed, or all): each is
	// cancelled where it parked and started again from its first step with
	// the new runbook. What the old runbook's finished steps did is not
	// undone: a step of the new one that conflicts with it parks.
	IncludeParked bool   `json:"include_parked,omitempty"`
	Operator      string `json:"operator"`
	Reason        string `json:"reason,omitempty"`
}

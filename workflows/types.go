package workflows

import (
	"time"

	"github.com/lazarus-dr/lazarus/runbooks"
)

// Site is one site of a batch.
type Site struct {
	SiteID       string    `json:"site_id"`
	DeletedAt    time.Time `json:"deleted_at"`
	RestorePoint time.Time `json:"restore_point"`
	// Users is how many users the site had (for "% of users restored").
	Users int `json:"users,omitempty"`
	// Runbook is the runbook the site runs when a switch-runbook moved it
	// to another one than the batch's (RestoreBatchInput.Switched); empty:
	// the batch's own.
	Runbook string `json:"runbook,omitempty"`
}

// RestoreBatchInput starts (or, with Carry set, continues) a batch.
type RestoreBatchInput struct {
	BatchID            string        `json:"batch_id"`
	Plan               runbooks.Plan `json:"plan"`
	Sites              []Site        `json:"sites"`
	MaxConcurrentSites int           `json:"max_concurrent_sites"`
	// Drill restores into isolated copies under new IDs (never the live site).
	Drill bool `json:"drill,omitempty"`
	// Carry is the state handed over by continue-as-new; nil on the first run.
	Carry *BatchCarry `json:"carry,omitempty"`
	// Switched are the plans that switch-runbook brought in, in the order
	// of the switches; a site whose Runbook names one runs it.
	Switched []runbooks.Plan `json:"switched,omitempty"`
	// MaxChildrenPerRun is how many site workflows one run of the batch
	// starts before it continues as new (0: DefaultMaxChildrenPerRun); a
	// run also continues as new at MaxRunHistoryEvents or
	// MaxRunHistoryBytes of history (batch_carry.go).
	MaxChildrenPerRun int `json:"max_children_per_run,omitempty"`
}

// RestoreSiteInput starts one site's restore.
type RestoreSiteInput struct {
	BatchID string        `json:"batch_id"`
	Site    Site          `json:"site"`
	Plan    runbooks.Plan `json:"plan"`
	// PackedPlan, when set, is the plan packed (plan_pack.go) and Plan is
	// empty: what a batch sends, to keep its history small.
	PackedPlan []byte `json:"packed_plan,omitempty"`
	// Vars are the per-site values of the batch-scoped steps this site needs.
	Vars  map[string]string `json:"vars,omitempty"`
	Drill bool              `json:"drill,omitempty"`
	// Lead lists the batch-scoped steps of the plan that were not done
	// when the site started: the site waits for a SignalLeadStep for each
	// pending one. A batch-scoped step not listed here counts as done, its
	// per-site values already in Vars (so a site started on its own, with
	// no Lead, never waits for the batch).
	Lead []LeadStatus `json:"lead,omitempty"`
}

// Lead step statuses (LeadStatus.Status).
const (
	LeadPending = "pending"
	LeadDone    = "done"
	LeadSkipped = "skipped"
	LeadFailed  = "failed"
)

// LeadStatus is the state of one batch-scoped step as one site sees it: in
// RestoreSiteInput.Lead and in the SignalLeadStep the batch sends its sites.
type LeadStatus struct {
	StepID string `json:"step_id"`
	Status string `json:"status"` // pending | done | skipped | failed
	// Values are this site's per-site values of the step (when done).
	Values map[string]string `json:"values,omitempty"`
	Error  string            `json:"error,omitempty"`
}

// Site event kinds (SiteEvent.Kind).
const (
	SiteEventParked   = "parked"   // a step parked: waiting for an operator
	SiteEventWaiting  = "waiting"  // a gate opened: waiting for a human
	SiteEventResumed  = "resumed"  // nothing parked or waiting any more
	SiteEventFinished = "finished" // the site ended; Result is set
)

// SiteEvent is what a site signals to its batch (SignalSiteEvent): that it
// is blocked on a human (so it no longer counts against the concurrency
// window and the progress lists it), that it resumed, or its final result
// (so a batch that continued as new still learns how the site ended).
type SiteEvent struct {
	SiteID string      `json:"site_id"`
	Kind   string      `json:"kind"`
	StepID string      `json:"step_id,omitempty"`
	Reason string      `json:"reason,omitempty"`
	Result *SiteResult `json:"result,omitempty"`
}

// Step states.
const (
	StepPending = "pending"
	StepRunning = "running"
	StepDone    = "done"
	StepParked  = "parked"
	StepSkipped = "skipped"
	StepFailed  = "failed"
	StepWaiting = "waiting" // a gate waiting for a human decision
)

// Site outcomes and batch statuses.
const (
	SiteRunning   = "running"
	SiteRestored  = "restored"
	SiteParked    = "parked"
	SiteFailed    = "failed"
	SiteAborted   = "aborted"
	SiteCancelled = "cancelled"
	SiteQueued    = "queued"
	SiteWaiting   = "waiting" // a gate waits for a human decision
	// SiteElsewhere: another batch is restoring the site (a second batch
	// raced past the preflight); this batch leaves it alone.
	SiteElsewhere = "in-other-batch"
)

// StepState is the checkpoint of one step.
type StepState struct {
	StepID    string            `json:"step_id"`
	Action    string            `json:"action"`
	Service   string            `json:"service"`
	Stage     string            `json:"stage,omitempty"`
	Status    string            `json:"status"`
	Attempts  int32             `json:"attempts"`
	StartedAt time.Time         `json:"started_at,omitempty"`
	EndedAt   time.Time         `json:"ended_at,omitempty"`
	Message   string            `json:"message,omitempty"`
	Error     string            `json:"error,omitempty"`
	Values    map[string]string `json:"values,omitempty"`
}

// SiteState is what the site-state query returns.
type SiteState struct {
	BatchID        string      `json:"batch_id"`
	SiteID         string      `json:"site_id"`
	Runbook        string      `json:"runbook"`
	Status         string      `json:"status"`
	Stage          string      `json:"stage"`
	NeedsAttention bool        `json:"needs_attention"`
	RestorePoint   time.Time   `json:"restore_point"`
	Steps          []StepState `json:"steps"`
}

// SiteResult is one site's outcome in the batch result.
type SiteResult struct {
	SiteID  string `json:"site_id"`
	Outcome string `json:"outcome"`
	// Decisions are the operators' decisions on the site's steps (retry,
	// skip, abort, approve, reject): in the full result (the site's memo),
	// not in what the site returns its batch.
	Decisions []OperatorAction `json:"decisions,omitempty"`
	// Runbook is the runbook the site ran (a batch switched with
	// switch-runbook runs more than one); empty in results recorded
	// before it was kept: the batch's runbook.
	Runbook      string        `json:"runbook,omitempty"`
	DeletedAt    time.Time     `json:"deleted_at,omitzero"`
	RestorePoint time.Time     `json:"restore_point,omitzero"`
	StartedAt    time.Time     `json:"started_at,omitzero"`
	EndedAt      time.Time     `json:"ended_at,omitzero"`
	Duration     time.Duration `json:"duration,omitempty"`
	Users        int           `json:"users,omitempty"`
	Errors       []string      `json:"errors,omitempty"`
	Steps        []StepState   `json:"steps,omitempty"`
	// StepTimes replace Steps in what a site returns to its batch (and
	// signals it): its finished site steps and how long each took. The
	// full result is in the site's memo (MemoSiteResult).
	StepTimes []StepTime `json:"step_times,omitempty"`
}

// StepTime is a finished site step as its batch counts it.
type StepTime struct {
	StepID  string  `json:"step_id"`
	Status  string  `json:"status"`
	Seconds float64 `json:"seconds,omitempty"`
}

// MemoSiteResult is the memo field in which a site keeps its full result
// (every step's state, message, values and error) since it returns its
// batch the brief one.
const MemoSiteResult = "result"

// ParkedSite is a site waiting for a human: parked (an operator's
// decision) or at a gate (a customer's validation).
type ParkedSite struct {
	SiteID string `json:"site_id"`
	StepID string `json:"step_id"`
	Reason string `json:"reason"`
	// Kind is SiteParked or SiteWaiting (empty: parked, as recorded before).
	Kind string `json:"kind,omitempty"`
	// Since is when the batch learned it (zero when recorded before).
	Since time.Time `json:"since,omitzero"`
}

// BatchProgress is what the batch-progress query returns.
type BatchProgress struct {
	BatchID            string         `json:"batch_id"`
	Runbook            string         `json:"runbook"`
	Status             string         `json:"status"` // running | paused | cancelling | done
	Paused             bool           `json:"paused"`
	MaxConcurrentSites int            `json:"max_concurrent_sites"`
	SitesTotal         int            `json:"sites_total"`
	SitesByStatus      map[string]int `json:"sites_by_status"`
	StepsDone          int            `json:"steps_done"`
	StepsTotal         int            `json:"steps_total"`
	// StepsDoneByStage counts completed site steps per stage, for per-stage bars.
	StepsDoneByStage  map[string]int `json:"steps_done_by_stage,omitempty"`
	StepsTotalByStage map[string]int `json:"steps_total_by_stage,omitempty"`
	Parked            []ParkedSite   `json:"parked,omitempty"`
	StartedAt         time.Time      `json:"started_at"`
	ETA               time.Duration  `json:"eta"`
	Runs              int            `json:"runs"` // how many times it continued as new, plus one
	// Lead are the batch-scoped steps' states, round by round.
	Lead []LeadRound `json:"lead,omitempty"`
	// Waiting are the sites at a gate, waiting for a human decision.
	Waiting []ParkedSite `json:"waiting,omitempty"`
	// Actions are the operators' steering decisions, oldest first.
	Actions []OperatorAction `json:"actions,omitempty"`
}

// BatchResult is the batch workflow's result.
type BatchResult struct {
	BatchID   string       `json:"batch_id"`
	Runbook   string       `json:"runbook"`
	StartedAt time.Time    `json:"started_at"`
	EndedAt   time.Time    `json:"ended_at"`
	Sites     []SiteResult `json:"sites"`
	// Errors are every site's errors, collected (go-multierror text).
	Errors []string `json:"errors,omitempty"`
	// Actions are the operators' steering decisions, oldest first.
	Actions []OperatorAction `json:"actions,omitempty"`
	// Lead are the batch-scoped steps (the clones), round by round.
	Lead []LeadRound `json:"lead,omitempty"`
}

// StepDecision is an operator's answer to a parked step.
type StepDecision struct {
	StepID   string `json:"step_id"`
	Decision string `json:"decision"` // retry | skip | abort
	Operator string `json:"operator"`
	Reason   string `json:"reason,omitempty"`
}

// GateDecision is a human's answer to a gate.
type GateDecision struct {
	StepID   string `json:"step_id"`
	Decision string `json:"decision"` // approve | reject
	Operator string `json:"operator"`
	Reason   string `json:"reason,omitempty"`
}

// AddSitesRequest adds sites to a running batch.
type AddSitesRequest struct {
	Sites []Site `json:"sites"`
	// Operator and Reason: who adds them, and why.
	Operator string `json:"operator,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// LeadRound is one run of the plan's batch-scoped steps for a set of sites.
type LeadRound struct {
	Round int `json:"round"`
	// Steps are the batch steps' states in plan order (Values: the step's
	// own output values, handed to its cleanup).
	Steps []StepState `json:"steps"`
	// CleanedUp is true once every cleanup of the round ran.
	CleanedUp bool `json:"cleaned_up,omitempty"`
}

package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// Limits of one batch run: it continues as new once it has started
// MaxChildrenPerRun sites, or its history has MaxRunHistoryEvents events or
// MaxRunHistoryBytes bytes.
const (
	// DefaultMaxChildrenPerRun is how many site workflows one batch run
	// starts before it continues as new. Measured on the dev server: 400
	// children make a run of about 2,270 events (5.7 per site).
	DefaultMaxChildrenPerRun = 500
	// MaxRunHistoryEvents stays far below the server's 51,200-event limit
	// (and below the point where a run's replay on a new worker is slow).
	MaxRunHistoryEvents = 8000
	// MaxRunHistoryBytes: each site adds about 12 KB to a run's history
	// (its packed plan and input, its result, its end signal). A handover
	// costs little since it no longer drains the window, and a smaller run
	// is a smaller execution for the server to load and write on every
	// event (on the dev server's SQLite, the batch's writes hit their
	// deadlines at 8 to 12 MB under load): 4 MB.
	MaxRunHistoryBytes = 4 << 20
	// MaxHandoverWait is how long a due run waits for the server to
	// confirm the starts of the sites it started last. A site's start that
	// is not confirmed when the run closes is dropped by the server, so the
	// run waits; but an overloaded server was seen to leave a start
	// unconfirmed for 11 minutes, so past this wait the run hands such
	// sites back to the queue and the next run starts them again (or finds
	// them started, and adopts them: notStarted).
	MaxHandoverWait = time.Minute
	// QuickHandoverWait replaces MaxHandoverWait for runs that resend
	// their undelivered lead signals (changeHandoverResendsLead): a site
	// handed back is then safe to start again, so the run waits only long
	// enough to spare the usual late confirmation a second start, and the
	// window does not drain while an overloaded server catches up. In runs
	// recorded since changeHandoverSettles it is the longest quiet spell
	// (no start confirmed, no signal delivered) a handover waits through,
	// and MaxHandoverWait bounds the whole wait (batch_settle.go).
	QuickHandoverWait = 15 * time.Second
	// MaxPendingChildrenPerRun stays under the server's 2,000 pending
	// children per execution.
	MaxPendingChildrenPerRun = 1500
)

// BatchCarry is the state a batch carries across continue-as-new: the
// window's queue and adopted sites, the lead rounds with the per-site values
// of queued sites, the tally, and the operator's settings. Its JSON shape is
// what running batches carry: add fields, never rename them.
type BatchCarry struct {
	Results   []SiteResult `json:"results,omitempty"`
	Pending   []Site       `json:"pending,omitempty"`
	Paused    bool         `json:"paused,omitempty"`
	StartedAt time.Time    `json:"started_at"`
	Runs      int          `json:"runs"`
	// FirstSiteAt is when the batch started its first site (after its
	// lead steps): where the ETA's pace is measured from.
	FirstSiteAt time.Time `json:"first_site_at,omitzero"`
	// FirstEndAt is when the batch's first site ended: where the ETA's
	// pace is measured from, once known.
	FirstEndAt time.Time `json:"first_end_at,omitzero"`
	// Blocked are sites started by an earlier run that were still running,
	// parked or waiting on a gate when it continued as new; the next run
	// adopts them, and their result arrives by SignalSiteEvent.
	Blocked []BlockedSite `json:"blocked,omitempty"`
	// Rounds are the batch-scoped step rounds (one for the first sites, one
	// per add-sites), kept for progress and for the cleanups at the end.
	Rounds []LeadRound `json:"rounds,omitempty"`
	// LeadTable holds each distinct per-site lead value set once; SiteLead
	// maps a pending site to its row (many sites share a clone).
	LeadTable []map[string]string `json:"lead_table,omitempty"`
	SiteLead  map[string]int      `json:"site_lead,omitempty"`
	// SiteRound maps a pending site to its lead round when not round 0.
	SiteRound          map[string]int `json:"site_round,omitempty"`
	MaxConcurrentSites int            `json:"max_concurrent_sites,omitempty"`
	Cancelled          bool           `json:"cancelled,omitempty"`
	// StepSeconds sums measured site-step durations per step ID (for the ETA).
	StepSeconds map[string]float64 `json:"step_seconds,omitempty"`
	StepCount   map[string]int     `json:"step_count,omitempty"`
	Errors      []string           `json:"errors,omitempty"`
	// StepsDone counts finished site steps of finished sites (per stage too).
	StepsDone        int            `json:"steps_done,omitempty"`
	StepsDoneByStage map[string]int `json:"steps_done_by_stage,omitempty"`
	// Resend are lead-step signals the run had sent but the server had not
	// delivered when it continued as new: the next run sends them again.
	Resend []SiteLead `json:"resend,omitempty"`
	// Actions are the operators' steering decisions so far.
	Actions []OperatorAction `json:"actions,omitempty"`
	// Runbook is the runbook of sites added from now on, when a
	// switch-runbook of every queued site changed it (empty: the batch's).
	Runbook string `json:"runbook,omitempty"`
	// SwitchedSites counts the sites moved to each switched runbook (for
	// the progress's step totals).
	SwitchedSites map[string]int `json:"switched_sites,omitempty"`
	// Moving are parked sites a switch cancelled, by site: the runbook
	// each starts again with once its cancelled run has ended.
	Moving map[string]string `json:"moving,omitempty"`
	// MovedAt are when moved sites went back to the queue: a result of
	// their cancelled run that arrives after it is stale.
	MovedAt map[string]time.Time `json:"moved_at,omitempty"`
}

// SiteLead is a lead-step status for one site.
type SiteLead struct {
	SiteID string     `json:"site_id"`
	Lead   LeadStatus `json:"lead"`
}

// BlockedSite is a running site carried to the next run: moving
// (SiteRunning), parked or waiting on a human.
type BlockedSite struct {
	SiteID    string    `json:"site_id"`
	StepID    string    `json:"step_id,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	Kind      string    `json:"kind"` // parked | waiting | running
	StartedAt time.Time `json:"started_at,omitzero"`
	// Since is when it became parked or waiting.
	Since time.Time `json:"since,omitzero"`
	// Runbook is the site's when switched (Site.Runbook).
	Runbook string `json:"runbook,omitempty"`
	// A parked site keeps its lead values (a row of the carry's
	// LeadTable, plus one: 0 is none) and round, to start again if a
	// switch moves it.
	LeadRow int `json:"lead_row,omitempty"`
	Round   int `json:"round,omitempty"`
	// DeletedAt, RestorePoint and Users: a parked site's, to start again.
	DeletedAt    time.Time `json:"deleted_at,omitzero"`
	RestorePoint time.Time `json:"restore_point,omitzero"`
	Users        int       `json:"users,omitempty"`
}

// carry is the state the next run starts from.
func (b *batchRun) carry() BatchCarry {
	blocked := b.win.adopted()
	for i := range blocked {
		// Taken after the queued sites' rows: interning may add rows.
		if c := b.win.running[blocked[i].SiteID]; c.blocked == SiteEventParked && len(c.vars) > 0 {
			blocked[i].LeadRow = b.lead.intern(c.vars) + 1
		}
	}
	return BatchCarry{
		LeadTable: b.lead.table,
		Results:   b.tally.results, Pending: b.win.queue, Blocked: blocked,
		Paused: b.paused, Cancelled: b.cancelled, MaxConcurrentSites: b.maxConcurrent,
		StartedAt: b.startedAt, Runs: b.runs, FirstSiteAt: b.firstSiteAt, FirstEndAt: b.firstEndAt,
		Rounds: b.lead.rounds, SiteLead: b.lead.siteRow, SiteRound: b.lead.siteRound,
		StepSeconds: b.tally.stepSeconds, StepCount: b.tally.stepCount, Errors: b.tally.errors,
		StepsDone: b.tally.stepsDone, StepsDoneByStage: b.tally.stageDone,
		Resend:  b.undelivered(),
		Actions: b.actions, Runbook: b.runbook, SwitchedSites: b.switchedSites,
		Moving: b.moving, MovedAt: b.movedAt,
	}
}

// resume sets a new run's state from the carry of the run before it.
func (b *batchRun) resume(c BatchCarry) {
	b.paused, b.cancelled, b.maxConcurrent = c.Paused, c.Cancelled, c.MaxConcurrentSites
	b.startedAt, b.runs, b.firstSiteAt, b.firstEndAt = c.StartedAt, c.Runs, c.FirstSiteAt, c.FirstEndAt
	b.tally = &tally{results: c.Results, errors: c.Errors, stepsDone: c.StepsDone,
		stageDone: orEmpty(c.StepsDoneByStage), stepSeconds: orEmpty(c.StepSeconds),
		stepCount: orEmpty(c.StepCount)}
	b.lead.rounds, b.lead.table = c.Rounds, c.LeadTable
	b.lead.siteRow, b.lead.siteRound = orEmpty(c.SiteLead), orEmpty(c.SiteRound)
	for i, row := range c.LeadTable {
		b.lead.index[leadKey(row)] = i
	}
	for _, r := range c.Results {
		b.win.hasResult(r.SiteID)
	}
	b.win.enqueue(c.Pending...)
	for _, bs := range c.Blocked {
		b.win.adopt(bs)
		if bs.LeadRow > 0 && bs.LeadRow <= len(c.LeadTable) {
			b.win.running[bs.SiteID].vars = c.LeadTable[bs.LeadRow-1]
		}
	}
	b.resend = c.Resend
	b.actions, b.runbook, b.switchedSites = c.Actions, c.Runbook, orEmpty(c.SwitchedSites)
	b.moving, b.movedAt = orEmpty(c.Moving), orEmpty(c.MovedAt)
}

func orEmpty[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return m
}

// canDue says whether this run should continue as new: it started its
// share of sites, or its history is long (events) or large (bytes).
func (b *batchRun) canDue(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return b.startedInRun >= b.maxPerRun || info.GetCurrentHistoryLength() > MaxRunHistoryEvents ||
		info.GetCurrentHistorySize() > MaxRunHistoryBytes
}

// readyToContinue: continue-as-new is due, no batch-scoped step is running
// (its result comes to this run), and either every site this run started is
// confirmed started (they are handed over running) or, for runs recorded
// before changeHandoverAdopts, no site of this run is still moving (sites
// blocked on a human are carried over).
func (b *batchRun) readyToContinue() bool {
	if !b.due || b.lead.running > 0 {
		return false
	}
	if b.adopting {
		if b.settles {
			return b.stale || b.settled()
		}
		return b.stale || !b.win.starting()
	}
	return !b.win.moving()
}

func (b *batchRun) continueAsNew(ctx workflow.Context) error {
	b.requeueUnconfirmed()
	carry := b.carry()
	next := b.in
	next.Sites = nil
	next.Carry = &carry
	b.logger.Info("batch continues as new", "run", b.runs, "results", len(carry.Results),
		"pending", len(carry.Pending), "carried_sites", len(carry.Blocked),
		"history_length", workflow.GetInfo(ctx).GetCurrentHistoryLength())
	return workflow.NewContinueAsNewError(ctx, RestoreBatchWorkflowName, next)
}

// requeueUnconfirmed puts the sites whose start the server has not
// confirmed back at the head of the queue, with the lead values and round
// they were started with, for the next run to start again.
func (b *batchRun) requeueUnconfirmed() {
	var again []Site
	for _, c := range b.win.unconfirmed() {
		again = append(again, c.site)
		vars := map[string]string{}
		for _, k := range workflow.DeterministicKeys(c.vars) {
			vars[k] = c.vars[k]
		}
		for _, ls := range c.late { // lead values that ended after its start
			for _, k := range workflow.DeterministicKeys(ls.Values) {
				vars[k] = ls.Values[k]
			}
		}
		b.lead.requeue(c.site.SiteID, vars, c.round)
	}
	if len(again) > 0 {
		b.win.queue = append(again, b.win.queue...)
		b.logger.Warn("sites whose start was not confirmed go back to the queue", "sites", len(again))
	}
}

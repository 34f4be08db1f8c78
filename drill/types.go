package drill

import (
	"time"

	"github.com/lazarus-dr/lazarus/runbooks"
)

// Defaults of a drill's input.
const (
	DefaultRunbook = "restore1"
	// DefaultPointAge is how long before the drill's start its restore
	// point is: a few minutes, so that the WAL reaching it is archived and
	// the live traffic since then is what the drill copies must not have.
	DefaultPointAge = 5 * time.Minute
	DefaultSample   = 20
	// DefaultConcurrency is how many drill copies are restored at once.
	DefaultConcurrency = 50
)

// Input is what a drill is asked to do: the DrillRun workflow's input, and
// the action of a drill schedule.
type Input struct {
	// DrillID names the drill (its batch, its copies' IDs and URLs). Empty
	// in a schedule's action: the workflow derives it from its own
	// workflow ID and start time (see ID).
	DrillID string `json:"drill_id,omitempty"`
	// Runbook is a runbook name the worker knows (restore1) or a file on
	// the worker's host. It must restore under new IDs (catalog.create_site).
	Runbook string `json:"runbook,omitempty"`
	// Sample is how many live sites to draw; Sites, when set, are used
	// instead (the sample is then the list).
	Sample int      `json:"sample,omitempty"`
	Sites  []string `json:"sites,omitempty"`
	// Seed makes the sample deterministic.
	Seed int64 `json:"seed"`
	// PointAge puts the restore point this long before the drill starts.
	PointAge    time.Duration `json:"point_age,omitempty"`
	Concurrency int           `json:"concurrency,omitempty"`
	// Operator is who started the drill (the CLI's --identity, or the
	// schedule's ID for a scheduled drill).
	Operator   string `json:"operator,omitempty"`
	ScheduleID string `json:"schedule_id,omitempty"`
}

// Candidate is one live site the sampler may draw.
type Candidate struct {
	SiteID   string `json:"site_id"`
	Users    int    `json:"users"`
	Products int    `json:"products"`
	// Rows counts the site's tenant rows in the product shards (its size).
	Rows int64 `json:"rows"`
}

// Strata of the sample (Picked.Stratum).
const (
	StratumLarge        = "large"
	StratumSmall        = "small"
	StratumMultiProduct = "multi-product"
	StratumListed       = "listed" // a site given by --sites-file
)

// Picked is a sampled site.
type Picked struct {
	SiteID  string `json:"site_id"`
	Stratum string `json:"stratum"`
	Users   int    `json:"users,omitempty"`
}

// PrepareInput asks the worker to compile the runbook, check the restore
// point and draw the sample (ActivityPrepare).
type PrepareInput struct {
	DrillID string    `json:"drill_id"`
	Runbook string    `json:"runbook"`
	Sample  int       `json:"sample"`
	Sites   []string  `json:"sites,omitempty"`
	Seed    int64     `json:"seed"`
	Point   time.Time `json:"point"`
}

// PrepareOutput is the compiled plan (gates left out: a drill has no
// customer to ask) and the sites to restore.
type PrepareOutput struct {
	Plan  runbooks.Plan `json:"plan"`
	Sites []Picked      `json:"sites"`
	// GatesLeftOut are the plan's gate steps, left out of the drill.
	GatesLeftOut []string `json:"gates_left_out,omitempty"`
	// LiveSites is how many live sites the catalog had before the drill.
	LiveSites int `json:"live_sites"`
}

// ChecksumsOutput is every production tenant's checksum, allowing for the
// live traffic it received (rows the traffic wrote are left out), drill
// copies excluded (ActivityChecksums).
type ChecksumsOutput struct {
	// Tenants maps a live site's ID to its checksum over every store.
	Tenants map[string]string `json:"tenants"`
}

// CleanupInput asks the worker to remove every copy of the drill
// (ActivityCleanup): the copies of Sites, whatever state each is in.
type CleanupInput struct {
	DrillID string   `json:"drill_id"`
	Sites   []string `json:"sites"`
}

// CleanupOutput says what was removed and what is left.
type CleanupOutput struct {
	// Removed are the copy IDs of which something was removed.
	Removed []string `json:"removed,omitempty"`
	Rows    int64    `json:"rows"`
	Objects int      `json:"objects"`
	// Left are the drill's copies still found after the cleanup (a site
	// row, a tenant row or an object under a copy's ID): empty when clean.
	Left []string `json:"left,omitempty"`
	// LiveSites is how many live sites the catalog has after the cleanup.
	LiveSites int `json:"live_sites"`
}

// CollectInput asks for the step times of the drill's site workflows
// (ActivityCollect).
type CollectInput struct {
	DrillID string   `json:"drill_id"`
	Sites   []string `json:"sites"`
}

// CollectOutput has, per site, what its workflow recorded.
type CollectOutput struct {
	Sites []SiteRecord `json:"sites"`
}

// SiteRecord is one drill site's workflow result, as read from its memo.
type SiteRecord struct {
	SiteID       string    `json:"site_id"`
	CopyID       string    `json:"copy_id,omitempty"`
	Outcome      string    `json:"outcome"`
	RestorePoint time.Time `json:"restore_point,omitzero"`
	StartedAt    time.Time `json:"started_at,omitzero"`
	EndedAt      time.Time `json:"ended_at,omitzero"`
	Steps        []Step    `json:"steps"`
	Errors       []string  `json:"errors,omitempty"`
}

// Step is one step of a drill site: how long it took (its part of the RTO)
// and the data loss of the point it restored to (RPO: the drill's start
// minus that point).
type Step struct {
	StepID     string  `json:"step_id"`
	Status     string  `json:"status"`
	Seconds    float64 `json:"seconds"`
	RPOSeconds float64 `json:"rpo_seconds"`
}

// Result is what a drill found: the DrillRun workflow's result and the
// body of its report.
type Result struct {
	DrillID    string `json:"drill_id"`
	Runbook    string `json:"runbook"`
	ScheduleID string `json:"schedule_id,omitempty"`
	Operator   string `json:"operator,omitempty"`
	Seed       int64  `json:"seed"`
	// StartedAt is the drill's start: the simulated disaster, from which
	// RTO and RPO are counted.
	StartedAt    time.Time `json:"started_at"`
	EndedAt      time.Time `json:"ended_at"`
	RestorePoint time.Time `json:"restore_point"`
	Sites        []Site    `json:"sites"`
	// ProductionUnchanged: every production tenant's checksum after the
	// drill equals the one before (traffic allowed for).
	ProductionUnchanged bool     `json:"production_unchanged"`
	ProductionChecked   int      `json:"production_checked"`
	ProductionChanged   []string `json:"production_changed,omitempty"`
	CleanedUp           bool     `json:"cleaned_up"`
	LiveSitesBefore     int      `json:"live_sites_before"`
	LiveSitesAfter      int      `json:"live_sites_after"`
	GatesLeftOut        []string `json:"gates_left_out,omitempty"`
	// Errors are what went wrong (a failed step, a cleanup that left
	// something, a checksum that could not be taken), every one.
	Errors []string `json:"errors,omitempty"`
	// Passed: every site validated, production unchanged, cleaned up.
	Passed bool `json:"passed"`
	// Regressions are filled by the report (against earlier drills).
	Regressions []Regression `json:"regressions"`
}

// Site is one sampled site's drill.
type Site struct {
	SiteID    string `json:"site_id"`
	CopyID    string `json:"copy_id"`
	Stratum   string `json:"stratum"`
	Validated bool   `json:"validated"`
	Outcome   string `json:"outcome"`
	// RTOSeconds: from the drill's start to the copy validated.
	RTOSeconds float64 `json:"rto_seconds"`
	// RPOSeconds: the drill's start minus the point the copy's data are of.
	RPOSeconds   float64   `json:"rpo_seconds"`
	RestorePoint time.Time `json:"restore_point,omitzero"`
	Steps        []Step    `json:"steps"`
	Errors       []string  `json:"errors,omitempty"`
}

// Regression kinds.
const (
	RegressionSlowerStep = "slower-step"
	RegressionFailedSite = "failed-site"
	RegressionPointDrift = "restore-point-drift"
	RegressionProduction = "production-changed"
	RegressionNotCleaned = "not-cleaned-up"
)

// Regression is one thing worse than before.
type Regression struct {
	Kind   string `json:"kind"`
	SiteID string `json:"site_id,omitempty"`
	StepID string `json:"step_id,omitempty"`
	// Seconds and MedianSeconds compare a step with its median over the
	// previous drills.
	Seconds       float64 `json:"seconds,omitempty"`
	MedianSeconds float64 `json:"median_seconds,omitempty"`
	Detail        string  `json:"detail"`
}

// Drill results (the LazarusDrillResult search attribute).
const (
	ResultRunning = "running"
	ResultPassed  = "passed"
	ResultFailed  = "failed"
)

// Activity names of a drill.
const (
	ActivityPrepare   = "lazarus.drill-prepare"
	ActivityChecksums = "lazarus.drill-checksums"
	ActivityCleanup   = "lazarus.drill-cleanup"
	// ActivityCollect reads Temporal, not the platform: the worker runs it
	// on the workflows' task queue.
	ActivityCollect = "lazarus.drill-collect"
)

// ID is the drill ID of a DrillRun workflow that was given none (a
// scheduled run): the schedule's workflow ID without its "lazarus-drill-"
// prefix and the time Temporal appended, then the start time as
// YYYYMMDD-HHMMSS (UTC). It is a host label's worth of lower-case letters,
// digits and '-', as a drill copy's URL carries it.
func ID(scheduleID string, start time.Time) string {
	return HostLabel(scheduleID) + "-" + start.UTC().Format("20060102-150405")
}

// HostLabel is s in the characters of a host label: lower-case letters,
// digits and '-' (anything else becomes '-'). A drill ID is one, and a drill
// copy's URL carries it (platform.DrillURL).
func HostLabel(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range []byte(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			b = append(b, r)
		case r >= 'A' && r <= 'Z':
			b = append(b, r+'a'-'A')
		default:
			b = append(b, '-')
		}
	}
	return string(b)
}

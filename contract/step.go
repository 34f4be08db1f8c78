package contract

import "time"

// SiteTarget is one site of a batch as a batch-scoped step sees it.
type SiteTarget struct {
	SiteID string `json:"site_id"`
	// DeletedAt is when the site was deleted (from the platform's audit store).
	DeletedAt time.Time `json:"deleted_at"`
	// RestorePoint is the point the policy asks for (DeletedAt minus the offset).
	RestorePoint time.Time `json:"restore_point"`
}

// StepInput is the one input of every runbook action. The workflow fills it
// from the compiled plan step and the site's state; the activity registered
// under the step's action name reads what it needs.
type StepInput struct {
	BatchID string `json:"batch_id"`
	SiteID  string `json:"site_id,omitempty"`
	StepID  string `json:"step_id"`
	Action  string `json:"action"`
	Runbook string `json:"runbook"`
	// Params are the step's params from the runbook (after expansion).
	Params map[string]string `json:"params,omitempty"`
	// RestorePoint is the point in time this site's data is restored to:
	// after clone planning, the point the site actually gets.
	RestorePoint time.Time `json:"restore_point,omitempty"`
	// Vars are the values this site has gathered so far: the per-site values
	// of the batch-scoped steps it needs, then the values of its own
	// completed steps, later steps overriding earlier ones in plan order
	// (see vars.go for their names).
	Vars Vars `json:"vars,omitempty"`
	// Sites is set for batch-scoped steps only: every site of the batch.
	Sites []SiteTarget `json:"sites,omitempty"`
	// Drill is true when the restore goes into an isolated copy under a new
	// ID and must never write to the live site.
	Drill bool `json:"drill,omitempty"`
}

// StepOutput is what every runbook action returns.
type StepOutput struct {
	// Message is a one-line human summary ("copied 1,204 rows in 6 tables").
	Message string `json:"message,omitempty"`
	// Values are added to the site's Vars for the steps that follow.
	Values Vars `json:"values,omitempty"`
	// PerSite is set by batch-scoped steps: values handed only to the named
	// site (for example which clone serves it and the restore point it gets).
	PerSite map[string]Vars `json:"per_site,omitempty"`
	// Attempt is the attempt that succeeded (1 for the first), as Temporal
	// counts it: set by the activities' wrapper.
	Attempt int32 `json:"attempt,omitempty"`
}

// FailureDetails are the details of every application error a runbook
// action fails with (temporal.ApplicationError.Details): what a workflow
// reads with
//
//	var d contract.FailureDetails
//	if errors.As(err, &appErr) && appErr.HasDetails() { _ = appErr.Details(&d) }
type FailureDetails struct {
	// Attempt is the attempt that failed (1 for the first), as Temporal
	// counts it.
	Attempt int32 `json:"attempt"`
}

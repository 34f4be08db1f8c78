package contract

import "time"

// ActionWebhook is the plug-in action that POSTs a step to an HTTP
// endpoint of the platform description's webhooks (param ParamWebhook).
const ActionWebhook = "webhook"

// ParamWebhook names the webhook (platform description, webhooks[].name)
// a webhook step calls. Every other param of the step is passed through.
const ParamWebhook = "webhook"

// HeaderIdempotencyKey is the header that carries WebhookIdempotencyKey.
const HeaderIdempotencyKey = "Idempotency-Key"

// WebhookRequest is the JSON body a webhook step POSTs.
type WebhookRequest struct {
	// SiteID is the deleted site being restored.
	SiteID string `json:"site_id"`
	// AsSiteID is the site ID the restore writes to: SiteID itself
	// (Restore 2), or the new ID (Restore 1, drills).
	AsSiteID string `json:"as_site_id"`
	BatchID  string `json:"batch_id"`
	StepID   string `json:"step_id"`
	Runbook  string `json:"runbook"`
	// RestorePoint is the point in time the site is restored to (RFC 3339;
	// absent when the batch has none).
	RestorePoint *time.Time `json:"restore_point,omitempty"`
	// Params are the step's params except ParamWebhook.
	Params map[string]string `json:"params"`
	// Drill is true when the restore goes into an isolated copy (AsSiteID)
	// and must never touch the live site.
	Drill bool `json:"drill,omitempty"`
}

// WebhookAnswer is the optional JSON body of a webhook's answer. Any body
// that is not this JSON object is ignored on success.
type WebhookAnswer struct {
	// Message is one line for the operator: the step's message on
	// success, the reason on a refusal.
	Message string `json:"message,omitempty"`
	// Outputs are added to the site's vars for the steps that follow.
	Outputs map[string]string `json:"outputs,omitempty"`
}

// WebhookIdempotencyKey is the Idempotency-Key of a webhook step: the
// batch, the site and the step, "BATCH/SITE/STEP". It is the same for
// every attempt of the step in the batch (Temporal's retries, an
// operator's retry of a parked step, a worker that died mid-call), so the
// endpoint can do the work once; a new batch restoring the same site again
// is a new restore and gets a new key.
func WebhookIdempotencyKey(in StepInput) string {
	return in.BatchID + "/" + in.SiteID + "/" + in.StepID
}

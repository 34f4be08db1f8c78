// Package activities holds the runbook actions: one Temporal activity per
// action of the closed registry (catalog.undelete, db.restore_tenant,
// media.undelete, ...), as methods on Activities, whose dependencies (the
// platform description, the platform's services, the point-in-time engine,
// the media store, a logger) are injected through Deps.
//
// Every action takes a contract.StepInput and returns a contract.StepOutput; it validates its
// input before touching data, is idempotent (safe to run twice, or to die
// halfway and run again), wraps its errors naming the site and the step, and
// marks non-retryable what retrying cannot fix. Every attempt shows it is
// alive by heartbeating its progress, or, around one call with nothing to
// report, on a ticker that stops at the call's deadline: every outbound call
// has one (heartbeat.go). The wrapper every action runs in (step) reports
// the attempt Temporal ran: StepOutput.Attempt, or contract.FailureDetails
// on the error.
//
// It must never hold orchestration logic (what runs when is the runbook's
// and the workflows' business), and must never write to a live site in a
// drill (a drill restores under a new ID only).
package activities

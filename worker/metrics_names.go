package worker

// The metrics the worker's interceptors emit, by the names given to the
// SDK's metrics handler (the Prometheus exporter adds _total to counters
// and _seconds to timers). Labels name bounded things only: a runbook, an
// action, a service, an outcome; never a site nor a batch.
const (
	// MetricSites counts the sites that ended, by runbook and outcome
	// (restored, failed, aborted, cancelled; error when the site
	// workflow itself failed).
	MetricSites = "lazarus_sites"
	// MetricSitesParked counts the times a site parked (a step kept
	// failing and waits for an operator), by runbook.
	MetricSitesParked = "lazarus_sites_parked"
	// MetricStepDuration is how long one attempt of a step (an activity)
	// took, by action, service and outcome (completed, failed, canceled,
	// timed_out).
	MetricStepDuration = "lazarus_step_duration"
)

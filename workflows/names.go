package workflows

import "time"

// Task queues, workflow names, message names and search attributes: the
// constants that the worker, the CLI and the tests share.
const (
	// WorkflowTaskQueue is where RestoreSite runs (and RestoreBatch of the
	// batches started before BatchTaskQueue).
	WorkflowTaskQueue = "lazarus-workflows"
	// BatchTaskQueue is where the CLI starts RestoreBatch: a batch's
	// workflow tasks never queue behind the hundreds of its sites' (each
	// second a batch task waits is a second in which a site event can
	// arrive and make the server refuse the batch's continue-as-new).
	BatchTaskQueue = "lazarus-batches"
	// BatchWorkflowTaskTimeout is a batch's workflow task timeout. A batch
	// task that completes 200 child starts can take the server more than
	// the default 10 s under load; timing it out then only wastes the work
	// and costs a full replay of the run's history.
	BatchWorkflowTaskTimeout = 30 * time.Second
	// ActivityTaskQueuePrefix prefixes each service's activity task queue.
	ActivityTaskQueuePrefix = "lazarus-"

	RestoreBatchWorkflowName = "RestoreBatch"
	RestoreSiteWorkflowName  = "RestoreSite"
	// DrillWorkflowName is a DR drill (drill.go); it runs on BatchTaskQueue.
	DrillWorkflowName = "DrillRun"

	// Site messages.
	QuerySiteState     = "site-state"
	UpdateStepDecision = "step-decision" // retry | skip | abort a parked step
	UpdateGateDecision = "gate-decision" // approve | reject a gate

	// Batch messages.
	QueryBatchProgress   = "batch-progress"
	QueryBatchResults    = "batch-results"
	QueryBatchQueued     = "batch-queued" // the sites not started yet
	UpdatePause          = "pause"
	UpdateResume         = "resume"
	UpdateCancel         = "cancel"
	UpdateAddSites       = "add-sites"
	UpdateSetConcurrency = "set-concurrency"
	UpdateSwitchRunbook  = "switch-runbook"

	// ActivitySiteOwner names the batch that is restoring a site (input:
	// the site ID; output: the batch ID, "" when none). The worker runs it
	// on WorkflowTaskQueue: it reads Temporal, not the platform.
	ActivitySiteOwner = "lazarus.site-owner"

	// SignalLeadStep is sent by a batch to its running sites when a
	// batch-scoped step ends (payload LeadStatus).
	SignalLeadStep = "lead-step"
	// SignalSiteEvent is sent by a site to its batch when it parks, waits
	// on a gate, resumes, or finishes after having been blocked (payload
	// SiteEvent).
	SignalSiteEvent = "site-event"
)

// DefaultMaxConcurrentSites is the sliding window when the input sets none.
const DefaultMaxConcurrentSites = 200

// Search attributes registered on the Temporal server (the dev server is
// started with --search-attribute NAME=TYPE for each of these).
const (
	SearchAttrBatchID        = "LazarusBatchID"        // Keyword
	SearchAttrSiteID         = "LazarusSiteID"         // Keyword
	SearchAttrRunbook        = "LazarusRunbook"        // Keyword
	SearchAttrStage          = "LazarusStage"          // Keyword
	SearchAttrStatus         = "LazarusStatus"         // Keyword
	SearchAttrNeedsAttention = "LazarusNeedsAttention" // Bool
	SearchAttrDrillID        = "LazarusDrillID"        // Keyword: a drill's ID, on the drill and its batch
	SearchAttrDrillResult    = "LazarusDrillResult"    // Keyword: running | passed | failed
)

// SearchAttributeTypes lists every search attribute with its type, in the
// form the Temporal CLI takes (NAME=TYPE), for the dev server and for
// `temporal operator search-attribute create`.
var SearchAttributeTypes = []string{
	SearchAttrBatchID + "=Keyword",
	SearchAttrSiteID + "=Keyword",
	SearchAttrRunbook + "=Keyword",
	SearchAttrStage + "=Keyword",
	SearchAttrStatus + "=Keyword",
	SearchAttrNeedsAttention + "=Bool",
	SearchAttrDrillID + "=Keyword",
	SearchAttrDrillResult + "=Keyword",
}

// ActivityTaskQueue is the task queue of a downstream service's activities.
func ActivityTaskQueue(service string) string { return ActivityTaskQueuePrefix + service }

// BatchWorkflowID is the workflow ID of a batch.
func BatchWorkflowID(batchID string) string { return "lazarus-batch-" + batchID }

// SiteWorkflowID is the workflow ID of a site's restore. It names the site
// only, so the same site cannot be restored by two batches at once.
func SiteWorkflowID(siteID string) string { return "lazarus-site-" + siteID }

// DrillWorkflowID is the workflow ID of a drill. A scheduled drill's is
// the schedule's action ID (DrillWorkflowID(scheduleID)) with the time
// Temporal appends.
func DrillWorkflowID(drillID string) string { return "lazarus-drill-" + drillID }

// DrillSiteWorkflowID is the workflow ID of a drill's restore of a live
// site into its copy. It is not SiteWorkflowID: a drill never holds the
// name an incident's restore of the same site needs.
func DrillSiteWorkflowID(drillID, siteID string) string {
	return "lazarus-drill-" + drillID + "-site-" + siteID
}

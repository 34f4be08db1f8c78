package workflows

import "go.temporal.io/sdk/workflow"

// Changes to workflow code that histories recorded before them would replay
// differently. Each is taken through workflow.GetVersion at the point where
// the behaviour differs, so a batch or a site that was running when the
// worker was upgraded replays as it ran and takes the new way from then on.
const (
	// changeSiteReportsEnd: every site that has a batch reports its end to
	// the batch by signal (before it: only a site that had been blocked on a
	// human), so a batch run can hand its running sites over to the next
	// run and still learn how each ends. Asked at the site's end.
	changeSiteReportsEnd = "site-reports-end"
	// changeHandoverAdopts: a batch run that is due to continue as new hands
	// its running sites over to the next run at once, which adopts them
	// (before it: the run stopped starting sites and drained until each was
	// finished or blocked). Asked when the run becomes due.
	changeHandoverAdopts = "handover-adopts-running-sites"
	// changeSiteOwner: a site whose workflow is already running (another
	// batch restores it) is reported as being restored by that batch, whose
	// ID an activity looks up (before it: failed). Asked when a child's
	// start fails.
	changeSiteOwner = "site-owner"
	// changeHandoverResendsLead: a batch run hands over at once, without
	// waiting for the server to deliver the lead-step signals it sent: the
	// ones not yet delivered go in the carry and the next run sends them
	// again (the server drops a signal whose sender has closed); it waits
	// QuickHandoverWait, not MaxHandoverWait, for unconfirmed child starts
	// (a site handed back and found running is adopted and told its leads:
	// changeAdoptedLead); and it lets every other coroutine run before it
	// takes the carry, so the site events and child results of its last
	// workflow task are in it. Before it: a signal sent in the handover's
	// own workflow task was lost, and its site waited for a batch step long
	// done. Asked when the run becomes due.
	changeHandoverResendsLead = "handover-resends-lead"
	// changeAdoptedLead: a site an earlier run started but handed back
	// unconfirmed, found running when this run starts it again, is told how
	// its round's batch steps ended (before it: it was adopted as it was,
	// and waited for a batch step whose end it had never been told). Asked
	// when that start fails.
	changeAdoptedLead = "adopted-site-told-lead"
	// changeBriefResult: a site returns (and signals) its batch the brief
	// result (SiteResult.StepTimes, no step list) and keeps the full one in
	// its memo (before it: the full result, twice per site in the batch's
	// history). Asked at the site's end.
	changeBriefResult = "site-returns-brief-result"
	// changeChildWatcher: one coroutine of the batch run waits for every
	// child's start and end (batch_children.go); before it, each child had
	// a coroutine of its own. Asked when the run starts.
	changeChildWatcher = "batch-child-watcher"
	// changeHandoverSettles: a due run waits until the server has
	// confirmed every child start and delivered every lead signal it sent,
	// for as long as they keep coming (batch_settle.go), with one timer at
	// a time. Before it, the run went on after QuickHandoverWait from the
	// moment it was due, with a new timer each time it woke: the late
	// confirmations and the timers' firings then arrived during its
	// continue-as-new task, which the server refused (UNHANDLED_COMMAND)
	// and which then replayed the whole run, again and again. Asked when
	// the run becomes due.
	changeHandoverSettles = "handover-settles"
	// changeBoundedStarts: at most MaxStartingSites child starts of a run
	// await the server's confirmation at once (batch_window.go); before
	// it, the run asked for as many as its window had room for. Asked when
	// the run starts (runs with the child watcher only).
	changeBoundedStarts = "bounded-child-starts"
	// changeSiteProgress: a running site keeps its done steps per stage in
	// its memo (MemoSiteProgress, site_progress.go), upserted with its
	// search attributes or on its own every ProgressUpsertInterval, for
	// `batch watch`'s per-stage bars (before it: no such memo). Asked at
	// the first such upsert.
	changeSiteProgress = "site-progress-memo"
)

// siteReportsEnd says whether this site reports its end by signal.
func (s *siteRun) siteReportsEnd(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, changeSiteReportsEnd, workflow.DefaultVersion, 1) == 1 || s.toldBlocked
}

// handoverAdopts says whether this run hands over without draining.
func handoverAdopts(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, changeHandoverAdopts, workflow.DefaultVersion, 1) == 1
}

// looksUpOwner says whether a site found running elsewhere is looked up.
func looksUpOwner(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, changeSiteOwner, workflow.DefaultVersion, 1) == 1
}

// handoverResendsLead says whether the handover carries undelivered lead
// signals to the next run (and waits QuickHandoverWait).
func handoverResendsLead(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, changeHandoverResendsLead, workflow.DefaultVersion, 1) == 1
}

// tellsAdoptedLead says whether an adopted unconfirmed site is told its leads.
func tellsAdoptedLead(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, changeAdoptedLead, workflow.DefaultVersion, 1) == 1
}

// returnsBrief says whether this site returns its batch the brief result.
func returnsBrief(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, changeBriefResult, workflow.DefaultVersion, 1) == 1
}

// watchesChildren says whether this run waits for its children in one
// coroutine.
func watchesChildren(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, changeChildWatcher, workflow.DefaultVersion, 1) == 1
}

// handoverSettles says whether a due run waits for its commands to settle.
func handoverSettles(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, changeHandoverSettles, workflow.DefaultVersion, 1) == 1
}

// boundsStarts says whether this run bounds its unconfirmed child starts.
func boundsStarts(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, changeBoundedStarts, workflow.DefaultVersion, 1) == 1
}

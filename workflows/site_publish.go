package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// upsertIdentity sets the batch, site and runbook search attributes unless
// the batch already set them when it started the site.
func (s *siteRun) upsertIdentity(ctx workflow.Context) {
	have := workflow.GetTypedSearchAttributes(ctx)
	var ups []temporal.SearchAttributeUpdate
	set := func(k temporal.SearchAttributeKeyKeyword, v string) {
		if cur, ok := have.GetKeyword(k); (!ok || cur != v) && v != "" {
			ups = append(ups, k.ValueSet(v))
		}
	}
	set(SearchKeyBatchID, s.in.BatchID)
	set(SearchKeySiteID, s.in.Site.SiteID)
	set(SearchKeyRunbook, s.in.Plan.Runbook)
	if cur, ok := have.GetKeyword(SearchKeyStatus); ok {
		s.pubStatus = cur
	}
	if cur, ok := have.GetKeyword(SearchKeyStage); ok {
		s.pubStage = cur
	}
	if cur, ok := have.GetBool(SearchKeyNeedsAttention); ok {
		s.pubAttention = cur
	}
	if len(ups) > 0 {
		if err := workflow.UpsertTypedSearchAttributes(ctx, ups...); err != nil {
			s.logger.Warn("upsert search attributes", "error", err)
		}
	}
}

// StageUpsertInterval: a site upserts its stage search attribute on its
// own at most this often (a status change or the site's end upserts it at
// once).
const StageUpsertInterval = 5 * time.Second

// publish makes the site's state visible: the search attributes that
// changed, the one-line details, and (to the batch) whether the site is
// blocked on a human.
func (s *siteRun) publish(ctx workflow.Context) {
	status := s.status()
	s.upsertAttributes(ctx, status)
	ev := s.blockedEvent()
	workflow.SetCurrentDetails(ctx, s.details(status, ev))
	if s.finished() {
		return
	}
	s.tellBatch(ctx, ev)
}

// upsertAttributes upserts the status, needs-attention and stage search
// attributes that changed, and the progress memo. The stage goes with a
// status change, at the end, or once StageUpsertInterval has passed since
// the last upsert: a site moving through several stages within seconds
// upserts once, not per stage (each upsert is an event and a visibility
// write). The progress memo goes with them, or on its own at most every
// ProgressUpsertInterval, when steps were done since its last upsert
// (publishProgress).
func (s *siteRun) upsertAttributes(ctx workflow.Context, status string) {
	stage, attention := s.stage(), s.needsAttention()
	var ups []temporal.SearchAttributeUpdate
	if status != s.pubStatus {
		ups = append(ups, SearchKeyStatus.ValueSet(status))
		s.pubStatus = status
	}
	if attention != s.pubAttention {
		ups = append(ups, SearchKeyNeedsAttention.ValueSet(attention))
		s.pubAttention = attention
	}
	now := workflow.Now(ctx)
	if stage != s.pubStage && (len(ups) > 0 || s.finished() || now.Sub(s.pubAt) >= StageUpsertInterval) {
		ups = append(ups, SearchKeyStage.ValueSet(stage))
		s.pubStage = stage
	}
	if len(ups) > 0 {
		s.pubAt = now
		if err := workflow.UpsertTypedSearchAttributes(ctx, ups...); err != nil {
			s.logger.Warn("upsert search attributes", "error", err)
		}
	}
	s.publishProgress(ctx, len(ups) > 0)
}

// blockedEvent is what the site would tell its batch now: parked (first
// parked step), waiting at a gate, or resumed (not blocked). A site with an
// activity in flight is never blocked.
func (s *siteRun) blockedEvent() SiteEvent {
	ev := SiteEvent{SiteID: s.in.Site.SiteID, Kind: SiteEventResumed}
	if s.active > 0 || s.live == 0 {
		return ev
	}
	for i := range s.steps {
		switch s.steps[i].Status {
		case StepParked:
			if ev.Kind != SiteEventParked {
				ev = SiteEvent{SiteID: s.in.Site.SiteID, Kind: SiteEventParked, StepID: s.steps[i].StepID, Reason: s.steps[i].Error}
			}
		case StepWaiting:
			if ev.Kind == SiteEventResumed {
				ev = SiteEvent{SiteID: s.in.Site.SiteID, Kind: SiteEventWaiting, StepID: s.steps[i].StepID, Reason: "waiting for a gate decision"}
			}
		}
	}
	return ev
}

// details is the one-line summary the Web UI shows.
func (s *siteRun) details(status string, ev SiteEvent) string {
	done, total := s.stepsDone()
	details := fmt.Sprintf("%s %s: %s, %d/%d steps", s.in.Plan.Runbook, s.in.Site.SiteID, status, done, total)
	if stage := s.stage(); stage != "" {
		details += ", stage " + stage
	}
	if ev.Kind == SiteEventParked {
		details += ", parked at " + ev.StepID + ": " + truncate(ev.Reason, 80)
	}
	return details
}

// tellBatch signals the batch when the site becomes blocked on a human or
// moves again (a site that was never blocked tells nothing), and notes in
// toldBlocked that it told the batch it was blocked (see versions.go).
func (s *siteRun) tellBatch(ctx workflow.Context, ev SiteEvent) {
	key := ev.Kind + "/" + ev.StepID
	if s.pubEvent == "" && ev.Kind == SiteEventResumed {
		s.pubEvent = key // not blocked at start: nothing to tell
	}
	if key == s.pubEvent {
		return
	}
	s.pubEvent = key
	if ev.Kind == SiteEventParked || ev.Kind == SiteEventWaiting {
		s.toldBlocked = true
	}
	s.notifyParent(ctx, ev, false)
}

// notifyParent signals the batch (if any). The signal targets the batch's
// current run, so it reaches a batch that continued as new.
func (s *siteRun) notifyParent(ctx workflow.Context, ev SiteEvent, wait bool) {
	parent := workflow.GetInfo(ctx).ParentWorkflowExecution
	if parent == nil {
		return
	}
	f := workflow.SignalExternalWorkflow(ctx, parent.ID, "", SignalSiteEvent, ev)
	if wait {
		if err := f.Get(ctx, nil); err != nil {
			s.logger.Warn("signal batch", "kind", ev.Kind, "error", err)
		}
	}
}

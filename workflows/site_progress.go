package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// MemoSiteProgress is the memo field in which a running site keeps how
// many of its steps are done, per stage (SiteProgress). `lazarus batch
// watch` lists a batch's running sites and adds these counts to the
// finished sites' ones (the batch's progress query), so that its per-stage
// bars move while sites run, and no site signals its batch per step (each
// signal would be an event in the batch's history).
const MemoSiteProgress = "progress"

// ProgressUpsertInterval: a site that upserts no search attribute (its
// status and stage stay the same) upserts its progress on its own at most
// this often.
const ProgressUpsertInterval = 30 * time.Second

// SiteProgress is a running site's progress as its memo keeps it. A site
// stops updating it when it ends: its batch then counts its steps from its
// result, and its memo has MemoSiteResult.
type SiteProgress struct {
	// StepsDone counts the site steps done or skipped, as the batch counts
	// a finished site's (the batch-scoped steps are the batch's).
	StepsDone int `json:"steps_done"`
	// StepsDoneByStage counts them per stage (steps without a stage are
	// left out).
	StepsDoneByStage map[string]int `json:"steps_done_by_stage,omitempty"`
	// At is when the site upserted it (the workflow's time).
	At time.Time `json:"at"`
}

// progress is the site's SiteProgress now.
func (s *siteRun) progress() SiteProgress {
	p := SiteProgress{StepsDoneByStage: map[string]int{}}
	for _, i := range s.g.siteSteps {
		st := s.steps[i]
		if st.Status != StepDone && st.Status != StepSkipped {
			continue
		}
		p.StepsDone++
		if st.Stage != "" {
			p.StepsDoneByStage[st.Stage]++
		}
	}
	return p
}

// publishProgress upserts the memo's progress if the site is not finished
// and has done steps since the memo's last progress: with the search
// attributes when they were upserted now (withAttributes; no moment of its
// own), else once ProgressUpsertInterval has passed since the last progress
// (or the site's start). Each upsert is an event and a visibility write.
// Sites recorded before changeSiteProgress keep no progress (versions.go).
func (s *siteRun) publishProgress(ctx workflow.Context, withAttributes bool) {
	if s.finished() {
		return
	}
	// The site keeps what it upserted rather than reading its memo back:
	// the memo holds it as the worker's data converter encoded it (with
	// the worker's codecs, SDKFlagMemoUserDCEncode), and workflow code
	// has no access to that converter (the SDK exports no getter, and a
	// remote codec would be I/O). Same values as the memo, so histories
	// recorded when the site read its memo replay the same.
	p, last := s.progress(), s.pubProgress
	if p.StepsDone == last.StepsDone {
		return
	}
	from := last.At
	if from.IsZero() {
		from = s.startedAt
	}
	p.At = workflow.Now(ctx)
	if !withAttributes && p.At.Sub(from) < ProgressUpsertInterval {
		return
	}
	if !keepsProgress(ctx) {
		return
	}
	if err := workflow.UpsertMemo(ctx, map[string]interface{}{MemoSiteProgress: p}); err != nil {
		s.logger.Warn("keep the progress in the memo", "error", err)
		return
	}
	s.pubProgress = p
}

// keepsProgress says whether this site keeps its progress in its memo.
func keepsProgress(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, changeSiteProgress, workflow.DefaultVersion, 1) == 1
}

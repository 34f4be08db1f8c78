package workflows

import (
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

// MemoSiteProgress is the memo field in which a running site keeps how
// many of its steps are done, per stage (SiteProgress). `lazarus batch
// watch` lists a batch's running sites and adds these counts to the
// finished sites' ones (the batch's progress query), so that its per-stage
// bars move while sites run, and no site signals its batch per step (each
// signal would be an event in the batch's history).
const MemoSiteProgress = "progress"

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

// publishedDone is the StepsDone of the progress in the site's memo (0
// when it has none).
func publishedDone(ctx workflow.Context) int {
	f, ok := workflow.GetInfo(ctx).Memo.GetFields()[MemoSiteProgress]
	if !ok {
		return 0
	}
	var p SiteProgress
	if err := converter.GetDefaultDataConverter().FromPayload(f, &p); err != nil {
		return 0
	}
	return p.StepsDone
}

// publishProgress upserts the memo's progress if the site is not finished
// and has done steps since the memo's last progress, and says whether it
// did. The caller calls it at the moments it upserts the search attributes
// (a status change, or StageUpsertInterval since the last upsert), so that
// a site's memo costs no moment of its own. Sites recorded before
// changeSiteProgress keep no progress (see versions.go).
func (s *siteRun) publishProgress(ctx workflow.Context) bool {
	if s.finished() {
		return false
	}
	p := s.progress()
	if p.StepsDone == publishedDone(ctx) {
		return false
	}
	if !keepsProgress(ctx) {
		return false
	}
	if err := workflow.UpsertMemo(ctx, map[string]interface{}{MemoSiteProgress: p}); err != nil {
		s.logger.Warn("keep the progress in the memo", "error", err)
		return false
	}
	return true
}

// keepsProgress says whether this site keeps its progress in its memo.
func keepsProgress(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, changeSiteProgress, workflow.DefaultVersion, 1) == 1
}

package workflows

import (
	"fmt"
	"sort"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/drill"
)

// What a drill measures: each site's steps, RTO and RPO (from its
// workflow's record), and whether any production tenant changed.

// collect reads the step times of the drill's sites (from their
// workflows' memos) and fills the result's sites.
func (d *drillRun) collect(work workflow.Context, batch BatchResult) {
	outcome := map[string]SiteResult{}
	for _, s := range batch.Sites {
		outcome[s.SiteID] = s
	}
	ids := make([]string, len(d.picked))
	for i, p := range d.picked {
		ids[i] = p.SiteID
	}
	var out drill.CollectOutput
	actx := workflow.WithActivityOptions(work, workflow.ActivityOptions{
		TaskQueue:              WorkflowTaskQueue,
		StartToCloseTimeout:    drillCollectTimeout,
		ScheduleToCloseTimeout: 4 * drillCollectTimeout,
	})
	if err := workflow.ExecuteActivity(actx, drill.ActivityCollect, drill.CollectInput{DrillID: d.id, Sites: ids}).Get(work, &out); err != nil {
		d.fail("collect the sites' step times: %v", err)
	}
	recs := map[string]drill.SiteRecord{}
	for _, r := range out.Sites {
		recs[r.SiteID] = r
	}
	for _, p := range d.picked {
		d.res.Sites = append(d.res.Sites, d.site(p, recs[p.SiteID], outcome[p.SiteID]))
	}
}

// site is one sampled site's drill, from its workflow's record (steps and
// times) and the batch's result (its outcome, when the record is missing).
func (d *drillRun) site(p drill.Picked, rec drill.SiteRecord, br SiteResult) drill.Site {
	s := drill.Site{SiteID: p.SiteID, CopyID: rec.CopyID, Stratum: p.Stratum, Outcome: rec.Outcome, Steps: []drill.Step{}}
	if s.Outcome == "" {
		s.Outcome = br.Outcome
	}
	if s.Outcome == "" {
		s.Outcome = SiteCancelled
	}
	s.Errors = append(append(s.Errors, rec.Errors...), br.Errors...)
	s.Validated = s.Outcome == SiteRestored
	point := rec.RestorePoint
	if point.IsZero() {
		point = br.RestorePoint
	}
	s.RestorePoint = point
	start := d.res.StartedAt
	if !point.IsZero() {
		s.RPOSeconds = start.Sub(point).Seconds()
	}
	if s.Validated && !rec.EndedAt.IsZero() {
		s.RTOSeconds = rec.EndedAt.Sub(start).Seconds()
	}
	for _, st := range rec.Steps {
		if st.RPOSeconds == 0 && !point.IsZero() {
			st.RPOSeconds = s.RPOSeconds
		}
		s.Steps = append(s.Steps, st)
	}
	if !s.Validated {
		d.fail("site %s: %s, not validated%s", p.SiteID, s.Outcome, firstError(s.Errors))
	}
	return s
}

func firstError(errs []string) string {
	if len(errs) == 0 {
		return ""
	}
	return ": " + errs[0]
}

// compare checks every production tenant's checksum after the drill
// against the one before (in sorted order: the result is deterministic).
func (d *drillRun) compare(before, after map[string]string) {
	ids := sortedKeys(before)
	for _, id := range sortedKeys(after) {
		if _, ok := before[id]; !ok {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	d.res.ProductionChecked = len(before)
	for _, id := range ids {
		b, inBefore := before[id]
		a, inAfter := after[id]
		if inBefore && inAfter && a == b {
			continue
		}
		d.res.ProductionChanged = append(d.res.ProductionChanged, id)
	}
	d.res.ProductionUnchanged = len(d.res.ProductionChanged) == 0 && len(before) > 0
	if n := len(d.res.ProductionChanged); n > 0 {
		d.fail("%d production tenant(s) changed during the drill (traffic allowed for): %s", n, strings.Join(firstN(d.res.ProductionChanged, 10), ", "))
	}
}

// sortedKeys are a map's keys in sorted order: the order of a map's
// iteration never reaches the workflow's decisions.
//
//workflowcheck:ignore
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func firstN(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(append([]string{}, s[:n]...), fmt.Sprintf("and %d more", len(s)-n))
}

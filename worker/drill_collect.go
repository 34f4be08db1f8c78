package worker

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/drill"
	"github.com/lazarus-dr/lazarus/internal/codec"
	"github.com/lazarus-dr/lazarus/workflows"
)

// drillCollect is the activity drill.ActivityCollect: for each site of a
// drill, what its workflow recorded in its memo (workflows.MemoSiteResult):
// its outcome, restore point, the copy's ID and every step's time. A site
// whose workflow never started, or that ended without a memo, has a record
// with its outcome only when Temporal knows one. It reads Temporal, never
// the platform, and changes nothing: it can run any number of times.
func drillCollect(c client.Client) func(ctx context.Context, in drill.CollectInput) (drill.CollectOutput, error) {
	return func(ctx context.Context, in drill.CollectInput) (drill.CollectOutput, error) {
		out := drill.CollectOutput{Sites: make([]drill.SiteRecord, 0, len(in.Sites))}
		for _, site := range in.Sites {
			rec, err := collectSite(ctx, c, in.DrillID, site)
			if err != nil {
				return drill.CollectOutput{}, err
			}
			out.Sites = append(out.Sites, rec)
		}
		return out, nil
	}
}

func collectSite(ctx context.Context, c client.Client, drillID, site string) (drill.SiteRecord, error) {
	rec := drill.SiteRecord{SiteID: site, Steps: []drill.Step{}}
	id := workflows.DrillSiteWorkflowID(drillID, site)
	resp, err := c.DescribeWorkflowExecution(ctx, id, "")
	if _, notFound := err.(*serviceerror.NotFound); notFound {
		return rec, nil
	}
	if err != nil {
		return rec, fmt.Errorf("describe drill site workflow %s: %w", id, err)
	}
	info := resp.GetWorkflowExecutionInfo()
	p, ok := info.GetMemo().GetFields()[workflows.MemoSiteResult]
	if !ok {
		if info.GetCloseTime() != nil {
			rec.Outcome = workflows.SiteFailed
			rec.Errors = []string{fmt.Sprintf("site workflow %s ended %s without a result", id, info.GetStatus())}
		}
		return rec, nil
	}
	var res workflows.SiteResult
	if err := codec.DataConverter().FromPayload(p, &res); err != nil {
		return rec, fmt.Errorf("drill site workflow %s: read its result: %w", id, err)
	}
	rec.Outcome, rec.RestorePoint, rec.Errors = res.Outcome, res.RestorePoint, res.Errors
	rec.StartedAt, rec.EndedAt = res.StartedAt, res.EndedAt
	for _, st := range res.Steps {
		if v := st.Values[contract.VarNewSiteID]; v != "" {
			rec.CopyID = v
		}
		if st.StartedAt.IsZero() || st.EndedAt.IsZero() {
			continue
		}
		rec.Steps = append(rec.Steps, drill.Step{StepID: st.StepID, Status: st.Status,
			Seconds: st.EndedAt.Sub(st.StartedAt).Round(time.Millisecond).Seconds()})
	}
	return rec, nil
}

package worker

import (
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/workflows"
)

// siteMetrics counts the sites of every batch without touching the
// workflows package: it wraps each RestoreSite run, counts the site by its
// result when it ends (MetricSites) and each time it tells its batch it
// parked (MetricSitesParked). It counts through workflow.GetMetricsHandler,
// which emits nothing while a workflow replays, so a site is counted once
// however often a worker replays it. It runs inside workflows and must be
// deterministic: no clock, no goroutine, no I/O.
type siteMetrics struct {
	interceptor.WorkerInterceptorBase
}

// InterceptWorkflow wraps RestoreSite runs only.
func (*siteMetrics) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	if workflow.GetInfo(ctx).WorkflowType.Name != workflows.RestoreSiteWorkflowName {
		return next
	}
	return &siteInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}}
}

// siteInbound counts the site's end.
type siteInbound struct {
	interceptor.WorkflowInboundInterceptorBase
}

func (s *siteInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return s.Next.Init(&siteOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}})
}

func (s *siteInbound) ExecuteWorkflow(ctx workflow.Context, in *interceptor.ExecuteWorkflowInput) (any, error) {
	res, err := s.Next.ExecuteWorkflow(ctx, in)
	if workflow.IsContinueAsNewError(err) {
		return res, err // not an end
	}
	outcome, runbook := "error", ""
	if r, ok := res.(workflows.SiteResult); ok && err == nil {
		outcome, runbook = r.Outcome, r.Runbook
	}
	if outcome == "" {
		outcome = "unknown"
	}
	if runbook == "" {
		runbook = siteRunbook(ctx)
	}
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"runbook": runbook, "outcome": outcome}).
		Counter(MetricSites).Inc(1)
	return res, err
}

// siteOutbound counts the site's parking, seen in the event it signals to
// its batch.
type siteOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
}

func (s *siteOutbound) SignalExternalWorkflow(ctx workflow.Context, workflowID, runID, signalName string, arg any) workflow.Future {
	if ev, ok := arg.(workflows.SiteEvent); ok && signalName == workflows.SignalSiteEvent && ev.Kind == workflows.SiteEventParked {
		workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"runbook": siteRunbook(ctx)}).
			Counter(MetricSitesParked).Inc(1)
	}
	return s.Next.SignalExternalWorkflow(ctx, workflowID, runID, signalName, arg)
}

// siteRunbook is the runbook a site runs, from its search attribute
// (upserted as it starts), "unknown" before that.
func siteRunbook(ctx workflow.Context) string {
	if rb, ok := workflow.GetTypedSearchAttributes(ctx).GetKeyword(workflows.SearchKeyRunbook); ok && rb != "" {
		return rb
	}
	return "unknown"
}

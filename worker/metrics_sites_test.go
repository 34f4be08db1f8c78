package worker

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/testsuite"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/workflows"
)

// fakeSite is a RestoreSite that upserts its runbook, parks once (the
// event it signals its batch), and ends with outcome.
func fakeSite(outcome string) func(ctx workflow.Context) (workflows.SiteResult, error) {
	return func(ctx workflow.Context) (workflows.SiteResult, error) {
		if err := workflow.UpsertTypedSearchAttributes(ctx, workflows.SearchKeyRunbook.ValueSet("restore2")); err != nil {
			return workflows.SiteResult{}, err
		}
		ev := workflows.SiteEvent{SiteID: "site-123", Kind: workflows.SiteEventParked, StepID: "restore-db"}
		if err := workflow.SignalExternalWorkflow(ctx, "lazarus-batch-b1", "", workflows.SignalSiteEvent, ev).Get(ctx, nil); err != nil {
			return workflows.SiteResult{}, err
		}
		return workflows.SiteResult{SiteID: "site-123", Outcome: outcome, Runbook: "restore2"}, nil
	}
}

func TestSiteMetricsCountEndsAndParks(t *testing.T) {
	m, err := newMetrics(zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	for _, outcome := range []string{workflows.SiteRestored, workflows.SiteRestored, workflows.SiteFailed} {
		var s testsuite.WorkflowTestSuite
		s.SetMetricsHandler(m.handler)
		env := s.NewTestWorkflowEnvironment()
		env.SetWorkerOptions(sdkworker.Options{Interceptors: []interceptor.WorkerInterceptor{&siteMetrics{}}})
		env.RegisterWorkflowWithOptions(fakeSite(outcome), workflow.RegisterOptions{Name: workflows.RestoreSiteWorkflowName})
		env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(nil)
		env.ExecuteWorkflow(workflows.RestoreSiteWorkflowName)
		if err := env.GetWorkflowError(); err != nil {
			t.Fatal(err)
		}
	}
	out := scrape(t, m)
	for _, want := range []string{
		`lazarus_sites_total{outcome="restored",runbook="restore2"`,
		`lazarus_sites_total{outcome="failed",runbook="restore2"`,
		`lazarus_sites_parked_total{runbook="restore2"`,
	} {
		if !hasLine(out, want) {
			t.Errorf("no line %q in:\n%s", want, out)
		}
	}
	if !hasSample(out, `lazarus_sites_total{outcome="restored"`, "2") || !hasSample(out, `lazarus_sites_parked_total{`, "3") {
		t.Errorf("counts: want 2 restored and 3 parks:\n%s", out)
	}
	if strings.Contains(out, "site-123") || strings.Contains(out, "lazarus-batch-b1") {
		t.Errorf("a site or batch ID is a label value:\n%s", out)
	}
}

// hasSample says whether a line starting with prefix has value.
func hasSample(text, prefix, value string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) && strings.HasSuffix(l, " "+value) {
			return true
		}
	}
	return false
}

package worker

import (
	"context"
	"errors"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/testsuite"
	sdkworker "go.temporal.io/sdk/worker"
	"go.uber.org/zap"
)

func TestStepMetricsTimeEveryAttempt(t *testing.T) {
	m, err := newMetrics(zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	var s testsuite.WorkflowTestSuite
	s.SetMetricsHandler(m.handler)
	env := s.NewTestActivityEnvironment()
	env.SetWorkerOptions(sdkworker.Options{Interceptors: []interceptor.WorkerInterceptor{&stepMetrics{service: "db"}}})
	env.RegisterActivityWithOptions(func(context.Context) error { return nil }, activity.RegisterOptions{Name: "db.clone"})
	env.RegisterActivityWithOptions(func(context.Context) error { return errors.New("boom") }, activity.RegisterOptions{Name: "db.restore_tenant"})
	if _, err := env.ExecuteActivity("db.clone"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.ExecuteActivity("db.restore_tenant"); err == nil {
		t.Fatal("want the activity's error")
	}
	out := scrape(t, m)
	// The SDK's handler adds its own labels (activity_type, task_queue,
	// workflow_type; namespace on a real worker) between Lazarus's.
	for _, want := range []string{
		`lazarus_step_duration_seconds_count{action="db.clone",activity_type="db.clone",outcome="completed",service="db",`,
		`lazarus_step_duration_seconds_count{action="db.restore_tenant",activity_type="db.restore_tenant",outcome="failed",service="db",`,
	} {
		if !hasLine(out, want) {
			t.Errorf("no line %q in:\n%s", want, out)
		}
	}
}

func TestStepOutcome(t *testing.T) {
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for want, c := range map[string]struct {
		ctx context.Context
		err error
	}{
		"completed": {ctx, nil},
		"failed":    {ctx, errors.New("boom")},
		"timed_out": {ctx, context.DeadlineExceeded},
		"canceled":  {cancelled, errors.New("stopped")},
	} {
		if got := stepOutcome(c.ctx, c.err); got != want {
			t.Errorf("stepOutcome(%v) = %s, want %s", c.err, got, want)
		}
	}
}

package worker

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
)

// stepMetrics times every attempt of every step run on one service's task
// queue (every step is an activity): MetricStepDuration, labelled by
// action (the activity type), service (the queue's) and outcome. The
// handler is the activity's, so the series go wherever the client's
// metrics go, and nowhere in unit tests.
type stepMetrics struct {
	interceptor.WorkerInterceptorBase
	service string
}

func (m *stepMetrics) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &stepInbound{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, service: m.service}
}

// stepInbound times one attempt.
type stepInbound struct {
	interceptor.ActivityInboundInterceptorBase
	service string
}

func (s *stepInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	began := time.Now()
	res, err := s.Next.ExecuteActivity(ctx, in)
	activity.GetMetricsHandler(ctx).WithTags(map[string]string{
		"action":  activity.GetInfo(ctx).ActivityType.Name,
		"service": s.service,
		"outcome": stepOutcome(ctx, err),
	}).Timer(MetricStepDuration).Record(time.Since(began))
	return res, err
}

// stepOutcome is how an attempt ended: completed, timed_out (its deadline
// passed), canceled (the workflow or the worker cancelled it) or failed.
func stepOutcome(ctx context.Context, err error) string {
	switch {
	case err == nil:
		return "completed"
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "timed_out"
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		return "canceled"
	default:
		return "failed"
	}
}

package worker

import (
	"context"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.uber.org/zap"
)

// The worker's metrics go through one pipeline: the Temporal SDK's metrics
// handler (client.Options.MetricsHandler) is go.temporal.io/sdk/contrib/
// opentelemetry's, on an OpenTelemetry MeterProvider whose only reader is
// the OpenTelemetry Prometheus exporter, registered in a registry of our
// own that /metrics serves. The SDK's own series (temporal_*) and Lazarus's
// (lazarus_*, emitted through activity.GetMetricsHandler and
// workflow.GetMetricsHandler, so that workflow code counts nothing while it
// replays) land in that one registry.
//
// Why OpenTelemetry rather than contrib/tally: go.temporal.io/sdk/contrib/
// tally is not served by the module proxy these machines reach (`go list -m
// -versions` finds nothing), while contrib/opentelemetry v0.8.1 is, needs SDK v1.46 or later
// (we keep v1.50.0), and exporters/prometheus v0.66.0 matches the OTel
// v1.44.0 already in the module graph. OTel is also where the SDK's tracing
// interceptor lives, should tracing be added.

// secondsBuckets are the histogram buckets of every timer (all in
// seconds): a Temporal request takes milliseconds, a schedule-to-start
// latency seconds, a clone or a tenant copy minutes. OTel's default
// buckets (0 to 10,000) are meant for milliseconds and would put almost
// every step in the first one.
var secondsBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}

// metrics is the worker's metrics pipeline.
type metrics struct {
	// handler is the SDK's metrics handler: give it to the client.
	handler  client.MetricsHandler
	registry *prometheus.Registry
	provider *sdkmetric.MeterProvider
}

// newMetrics builds the pipeline. Errors of the meter (an instrument name
// reused with another kind) are logged, not panicked on as the SDK's
// handler does by default.
func newMetrics(log *zap.Logger) (*metrics, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, fmt.Errorf("metrics: register the Go collector: %w", err)
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, fmt.Errorf("metrics: register the process collector: %w", err)
	}
	if err := registerInfo(reg); err != nil {
		return nil, err
	}
	exp, err := otelprom.New(
		otelprom.WithRegisterer(reg),
		otelprom.WithoutScopeInfo(),
		otelprom.WithoutTargetInfo(),
		otelprom.WithAggregationSelector(aggregation),
	)
	if err != nil {
		return nil, fmt.Errorf("metrics: prometheus exporter: %w", err)
	}
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	handler := temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
		Meter: provider.Meter("lazarus-worker"),
		OnError: func(err error) {
			log.Warn("metrics: instrument", zap.Error(err))
		},
		// Counters as monotonic sums: Prometheus counters (_total), which
		// rate() reads, not gauges.
		UseMonotonicCounters: true,
	})
	return &metrics{handler: handler, registry: reg, provider: provider}, nil
}

// aggregation gives every histogram the seconds buckets.
func aggregation(kind sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	if kind == sdkmetric.InstrumentKindHistogram {
		return sdkmetric.AggregationExplicitBucketHistogram{Boundaries: secondsBuckets}
	}
	return sdkmetric.DefaultAggregationSelector(kind)
}

// httpHandler serves the registry in the Prometheus text format.
func (m *metrics) httpHandler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// shutdown stops the meter provider.
func (m *metrics) shutdown(ctx context.Context) error {
	return m.provider.Shutdown(ctx)
}

// Package worker is the Lazarus worker process: one Temporal worker for the
// workflows (RestoreBatch, RestoreSite) and one per downstream service's
// activity task queue, each with its own concurrency and rate limit, all in
// one process. Run is what the lazarus-worker binary, `lazarus worker` and
// the tests call.
//
// It must never hold orchestration logic (workflows/) nor talk to the
// platform itself (activities/ and platform/ adapters do): it wires them.
package worker

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdkworker "go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/drill"
	"github.com/lazarus-dr/lazarus/internal/debugserver"
	"github.com/lazarus-dr/lazarus/internal/tconn"
	"github.com/lazarus-dr/lazarus/runbooks"
	"github.com/lazarus-dr/lazarus/workflows"
)

// BatchWorkflowTasks is how many batch workflow tasks the worker runs at
// once (a batch has one at a time; several batches may run).
const BatchWorkflowTasks = 8

// How long a workflow task waits in this worker's sticky queue (the worker
// that holds the workflow in its cache) before the server gives it to any
// worker, which must then replay the whole history. The SDK's 5 s is
// shorter than a busy worker's queue: in the 883-site demo, four of the
// batch's tasks were taken away so, and each cost a full replay of a
// 3,000-event run. A dead worker's batch waits BatchStickyTimeout (its
// sites run on meanwhile).
const (
	SiteStickyTimeout  = 15 * time.Second
	BatchStickyTimeout = 30 * time.Second
)

// Options of Run.
type Options struct {
	// Client, when set, is used (and not closed); else Run dials Temporal
	// with Temporal (flags over the standard environment configuration).
	Client   client.Client
	Temporal tconn.Config
	// PlatformFile is the platform description file the adapters are built
	// from (needed unless RegisterActivities is set).
	PlatformFile string
	Config       Config
	Logger       *zap.Logger
	// NoWorkflows runs activity workers only; NoActivities the workflow
	// worker only (to scale them apart).
	NoWorkflows, NoActivities bool
	// PprofAddress, when set, serves the runtime's profiles there
	// (internal/debugserver).
	PprofAddress string
	// MetricsAddress, when set, serves Prometheus metrics (/metrics) and
	// readiness (/readyz) there.
	MetricsAddress string
	// Host is what differs between worker hosts (the clones' address).
	Host Host
	// Versioning, when both its fields are set, runs every worker of the
	// process as that Worker Deployment Version (versioning.go).
	Versioning Versioning
	// RegisterActivities, when set, replaces the real activities on every
	// service worker (benchmarks with no-op adapters, tests).
	RegisterActivities func(r sdkworker.ActivityRegistry) error
	// Ready, when set, is closed once every worker has started polling.
	Ready chan<- struct{}
}

// Services returns the services Run starts activity workers for: the
// config's list, else the registry's (runbooks.Services()).
func (o Options) Services() []string {
	if len(o.Config.ServiceList) > 0 {
		s := append([]string(nil), o.Config.ServiceList...)
		sort.Strings(s)
		return s
	}
	return runbooks.Services()
}

// Run starts the workers and blocks until ctx is done (SIGTERM in the
// binary), then stops them gracefully: pollers stop, running activities get
// Config.StopTimeout to finish.
func Run(ctx context.Context, opts Options) error {
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	if err := opts.Config.Validate(); err != nil {
		return fmt.Errorf("worker config: %w", err)
	}
	if opts.NoWorkflows && opts.NoActivities {
		return errors.New("worker: --no-workflows and --no-activities together leave nothing to run")
	}
	if err := opts.Versioning.Validate(); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	stopProfiles, err := debugserver.Start(opts.PprofAddress, log)
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	defer stopProfiles()
	// Metrics and readiness are served from the start (/readyz says
	// "workers starting" until every worker polls), so that a port in use
	// fails at once.
	ready := newReadiness()
	met, stopMetrics, err := serveMetrics(opts.MetricsAddress, ready, log)
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	defer stopMetrics()
	if met != nil && opts.Client != nil {
		log.Warn("metrics: the given client keeps its own metrics handler; /metrics shows only the process's own series")
	}
	register := opts.RegisterActivities
	var closeDeps func()
	if register == nil && !opts.NoActivities {
		if opts.PlatformFile == "" {
			return errors.New("worker: --platform FILE is required (the platform description file, e.g. .state/sandbox/platform.yaml)")
		}
		reg, closer, err := RealActivitiesOn(ctx, opts.PlatformFile, opts.Host, log)
		if err != nil {
			return err
		}
		register, closeDeps = reg, closer
	}
	if closeDeps != nil {
		defer closeDeps()
	}

	c := opts.Client
	if c == nil {
		tc := opts.Temporal
		if tc.Logger == nil {
			tc.Logger = log
		}
		if met != nil {
			tc.MetricsHandler = met.handler
		}
		dialed, copts, err := tconn.Dial(ctx, tc)
		if err != nil {
			return err
		}
		defer dialed.Close()
		c = dialed
		log.Info("connected to Temporal", zap.String("address", copts.HostPort), zap.String("namespace", copts.Namespace))
	}

	var workers []sdkworker.Worker
	var queues []string
	deployment := opts.Versioning.deploymentOptions()
	if opts.Versioning.Enabled() {
		log.Info("worker versioning", zap.String("deployment_name", opts.Versioning.DeploymentName), zap.String("build_id", opts.Versioning.BuildID))
	}
	if !opts.NoWorkflows {
		wo := sdkworker.Options{
			MaxConcurrentWorkflowTaskExecutionSize: opts.Config.Workflows.MaxConcurrentWorkflowTasks,
			WorkflowTaskPollerBehavior:             pollers(opts.Config.Workflows.Pollers),
			StickyScheduleToStartTimeout:           SiteStickyTimeout,
			WorkerStopTimeout:                      opts.Config.StopTimeout,
			Interceptors:                           []interceptor.WorkerInterceptor{&siteMetrics{}},
			DeploymentOptions:                      deployment,
		}
		w := sdkworker.New(c, workflows.WorkflowTaskQueue, wo)
		if err := registerWorkflows(w, opts.Versioning); err != nil {
			return err
		}
		w.RegisterActivityWithOptions(siteOwner(c), activity.RegisterOptions{Name: workflows.ActivitySiteOwner})
		w.RegisterActivityWithOptions(drillCollect(c), activity.RegisterOptions{Name: drill.ActivityCollect})
		workers = append(workers, w)
		queues = append(queues, workflows.WorkflowTaskQueue)
		// The batches' own queue, with slots of its own: a batch's task
		// never waits behind its sites' (workflows.BatchTaskQueue).
		bw := sdkworker.New(c, workflows.BatchTaskQueue, sdkworker.Options{
			MaxConcurrentWorkflowTaskExecutionSize: BatchWorkflowTasks,
			WorkflowTaskPollerBehavior:             pollers(4),
			StickyScheduleToStartTimeout:           BatchStickyTimeout,
			WorkerStopTimeout:                      opts.Config.StopTimeout,
			Interceptors:                           []interceptor.WorkerInterceptor{&siteMetrics{}},
			DeploymentOptions:                      deployment,
		})
		if err := registerWorkflows(bw, opts.Versioning); err != nil {
			return err
		}
		workers = append(workers, bw)
		queues = append(queues, workflows.BatchTaskQueue)
	}
	if !opts.NoActivities {
		for _, svc := range opts.Services() {
			l := opts.Config.LimitsFor(svc)
			wo := sdkworker.Options{
				MaxConcurrentActivityExecutionSize: l.MaxConcurrentActivities,
				TaskQueueActivitiesPerSecond:       l.ActivitiesPerSecond,
				ActivityTaskPollerBehavior:         pollers(l.Pollers),
				WorkerStopTimeout:                  opts.Config.StopTimeout,
				Interceptors:                       []interceptor.WorkerInterceptor{&stepMetrics{service: svc}},
				DeploymentOptions:                  deployment,
			}
			q := workflows.ActivityTaskQueue(svc)
			w := sdkworker.New(c, q, wo)
			// Every action is registered on every service queue: a runbook
			// step may route an action to another service's queue.
			if err := register(w); err != nil {
				return fmt.Errorf("worker: register activities on %s: %w", q, err)
			}
			workers = append(workers, w)
			queues = append(queues, q)
			log.Info("activity worker", zap.String("task_queue", q),
				zap.Int("max_concurrent", l.MaxConcurrentActivities), zap.Float64("per_second", l.ActivitiesPerSecond))
		}
	}
	started := 0
	stopAll := func() {
		for i := started - 1; i >= 0; i-- {
			workers[i].Stop()
		}
	}
	for i, w := range workers {
		if err := w.Start(); err != nil {
			stopAll()
			return fmt.Errorf("worker: start %s: %w", queues[i], err)
		}
		started++
	}
	log.Info("worker running", zap.Strings("task_queues", queues))
	ready.ready(func(ctx context.Context) error {
		_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	})
	if opts.Ready != nil {
		close(opts.Ready)
	}
	<-ctx.Done()
	ready.notReady("worker stopping")
	log.Info("worker stopping", zap.Duration("stop_timeout", opts.Config.StopTimeout))
	stopAll()
	log.Info("worker stopped")
	return nil
}

func pollers(n int) sdkworker.PollerBehavior {
	if n <= 0 {
		n = 8
	}
	return sdkworker.NewPollerBehaviorAutoscaling(sdkworker.PollerBehaviorAutoscalingOptions{
		InitialNumberOfPollers: min(2, n), MinimumNumberOfPollers: 1, MaximumNumberOfPollers: n,
	})
}

// Command overhead measures Lazarus's orchestration overhead: Lazarus
// running a Restore 2 batch of N sites with instant no-op activities
// registered under the action names, against a plain Temporal SDK program
// running the same number of activities in the same shape (the same DAG per
// site, one child workflow per site, the same sliding window, the same task
// queues per service, the same worker settings) on the same dev server. It
// prints both throughputs and their ratio (target: Lazarus >= 0.9 of plain).
//
//	go run ./bench/overhead -sites 883
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/internal/devserver"
	"github.com/lazarus-dr/lazarus/logging"
	"github.com/lazarus-dr/lazarus/runbooks"
	"github.com/lazarus-dr/lazarus/worker"
	"github.com/lazarus-dr/lazarus/workflows"
)

func main() {
	sites := flag.Int("sites", 883, "sites per batch")
	window := flag.Int("window", workflows.DefaultMaxConcurrentSites, "sites at once (both programs)")
	runs := flag.Int("runs", 1, "runs of each program (alternating; the best of each is compared)")
	runbook := flag.String("runbook", "restore2", "runbook (gates are removed: no human in a benchmark)")
	address := flag.String("address", "", "use this Temporal server instead of starting a dev server")
	perRun := flag.Int("children-per-run", 0, "Lazarus: site workflows per batch run before continue-as-new (0: the workflow's default)")
	timeout := flag.Duration("timeout", 15*time.Minute, "give up after this long")
	programs := flag.String("programs", "lazarus,plain", "which programs to run (lazarus, plain or both; the ratio needs both)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	childrenPerRun = *perRun
	runLazarusProgram = strings.Contains(*programs, "lazarus")
	runPlainProgram = strings.Contains(*programs, "plain")
	if err := run(ctx, *sites, *window, *runs, *runbook, *address); err != nil {
		fmt.Fprintln(os.Stderr, "overhead:", err)
		os.Exit(1)
	}
}

var childrenPerRun int

// runLazarusProgram and runPlainProgram say which programs -programs asked for.
var runLazarusProgram, runPlainProgram = true, true

func run(ctx context.Context, nSites, window, runs int, runbook, address string) error {
	if address == "" {
		srv, err := devserver.Start(ctx, devserver.Options{})
		if err != nil {
			return err
		}
		defer srv.Stop()
		address = srv.FrontendHostPort()
		fmt.Printf("overhead: dev server at %s\n", address)
	}
	quiet, err := logging.New("error", false)
	if err != nil {
		return err
	}
	c, err := client.Dial(client.Options{HostPort: address, Logger: logging.NewTemporalLogger(quiet)})
	if err != nil {
		return err
	}
	defer c.Close()
	plan, err := runbooks.Load(runbook)
	if err != nil {
		return err
	}
	plan = withoutGates(plan)
	acts := len(plan.BatchSteps())*2 + nSites*len(plan.SiteSteps()) // each batch step has a cleanup
	fmt.Printf("overhead: runbook %s without gates: %d site steps, %d batch steps; %d sites, window %d: about %d activities per run\n",
		plan.Runbook, len(plan.SiteSteps()), len(plan.BatchSteps()), nSites, window, acts)

	var bestL, bestP time.Duration
	for r := 0; r < runs; r++ {
		if runLazarusProgram {
			dl, err := runLazarus(ctx, c, plan, nSites, window, r)
			if err != nil {
				return fmt.Errorf("lazarus run %d: %w", r+1, err)
			}
			fmt.Printf("  run %d lazarus   %8.2fs  %6.0f activities/s\n", r+1, dl.Seconds(), float64(acts)/dl.Seconds())
			if bestL == 0 || dl < bestL {
				bestL = dl
			}
		}
		if runPlainProgram {
			dp, err := runPlain(ctx, c, plan, nSites, window, r)
			if err != nil {
				return fmt.Errorf("plain run %d: %w", r+1, err)
			}
			fmt.Printf("  run %d plain SDK %8.2fs  %6.0f activities/s\n", r+1, dp.Seconds(), float64(acts)/dp.Seconds())
			if bestP == 0 || dp < bestP {
				bestP = dp
			}
		}
	}
	if bestL == 0 || bestP == 0 {
		return nil
	}
	ratio := bestP.Seconds() / bestL.Seconds()
	verdict := "meets"
	if ratio < 0.9 {
		verdict = "BELOW"
	}
	fmt.Printf("overhead: Lazarus %d sites in %.2fs vs plain SDK %.2fs: throughput ratio %.2f (%s the 0.9 target)\n",
		nSites, bestL.Seconds(), bestP.Seconds(), ratio, verdict)
	return nil
}

// withoutGates drops gate steps (a benchmark has no human to approve them).
func withoutGates(p *runbooks.Plan) *runbooks.Plan {
	out := *p
	out.Steps = nil
	gates := map[string]bool{}
	for _, s := range p.Steps {
		if s.Gate != nil {
			gates[s.ID] = true
			continue
		}
		out.Steps = append(out.Steps, s)
	}
	for i := range out.Steps {
		var needs []string
		for _, n := range out.Steps[i].Needs {
			if !gates[n] {
				needs = append(needs, n)
			}
		}
		out.Steps[i].Needs = needs
	}
	return &out
}

func noopActivity(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
	return contract.StepOutput{}, nil
}

func registerNoop(r sdkworker.ActivityRegistry) error {
	for _, name := range runbooks.ActivityNames() {
		r.RegisterActivityWithOptions(noopActivity, activity.RegisterOptions{Name: name})
	}
	return nil
}

func benchSites(n int) []workflows.Site {
	now := time.Now().UTC()
	out := make([]workflows.Site, n)
	for i := range out {
		d := now.Add(-time.Hour + time.Duration(i)*time.Second)
		out[i] = workflows.Site{SiteID: fmt.Sprintf("bench-%05d", i), DeletedAt: d, RestorePoint: d.Add(-5 * time.Minute), Users: 10}
	}
	return out
}

func runLazarus(ctx context.Context, c client.Client, plan *runbooks.Plan, n, window, r int) (time.Duration, error) {
	wctx, stop := context.WithCancel(ctx)
	ready := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- worker.Run(wctx, worker.Options{Client: c, Config: worker.DefaultConfig(), RegisterActivities: registerNoop, Ready: ready})
	}()
	select {
	case <-ready:
	case err := <-errc:
		stop()
		return 0, err
	}
	// The worker has stopped before the next program starts: its pollers
	// must not overlap the next program's.
	defer func() { stop(); <-errc }()
	id := fmt.Sprintf("overhead-%d-%d", time.Now().UnixNano(), r)
	start := time.Now()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.BatchWorkflowID(id), TaskQueue: workflows.WorkflowTaskQueue},
		workflows.RestoreBatchWorkflowName, workflows.RestoreBatchInput{BatchID: id, Plan: *plan, Sites: benchSites(n), MaxConcurrentSites: window, MaxChildrenPerRun: childrenPerRun})
	if err != nil {
		return 0, err
	}
	var res workflows.BatchResult
	if err := run.Get(ctx, &res); err != nil {
		return 0, err
	}
	d := time.Since(start)
	restored := 0
	for _, s := range res.Sites {
		if s.Outcome == workflows.SiteRestored {
			restored++
		}
	}
	if restored != n {
		return d, fmt.Errorf("%d of %d sites restored", restored, n)
	}
	return d, nil
}

// The plain program: the same DAG per site in a child workflow, a sliding
// window of children, batch steps first and their cleanups last.

const plainQueue = "plain-workflows"

func plainActivityQueue(svc string) string { return "plain-" + svc }

type plainInput struct {
	Plan   runbooks.Plan
	Sites  []string
	Window int
}

func activityOptions(ctx workflow.Context, s runbooks.PlanStep) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           plainActivityQueue(s.Service),
		StartToCloseTimeout: s.Timeout,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: s.Retry.InitialInterval, BackoffCoefficient: s.Retry.BackoffCoefficient,
			MaximumInterval: s.Retry.MaximumInterval, MaximumAttempts: s.Retry.MaximumAttempts},
	})
}

// runDAG runs steps of one scope, each as soon as its needs (of that scope) are done.
func runDAG(ctx workflow.Context, plan runbooks.Plan, scope runbooks.Scope, site string) error {
	done := map[string]workflow.Settable{}
	futs := map[string]workflow.Future{}
	var order []string
	for _, s := range plan.Steps {
		if s.Scope != scope {
			continue
		}
		f, set := workflow.NewFuture(ctx)
		futs[s.ID], done[s.ID] = f, set
		order = append(order, s.ID)
	}
	for _, s := range plan.Steps {
		if s.Scope != scope {
			continue
		}
		s := s
		workflow.Go(ctx, func(gctx workflow.Context) {
			for _, n := range s.Needs {
				if f, ok := futs[n]; ok {
					_ = f.Get(gctx, nil)
				}
			}
			err := workflow.ExecuteActivity(activityOptions(gctx, s), s.Action, contract.StepInput{SiteID: site, StepID: s.ID, Action: s.Action, Params: s.Params}).Get(gctx, nil)
			done[s.ID].Set(nil, err)
		})
	}
	for _, id := range order {
		if err := futs[id].Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

func PlainSite(ctx workflow.Context, plan runbooks.Plan, site string) error {
	return runDAG(ctx, plan, runbooks.ScopeSite, site)
}

func PlainBatch(ctx workflow.Context, in plainInput) error {
	if err := runDAG(ctx, in.Plan, runbooks.ScopeBatch, ""); err != nil {
		return err
	}
	sel := workflow.NewSelector(ctx)
	running, next, finished := 0, 0, 0
	var firstErr error
	for finished < len(in.Sites) {
		for running < in.Window && next < len(in.Sites) {
			site := in.Sites[next]
			next++
			running++
			cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: "plain-site-" + workflow.GetInfo(ctx).WorkflowExecution.ID + "-" + site})
			f := workflow.ExecuteChildWorkflow(cctx, PlainSite, in.Plan, site)
			sel.AddFuture(f, func(f workflow.Future) {
				running--
				finished++
				if err := f.Get(ctx, nil); err != nil && firstErr == nil {
					firstErr = err
				}
			})
		}
		sel.Select(ctx)
	}
	// Cleanups of the batch steps.
	var cleanups []workflow.Future
	for _, s := range in.Plan.BatchSteps() {
		if s.Cleanup == "" {
			continue
		}
		cs := s
		cs.Action = s.Cleanup
		cleanups = append(cleanups, workflow.ExecuteActivity(activityOptions(ctx, cs), cs.Action, contract.StepInput{StepID: s.ID, Action: cs.Action}))
	}
	for _, f := range cleanups {
		if err := f.Get(ctx, nil); err != nil {
			return err
		}
	}
	return firstErr
}

func runPlain(ctx context.Context, c client.Client, plan *runbooks.Plan, n, window, r int) (time.Duration, error) {
	cfg := worker.DefaultConfig()
	var ws []sdkworker.Worker
	wf := sdkworker.New(c, plainQueue, sdkworker.Options{
		MaxConcurrentWorkflowTaskExecutionSize: cfg.Workflows.MaxConcurrentWorkflowTasks,
		WorkflowTaskPollerBehavior: sdkworker.NewPollerBehaviorAutoscaling(sdkworker.PollerBehaviorAutoscalingOptions{
			InitialNumberOfPollers: 2, MinimumNumberOfPollers: 1, MaximumNumberOfPollers: 8}),
	})
	wf.RegisterWorkflow(PlainBatch)
	wf.RegisterWorkflow(PlainSite)
	ws = append(ws, wf)
	svcs := runbooks.Services()
	sort.Strings(svcs)
	for _, svc := range svcs {
		l := cfg.LimitsFor(svc)
		w := sdkworker.New(c, plainActivityQueue(svc), sdkworker.Options{
			MaxConcurrentActivityExecutionSize: l.MaxConcurrentActivities,
			ActivityTaskPollerBehavior: sdkworker.NewPollerBehaviorAutoscaling(sdkworker.PollerBehaviorAutoscalingOptions{
				InitialNumberOfPollers: 2, MinimumNumberOfPollers: 1, MaximumNumberOfPollers: 8}),
		})
		_ = registerNoop(w)
		ws = append(ws, w)
	}
	for _, w := range ws {
		if err := w.Start(); err != nil {
			return 0, err
		}
	}
	defer func() {
		for _, w := range ws {
			w.Stop()
		}
	}()
	ids := make([]string, n)
	for i, s := range benchSites(n) {
		ids[i] = s.SiteID
	}
	start := time.Now()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("plain-batch-%d-%d", time.Now().UnixNano(), r), TaskQueue: plainQueue},
		PlainBatch, plainInput{Plan: *plan, Sites: ids, Window: window})
	if err != nil {
		return 0, err
	}
	if err := run.Get(ctx, nil); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

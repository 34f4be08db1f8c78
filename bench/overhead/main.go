// Command overhead measures Lazarus's orchestration overhead: Lazarus
// running a Restore 2 batch of N sites with instant no-op activities
// registered under the action names, against a plain Temporal SDK program
// running the same number of activities in the same shape (the same DAG per
// site, one child workflow per site, the same sliding window, the same task
// queues per service, the same worker settings) on the same dev server. It
// prints both throughputs and their ratio (target: Lazarus >= 0.97 of plain),
// the Lazarus batch runs' history sizes, whether any history or payload
// limit was hit, and this process's peak RSS (the Lazarus worker runs in
// it). The dev server it starts has scripts/up.sh's settings (file-backed
// SQLite, WAL pragmas, eager activities), as the demo's does. -json writes
// the figures to a file; -programs lazarus skips the plain program.
//
//	go run ./bench/overhead -sites 883
//	go run ./bench/overhead -sites 10000 -programs lazarus -json out/bench-overhead.json
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
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

// OverheadTarget is the speed issue's target for Lazarus's throughput over
// the plain SDK program's, on the same server and runbook.
const OverheadTarget = 0.97

func main() {
	var cfg config
	flag.IntVar(&cfg.sites, "sites", 883, "sites per batch")
	flag.IntVar(&cfg.window, "window", workflows.DefaultMaxConcurrentSites, "sites at once (both programs)")
	flag.IntVar(&cfg.runs, "runs", 1, "runs of each program (alternating; the best of each is compared)")
	flag.StringVar(&cfg.runbook, "runbook", "restore2", "runbook (gates are removed: no human in a benchmark)")
	flag.StringVar(&cfg.address, "address", "", "use this Temporal server instead of starting a dev server")
	flag.IntVar(&cfg.perRun, "children-per-run", 0, "Lazarus: site workflows per batch run before continue-as-new (0: the workflow's default)")
	timeout := flag.Duration("timeout", 0, "give up after this long (0: 15 min, or 300 ms per site, program and run when that is longer)")
	programs := flag.String("programs", "lazarus,plain", "which programs to run: lazarus, plain or lazarus,plain (the ratio needs both)")
	jsonOut := flag.String("json", "", "also write the figures to this file (JSON)")
	flag.Parse()
	if err := cfg.check(*programs, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "overhead:", err)
		os.Exit(2)
	}
	if *timeout == 0 {
		*timeout = cfg.defaultTimeout()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	f := &figures{Sites: cfg.sites, Window: cfg.window, Runs: cfg.runs, Runbook: cfg.runbook}
	err := run(ctx, cfg, f)
	if *jsonOut != "" {
		if werr := f.write(*jsonOut); werr != nil {
			fmt.Fprintln(os.Stderr, "overhead:", werr)
			os.Exit(1)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "overhead:", err)
		os.Exit(1)
	}
}

// devServerKind says what the dev server runs on: the same settings as
// scripts/up.sh (the demo's), so that the figures compare with the demo's.
const devServerKind = "dev server: SQLite file (journal_mode=wal, synchronous=normal), eager activities, as scripts/up.sh"

func run(ctx context.Context, cfg config, f *figures) error {
	address := cfg.address
	f.Server = "Temporal at " + address
	if address == "" {
		dir, err := os.MkdirTemp("", "overhead-")
		if err != nil {
			return fmt.Errorf("dev server folder: %w", err)
		}
		defer os.RemoveAll(dir)
		srv, err := devserver.Start(ctx, devserver.Options{DBFile: filepath.Join(dir, "temporal.db")})
		if err != nil {
			return err
		}
		defer srv.Stop()
		address = srv.FrontendHostPort()
		f.Server = devServerKind
		fmt.Printf("overhead: dev server at %s (%s)\n", address, devServerKind)
	}
	quiet, err := logging.New("error", false)
	if err != nil {
		return err
	}
	c, err := client.Dial(client.Options{HostPort: address, Logger: logging.NewTemporalLogger(quiet)})
	if err != nil {
		return fmt.Errorf("dial Temporal at %s: %w", address, err)
	}
	defer c.Close()
	plan, err := runbooks.Load(cfg.runbook)
	if err != nil {
		return err
	}
	plan = withoutGates(plan)
	acts := len(plan.BatchSteps())*2 + cfg.sites*len(plan.SiteSteps()) // each batch step has a cleanup
	f.Activities = acts
	fmt.Printf("overhead: runbook %s without gates: %d site steps, %d batch steps; %d sites, window %d: about %d activities per run\n",
		plan.Runbook, len(plan.SiteSteps()), len(plan.BatchSteps()), cfg.sites, cfg.window, acts)

	var bestL, bestP time.Duration
	var lim limits
	var rss int64
	defer func() { f.fill(acts, bestL, bestP, lim, rss) }()
	for r := 0; r < cfg.runs; r++ {
		if cfg.lazarus {
			dl, err := lazarusRun(ctx, c, plan, cfg, r, &lim)
			if m, rerr := peakRSS(); rerr == nil {
				rss = max(rss, m)
			}
			if err != nil {
				printLimits(lim, rss)
				f.Error = err.Error()
				return fmt.Errorf("lazarus run %d: %w", r+1, err)
			}
			fmt.Printf("  run %d lazarus   %8.2fs  %6.0f activities/s\n", r+1, dl.Seconds(), float64(acts)/dl.Seconds())
			if bestL == 0 || dl < bestL {
				bestL = dl
			}
		}
		if cfg.plain {
			dp, err := runPlain(ctx, c, plan, cfg.sites, cfg.window, r)
			if err != nil {
				return fmt.Errorf("plain run %d: %w", r+1, err)
			}
			fmt.Printf("  run %d plain SDK %8.2fs  %6.0f activities/s\n", r+1, dp.Seconds(), float64(acts)/dp.Seconds())
			if bestP == 0 || dp < bestP {
				bestP = dp
			}
		}
	}
	if cfg.lazarus {
		printLimits(lim, rss)
	}
	if bestL == 0 || bestP == 0 {
		return nil
	}
	le, pe, err := printSiteEvents(ctx, c)
	if err != nil {
		return err
	}
	if le > 0 && pe > 0 {
		f.SiteEvents, f.PlainSiteEvents = ptr(le), ptr(pe)
	}
	ratio := bestP.Seconds() / bestL.Seconds()
	verdict := "meets"
	if ratio < OverheadTarget {
		verdict = "BELOW"
	}
	fmt.Printf("overhead: Lazarus %d sites in %.2fs vs plain SDK %.2fs: throughput ratio %.2f (%s the %.2f target)\n",
		cfg.sites, bestL.Seconds(), bestP.Seconds(), ratio, verdict, OverheadTarget)
	return nil
}

// lazarusRun runs the Lazarus program once and adds what its batch runs'
// histories say about the server's limits to lim (a batch that did not
// complete is a limit hit too).
func lazarusRun(ctx context.Context, c client.Client, plan *runbooks.Plan, cfg config, r int, lim *limits) (time.Duration, error) {
	d, wid, runID, err := runLazarus(ctx, c, plan, cfg, r)
	var l limits
	var herr error
	if runID != "" {
		// Read even when ctx ended: the histories say why.
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		defer cancel()
		l, herr = batchLimits(hctx, c, wid, runID)
	}
	if err != nil {
		l.Hit = append(l.Hit, "the batch did not complete: "+err.Error())
	}
	lim.merge(l)
	if err == nil && herr != nil {
		err = fmt.Errorf("read the batch's histories: %w", herr)
	}
	return d, err
}

// printLimits prints the batch runs' history sizes, the limits hit and
// the peak RSS.
func printLimits(l limits, rss int64) {
	fmt.Printf("overhead: Lazarus batch: %d runs, largest run history %d events, %.2f MB; workflow tasks: %d failed, %d timed out\n",
		l.Runs, l.MaxEvents, float64(l.MaxBytes)/1e6, l.TaskFailures, l.TaskTimeouts)
	if len(l.Hit) == 0 {
		fmt.Printf("overhead: no history or payload limit hit (warning limits: %d events, %d MB per run)\n", historyEventsWarn, historyBytesWarn>>20)
	}
	for _, h := range l.Hit {
		fmt.Printf("overhead: LIMIT HIT: %s\n", h)
	}
	fmt.Printf("overhead: peak RSS of this process (the Lazarus worker runs in it): %.0f MiB\n", float64(rss)/(1<<20))
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

// runLazarus runs one no-op Lazarus batch of cfg.sites sites on an
// in-process worker and returns how long it took, the batch workflow's ID
// and its first run's ID (empty when it did not start).
func runLazarus(ctx context.Context, c client.Client, plan *runbooks.Plan, cfg config, r int) (time.Duration, string, string, error) {
	n, window := cfg.sites, cfg.window
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
		return 0, "", "", fmt.Errorf("start the worker: %w", err)
	}
	// The worker has stopped before the next program starts: its pollers
	// must not overlap the next program's.
	defer func() { stop(); <-errc }()
	id := fmt.Sprintf("overhead-%d-%d", time.Now().UnixNano(), r)
	wid := workflows.BatchWorkflowID(id)
	start := time.Now()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wid, TaskQueue: workflows.BatchTaskQueue, WorkflowTaskTimeout: workflows.BatchWorkflowTaskTimeout},
		workflows.RestoreBatchWorkflowName, workflows.RestoreBatchInput{BatchID: id, Plan: *plan, Sites: benchSites(n), MaxConcurrentSites: window, MaxChildrenPerRun: cfg.perRun})
	if err != nil {
		return 0, "", "", fmt.Errorf("start the batch: %w", err)
	}
	// The first run's ID, read before Get: once Get has followed the
	// continue-as-new chain, GetRunID names the last run, and the limits
	// would be read from the last run only.
	first := run.GetRunID()
	var res workflows.BatchResult
	if err := run.Get(ctx, &res); err != nil {
		return time.Since(start), wid, first, fmt.Errorf("batch %s: %w", id, err)
	}
	d := time.Since(start)
	restored := 0
	for _, s := range res.Sites {
		if s.Outcome == workflows.SiteRestored {
			restored++
		}
	}
	if restored != n {
		return d, wid, first, fmt.Errorf("%d of %d sites restored", restored, n)
	}
	return d, wid, first, nil
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

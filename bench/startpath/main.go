// Command startpath measures how fast one Temporal dev server (file-backed,
// as scripts/up.sh runs it) runs N small workflows, each a chain of K no-op
// activities, with W of them in flight, started two ways:
//
//   - children: as child workflows of one parent workflow that keeps a
//     window of W (how a Lazarus batch starts its sites, and the plain SDK
//     program of bench/overhead);
//   - client: by the client, W at a time (how an activity would start them:
//     no parent whose history records each start).
//
// For each it prints the workflows per second and, for the children, how
// long the server took from the parent asking for a child to the child's
// first event (p50, p95, max).
//
//	go run ./bench/startpath [-n 600] [-w 200] [-k 14] [-ways children,client]
//
// It is a development tool for the speed issue's evidence: it must never be
// part of a worker.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/internal/devserver"
)

const queue = "startpath"

func main() {
	n := flag.Int("n", 600, "workflows to run")
	w := flag.Int("w", 200, "workflows in flight")
	k := flag.Int("k", 14, "no-op activities per workflow (a Restore 2 site of the demo runs about 14)")
	ways := flag.String("ways", "children,client", "start paths to measure, in order")
	flag.Parse()
	if *n < 1 || *w < 1 || *k < 0 {
		fmt.Fprintln(os.Stderr, "startpath: -n and -w must be at least 1, -k at least 0")
		os.Exit(2)
	}
	if err := run(*n, *w, *k, strings.Split(*ways, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "startpath:", err)
		os.Exit(1)
	}
}

func run(n, w, k int, ways []string) error {
	ctx := context.Background()
	for _, way := range ways {
		if way != "children" && way != "client" {
			return fmt.Errorf("-ways: %q is not a start path (children, client)", way)
		}
	}
	dir, err := os.MkdirTemp("", "startpath")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, way := range ways {
		// A fresh server for each way, so that neither runs on the
		// other's leftovers.
		srv, err := devserver.Start(ctx, devserver.Options{DBFile: filepath.Join(dir, way+".db")})
		if err != nil {
			return err
		}
		err = measure(ctx, srv.Client(), way, n, w, k)
		srv.Stop()
		if err != nil {
			return err
		}
	}
	return nil
}

func measure(ctx context.Context, c client.Client, way string, n, w, k int) error {
	wk := sdkworker.New(c, queue, sdkworker.Options{MaxConcurrentActivityExecutionSize: 400})
	wk.RegisterWorkflowWithOptions(Small, workflow.RegisterOptions{Name: "Small"})
	wk.RegisterWorkflowWithOptions(Parent, workflow.RegisterOptions{Name: "Parent"})
	wk.RegisterActivityWithOptions(func(context.Context) error { return nil }, activity.RegisterOptions{Name: activityName})
	if err := wk.Start(); err != nil {
		return err
	}
	defer wk.Stop()
	start := time.Now()
	prefix := fmt.Sprintf("%s-%d", way, start.UnixNano())
	switch way {
	case "children":
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: prefix, TaskQueue: queue}, "Parent", n, w, k)
		if err != nil {
			return err
		}
		if err := run.Get(ctx, nil); err != nil {
			return err
		}
	case "client":
		sem := make(chan struct{}, w)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var firstErr error
		for i := 0; i < n; i++ {
			sem <- struct{}{}
			wg.Add(1)
			go func(i int) {
				defer func() { <-sem; wg.Done() }()
				run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("%s-%d", prefix, i), TaskQueue: queue}, "Small", k)
				if err == nil {
					err = run.Get(ctx, nil)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}(i)
		}
		wg.Wait()
		if firstErr != nil {
			return firstErr
		}
	}
	took := time.Since(start)
	fmt.Printf("%-8s %d workflows of %d activities, %d in flight: %.1f s, %.2f workflows/s, %.1f activities/s\n",
		way, n, k, w, took.Seconds(), float64(n)/took.Seconds(), float64(n*k)/took.Seconds())
	if way == "children" {
		return startLag(ctx, c, prefix)
	}
	return nil
}

// startLag prints how long the server took from the parent asking for each
// child to the child's start, from the parent's history.
func startLag(ctx context.Context, c client.Client, id string) error {
	asked := map[int64]time.Time{}
	var lags []time.Duration
	it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return err
		}
		if ev.GetStartChildWorkflowExecutionInitiatedEventAttributes() != nil {
			asked[ev.GetEventId()] = ev.GetEventTime().AsTime()
		}
		if a := ev.GetChildWorkflowExecutionStartedEventAttributes(); a != nil {
			lags = append(lags, ev.GetEventTime().AsTime().Sub(asked[a.GetInitiatedEventId()]))
		}
	}
	if len(lags) == 0 {
		return nil
	}
	slices.Sort(lags)
	fmt.Printf("         child start confirmed after the parent asked: p50 %.1f s, p95 %.1f s, max %.1f s\n",
		lags[len(lags)/2].Seconds(), lags[len(lags)*95/100].Seconds(), lags[len(lags)-1].Seconds())
	return nil
}

const activityName = "noop"

// Small runs k no-op activities one after the other.
func Small(ctx workflow.Context, k int) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	for i := 0; i < k; i++ {
		if err := workflow.ExecuteActivity(ctx, activityName).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// Parent runs n Small children, w at a time.
func Parent(ctx workflow.Context, n, w, k int) error {
	sel := workflow.NewSelector(ctx)
	running, next, done := 0, 0, 0
	var firstErr error
	for done < n {
		for running < w && next < n {
			cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
				WorkflowID: fmt.Sprintf("%s-%d", workflow.GetInfo(ctx).WorkflowExecution.ID, next)})
			next++
			running++
			sel.AddFuture(workflow.ExecuteChildWorkflow(cctx, "Small", k), func(f workflow.Future) {
				running--
				done++
				if err := f.Get(ctx, nil); err != nil && firstErr == nil {
					firstErr = err
				}
			})
		}
		sel.Select(ctx)
	}
	return firstErr
}

//go:build integration

package workflows

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/internal/tools"
)

// devServer starts a real Temporal dev server with Lazarus's search attributes.
func devServer(t *testing.T) client.Client {
	t.Helper()
	bin, err := tools.TemporalCLI()
	if err != nil {
		t.Fatalf("temporal CLI: %v", err)
	}
	args := []string{}
	for _, sa := range SearchAttributeTypes {
		args = append(args, "--search-attribute", sa)
	}
	srv, err := testsuite.StartDevServer(context.Background(), testsuite.DevServerOptions{ExistingPath: bin, ExtraArgs: args, LogLevel: "error"})
	if err != nil {
		t.Fatalf("start dev server: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv.Client()
}

// fakeActions is a set of stand-in activities registered under action names.
type fakeActions struct {
	mu    sync.Mutex
	calls map[string]int
	fail  map[string]*atomic.Bool // action -> fail while true
	block chan struct{}           // "block" waits on it
}

func (f *fakeActions) worker(c client.Client, service string, actions ...string) worker.Worker {
	w := worker.New(c, ActivityTaskQueue(service), worker.Options{})
	for _, a := range actions {
		a := a
		w.RegisterActivityWithOptions(func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
			f.mu.Lock()
			f.calls[in.SiteID+"/"+in.StepID]++
			f.mu.Unlock()
			if fl := f.fail[a]; fl != nil && fl.Load() {
				return contract.StepOutput{}, errors.New(a + " failed")
			}
			if a == "block" {
				select {
				case <-f.block:
				case <-ctx.Done():
					return contract.StepOutput{}, ctx.Err()
				}
			}
			return contract.StepOutput{Message: a, Values: map[string]string{a: in.StepID}}, nil
		}, activity.RegisterOptions{Name: a})
	}
	return w
}

func (f *fakeActions) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[key]
}

func start(t *testing.T, ws ...worker.Worker) {
	t.Helper()
	for _, w := range ws {
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
	}
}

// A worker stops in the middle of a site; a new worker finishes it and
// completed steps never run again.
func TestIntegrationSiteSurvivesWorkerRestart(t *testing.T) {
	c := devServer(t)
	f := &fakeActions{calls: map[string]int{}, fail: map[string]*atomic.Bool{}, block: make(chan struct{})}
	acts := f.worker(c, "svc", "a", "block", "z")
	start(t, acts)
	defer acts.Stop()
	wf1 := worker.New(c, WorkflowTaskQueue, worker.Options{})
	Register(wf1)
	start(t, wf1)

	p := plan(step("a", "a"), step("b", "block", "a"), step("z", "z", "b"))
	p.Steps[1].Timeout = time.Minute
	run, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: SiteWorkflowID("restart-1"), TaskQueue: WorkflowTaskQueue},
		RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "it", Site: Site{SiteID: "restart-1"}, Plan: p})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for f.count("restart-1/b") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("step b never started")
		}
		time.Sleep(50 * time.Millisecond)
	}
	wf1.Stop() // the workflow worker "crashes" with b in flight
	wf2 := worker.New(c, WorkflowTaskQueue, worker.Options{})
	Register(wf2)
	start(t, wf2)
	defer wf2.Stop()
	close(f.block)
	var res SiteResult
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run.Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.Outcome != SiteRestored {
		t.Fatalf("outcome %s %v", res.Outcome, res.Errors)
	}
	for _, k := range []string{"restart-1/a", "restart-1/b", "restart-1/z"} {
		if n := f.count(k); n != 1 {
			t.Fatalf("%s ran %d times, want once", k, n)
		}
	}
	// The search attributes are visible to the Web UI's queries.
	q := fmt.Sprintf("%s = 'restart-1' AND %s = '%s' AND %s = 'it'", SearchAttrSiteID, SearchAttrStatus, SiteRestored, SearchAttrBatchID)
	for i := 0; ; i++ {
		resp, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: q})
		if err == nil && len(resp.Executions) == 1 {
			break
		}
		if i > 50 {
			t.Fatalf("no workflow matches %q (err %v)", q, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A site parked when its batch continues as new is carried over; the
// operator's decision later reaches it and its result reaches the new run
// by signal.
func TestIntegrationParkedSiteAcrossContinueAsNew(t *testing.T) {
	c := devServer(t)
	f := &fakeActions{calls: map[string]int{}, fail: map[string]*atomic.Bool{"bad": {}}, block: make(chan struct{})}
	acts := f.worker(c, "svc", "restore", "bad")
	wf := worker.New(c, WorkflowTaskQueue, worker.Options{})
	Register(wf)
	start(t, acts, wf)
	defer acts.Stop()
	defer wf.Stop()

	f.fail["bad"].Store(true)
	p := plan(step("restore", "restore"), step("check", "bad", "restore"))
	sites := []Site{{SiteID: "cp-0"}, {SiteID: "cp-1"}, {SiteID: "cp-2"}, {SiteID: "cp-3"}, {SiteID: "cp-4"}}
	ctx := context.Background()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: BatchWorkflowID("cp"), TaskQueue: WorkflowTaskQueue},
		RestoreBatchWorkflowName, RestoreBatchInput{BatchID: "cp", Plan: p, Sites: sites, MaxConcurrentSites: 5, MaxChildrenPerRun: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Every site parks at "check"; the batch keeps continuing as new,
	// carrying parked sites. Wait until all five are parked.
	prog := waitBatchProgress(t, c, "cp", func(p BatchProgress) bool { return len(p.Parked) == 5 })
	if prog.Runs < 3 {
		t.Fatalf("runs %d: the batch did not continue as new with parked sites", prog.Runs)
	}
	f.fail["bad"].Store(false)
	retryStep(t, c, sites, "check")
	var res BatchResult
	tctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := run.Get(tctx, &res); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, s := range res.Sites {
		if s.Outcome != SiteRestored || seen[s.SiteID] {
			t.Fatalf("site %+v (seen before: %v)", s, seen[s.SiteID])
		}
		seen[s.SiteID] = true
	}
	if len(seen) != 5 {
		t.Fatalf("%d sites in the result", len(seen))
	}
}

// waitBatchProgress polls batch batchID's progress for up to 30 seconds
// until cond holds, and returns that progress.
func waitBatchProgress(t *testing.T, c client.Client, batchID string, cond func(BatchProgress) bool) BatchProgress {
	t.Helper()
	var p BatchProgress
	for i := 0; i < 300; i++ {
		v, err := c.QueryWorkflow(context.Background(), BatchWorkflowID(batchID), "", QueryBatchProgress)
		if err == nil && v.Get(&p) == nil && cond(p) {
			return p
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("progress never matched; last %+v", p)
	return p
}

// retryStep has the operator retry step stepID of every parked site and
// waits for each decision to complete.
func retryStep(t *testing.T, c client.Client, parked []Site, stepID string) {
	t.Helper()
	ctx := context.Background()
	for _, s := range parked {
		h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: SiteWorkflowID(s.SiteID), UpdateName: UpdateStepDecision,
			Args: []any{StepDecision{StepID: stepID, Decision: "retry", Operator: "it"}}, WaitForStage: client.WorkflowUpdateStageCompleted})
		if err != nil {
			t.Fatalf("retry %s: %v", s.SiteID, err)
		}
		if err := h.Get(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
}

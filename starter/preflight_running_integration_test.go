//go:build integration

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/internal/devserver"
	"github.com/lazarus-dr/lazarus/preflight"
	"github.com/lazarus-dr/lazarus/runbooks"
	"github.com/lazarus-dr/lazarus/worker"
	"github.com/lazarus-dr/lazarus/workflows"
)

// A second restore over sites a running batch holds is refused, naming
// that batch, and starts nothing; so is adding them to the batch again.
func TestPreflightRefusesSitesOfARunningBatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	srv, err := devserver.Start(ctx, devserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	dir := t.TempDir()
	platformFile := writePlatform(t, dir, fakeCatalog(t, time.Now().Add(-time.Hour)).URL, "")
	runbook := writeFile(t, dir, "tiny.yaml", []byte(tinyRunbook))
	// Every step waits until the test ends: the first site keeps its place
	// in the window, the second stays queued.
	release := make(chan struct{})
	stopWorker := startWaitingWorker(ctx, t, srv.Client(), release)
	defer func() { close(release); stopWorker() }()
	h := lazarus(t, "TEMPORAL_ADDRESS="+srv.FrontendHostPort(), "LAZARUS_PLATFORM="+platformFile)
	run := func(args ...string) (string, string, int) {
		t.Helper()
		r := h.Run(t, ctx, args...)
		return r.Stdout, r.Stderr, r.Code
	}

	// The first batch: one site at a time, so site-a runs and site-b waits
	// in the batch's queue.
	if _, _, code := run("restore", "start", "--runbook", runbook, "--site", "site-a,site-b", "--batch-id", "first", "--concurrency", "1"); code != 0 {
		t.Fatalf("first batch: exit %d", code)
	}
	waitRunning(ctx, t, srv.Client(), fmt.Sprintf("WorkflowId = '%s'", workflows.SiteWorkflowID("site-a")))

	_, stderr, code := run("restore", "start", "--runbook", runbook, "--site", "site-a", "--site", "site-b", "--batch-id", "second")
	if code == 0 {
		t.Fatal("a second batch over running sites started")
	}
	for _, want := range []string{
		"preflight refused the list: 2 sites already in a running batch; no workflow started",
		"site-a: is being restored by running batch first (see `lazarus batch status first`): a site is restored by one batch at a time",
		"site-b: is queued in running batch first (see `lazarus batch status first`)",
		"nothing was started",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("refusal lacks %q:\n%s", want, stderr)
		}
	}
	var nf *serviceerror.NotFound
	if _, err := srv.Client().DescribeWorkflowExecution(ctx, workflows.BatchWorkflowID("second"), ""); !errors.As(err, &nf) {
		t.Fatalf("the refused batch: want no workflow, got %v", err)
	}

	// The same as JSON, and for batch add-sites.
	stdout, _, code := run("restore", "start", "--runbook", runbook, "--site", "site-b", "--batch-id", "third", "-o", "json")
	var rep preflight.Report
	if err := json.Unmarshal([]byte(stdout), &rep); code != 1 || err != nil || len(rep.Problems) != 1 || rep.Problems[0].Kind != preflight.KindRunning {
		t.Fatalf("-o json: exit %d, %v, %+v", code, err, rep)
	}
	_, stderr, code = run("batch", "add-sites", "first", "--site", "site-a", "--operator", "test")
	if code != 1 || !strings.Contains(stderr, "site-a: is being restored by running batch first already (this batch)") {
		t.Fatalf("add-sites: exit %d\n%s", code, stderr)
	}
	// The only site workflow is the first batch's first site.
	resp, err := srv.Client().CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: "default",
		Query: fmt.Sprintf("WorkflowType = '%s'", workflows.RestoreSiteWorkflowName)})
	if err != nil || resp.GetCount() != 1 {
		t.Fatalf("site workflows: %d (%v)", resp.GetCount(), err)
	}
	if _, _, code := run("batch", "cancel", "first", "--operator", "test", "--reason", "end of the test"); code != 0 {
		t.Errorf("cancel: exit %d", code)
	}
}

// startWaitingWorker runs the worker with every action waiting for
// release; the function it returns stops it.
func startWaitingWorker(ctx context.Context, t *testing.T, c client.Client, release <-chan struct{}) func() {
	t.Helper()
	register := func(r sdkworker.ActivityRegistry) error {
		for _, name := range runbooks.ActivityNames() {
			r.RegisterActivityWithOptions(func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
				select {
				case <-release:
				case <-ctx.Done():
				}
				return contract.StepOutput{}, nil
			}, activity.RegisterOptions{Name: name})
		}
		return nil
	}
	wctx, stop := context.WithCancel(ctx)
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- worker.Run(wctx, worker.Options{Client: c, Config: worker.DefaultConfig(), RegisterActivities: register, Ready: ready})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("worker: %v", err)
	}
	return stop
}

// waitRunning waits until visibility shows a running workflow matching q.
func waitRunning(ctx context.Context, t *testing.T, c interface {
	CountWorkflow(context.Context, *workflowservice.CountWorkflowExecutionsRequest) (*workflowservice.CountWorkflowExecutionsResponse, error)
}, q string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: "default", Query: q + " AND ExecutionStatus = 'Running'"})
		if err == nil && resp.GetCount() > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no running workflow for %s (%v)", q, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

//go:build integration

package preflight

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/internal/devserver"
	"github.com/lazarus-dr/lazarus/workflows"
)

// standIn waits for a "done" signal: a RestoreSite or RestoreBatch that
// runs as long as the test needs.
func standIn(ctx workflow.Context, _ workflows.RestoreBatchInput) error {
	workflow.GetSignalChannel(ctx, "done").Receive(ctx, nil)
	return nil
}

func TestTemporalRunningOnRealVisibility(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv, err := devserver.Start(ctx, devserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	c := srv.Client()
	w := sdkworker.New(c, workflows.WorkflowTaskQueue, sdkworker.Options{})
	w.RegisterWorkflowWithOptions(standIn, workflow.RegisterOptions{Name: workflows.RestoreSiteWorkflowName})
	w.RegisterWorkflowWithOptions(standIn, workflow.RegisterOptions{Name: workflows.RestoreBatchWorkflowName})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	start := func(wid, name, batch string, in workflows.RestoreBatchInput) client.WorkflowRun {
		t.Helper()
		opts := client.StartWorkflowOptions{ID: wid, TaskQueue: workflows.WorkflowTaskQueue}
		if batch != "" {
			opts.TypedSearchAttributes = temporal.NewSearchAttributes(workflows.SearchKeyBatchID.ValueSet(batch))
		}
		run, err := c.ExecuteWorkflow(ctx, opts, name, in)
		if err != nil {
			t.Fatalf("start %s: %v", wid, err)
		}
		return run
	}
	site := func(id, batch string) client.WorkflowRun {
		return start(workflows.SiteWorkflowID(id), workflows.RestoreSiteWorkflowName, batch, workflows.RestoreBatchInput{})
	}
	sites := func(ids ...string) []workflows.Site {
		var out []workflows.Site
		for _, id := range ids {
			out = append(out, workflows.Site{SiteID: id})
		}
		return out
	}
	// Batch b1 began with s1..s4: s1 runs, s2 ran and ended, s3 and s4
	// wait in its queue. Batch b2 continued as new with s5 pending and s8
	// running (carried).
	start(workflows.BatchWorkflowID("b1"), workflows.RestoreBatchWorkflowName, "b1", workflows.RestoreBatchInput{BatchID: "b1", Sites: sites("s1", "s2", "s3", "s4")})
	start(workflows.BatchWorkflowID("b2"), workflows.RestoreBatchWorkflowName, "b2", workflows.RestoreBatchInput{BatchID: "b2",
		Carry: &workflows.BatchCarry{Pending: sites("s5"), Blocked: []workflows.BlockedSite{{SiteID: "s8", Kind: "running"}}}})
	site("s1", "b1")
	done := site("s2", "b1")
	if err := c.SignalWorkflow(ctx, done.GetID(), "", "done", nil); err != nil {
		t.Fatal(err)
	}
	if err := done.Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
	site("s6", "b9") // a site whose batch is gone
	site("o'brien", "b1")
	site("s8", "b2")

	// Visibility is eventually consistent: wait for every record.
	waitCount(ctx, t, c, runningSites, 4)
	waitCount(ctx, t, c, runningBatches, 2)
	waitCount(ctx, t, c, "WorkflowType = 'RestoreSite' AND ExecutionStatus = 'Completed'", 1)

	want := map[string]Holder{
		"s1": {Batch: "b1"}, "s3": {Batch: "b1", Queued: true}, "s4": {Batch: "b1", Queued: true},
		"s5": {Batch: "b2", Queued: true}, "s6": {Batch: "b9"}, "o'brien": {Batch: "b1"}, "s8": {Batch: "b2"},
	}
	ask := []string{"s1", "s2", "s3", "s4", "s5", "s6", "s7", "o'brien", "s8"}
	for _, tc := range []struct {
		name string
		ids  []string
		size int
	}{
		{"more IDs than running sites: listed", ask, 0},
		{"fewer IDs than running sites: asked by ID in chunks", []string{"s1", "s3", "o'brien"}, 1},
		{"chunks of two", []string{"s1", "s2", "s6"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := TemporalRunning{Client: c, Namespace: "default", ChunkSize: tc.size}
			got, err := r.RunningBatches(ctx, tc.ids)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range tc.ids {
				w, held := want[id]
				if g, ok := got[id]; ok != held || g != w {
					t.Errorf("%s: got %+v (%v), want %+v (%v)", id, g, ok, w, held)
				}
			}
			if len(got) > len(tc.ids) {
				t.Errorf("answered more sites than asked: %v", got)
			}
		})
	}

	// Temporal gone: the outage names Temporal and its address.
	r := TemporalRunning{Client: c, Namespace: "default", Address: srv.FrontendHostPort()}
	srv.Stop()
	sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
	defer scancel()
	_, err = r.RunningBatches(sctx, []string{"s1"})
	line, ok := r.DescribeOutage(err)
	if err == nil || !ok || !strings.HasPrefix(line, "Temporal at "+srv.FrontendHostPort()+" ") {
		t.Fatalf("after the server stopped: %v; described %q %v", err, line, ok)
	}
}

func waitCount(ctx context.Context, t *testing.T, c client.Client, q string, n int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: "default", Query: q})
		if err == nil && resp.GetCount() == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: count %d (%v), want %d", q, resp.GetCount(), err, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

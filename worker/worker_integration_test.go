//go:build integration

package worker

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/devserver"
	"github.com/lazarus-dr/lazarus/workflows"
)

// TestRunPollsEveryQueueAndStops runs the worker with its real activities
// (built from a platform description file) on a dev server: every service
// task queue and the workflow queue get pollers, and cancelling the context
// stops it gracefully.
func TestRunPollsEveryQueueAndStops(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := devserver.Start(ctx, devserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	desc := filepath.Join(t.TempDir(), "platform.yaml")
	if err := os.WriteFile(desc, []byte("name: t\nretention: 720h\nservices:\n  catalog: http://127.0.0.1:1\n  vendors: http://127.0.0.1:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := Options{Client: srv.Client(), PlatformFile: desc, Config: DefaultConfig(), Logger: zap.NewNop()}
	wctx, stop := context.WithCancel(ctx)
	ready := make(chan struct{})
	opts.Ready = ready
	done := make(chan error, 1)
	go func() { done <- Run(wctx, opts) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("run: %v", err)
	}
	queues := []string{workflows.WorkflowTaskQueue}
	for _, s := range opts.Services() {
		queues = append(queues, workflows.ActivityTaskQueue(s))
	}
	for _, q := range queues {
		kind := enumspb.TASK_QUEUE_TYPE_ACTIVITY
		if q == workflows.WorkflowTaskQueue {
			kind = enumspb.TASK_QUEUE_TYPE_WORKFLOW
		}
		var n int
		for i := 0; i < 40; i++ {
			resp, err := srv.Client().DescribeTaskQueue(ctx, q, kind)
			if err == nil {
				n = len(resp.GetPollers())
			}
			if n > 0 {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		if n == 0 {
			t.Errorf("no poller on %s", q)
		}
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(45 * time.Second):
		t.Fatal("worker did not stop")
	}
}

func TestRunRefusesBadInput(t *testing.T) {
	err := Run(context.Background(), Options{Config: DefaultConfig()})
	if err == nil || !strings.Contains(err.Error(), "--platform FILE is required") {
		t.Fatalf("no platform: %v", err)
	}
	err = Run(context.Background(), Options{Config: DefaultConfig(), PlatformFile: "/nonexistent/platform.yaml"})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/platform.yaml") {
		t.Fatalf("missing platform file: %v", err)
	}
	err = Run(context.Background(), Options{Config: DefaultConfig(), NoWorkflows: true, NoActivities: true})
	if err == nil || !strings.Contains(err.Error(), "nothing to run") {
		t.Fatalf("nothing: %v", err)
	}
}

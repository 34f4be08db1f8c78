//go:build integration

package e2e

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/devserver"
	"github.com/lazarus-dr/lazarus/internal/tconn"
	"github.com/lazarus-dr/lazarus/internal/testpg"
	"github.com/lazarus-dr/lazarus/sandbox"
	"github.com/lazarus-dr/lazarus/worker"
	"github.com/lazarus-dr/lazarus/workflows"
)

// upSeeded starts what most end-to-end tests stand on: a dev server with
// every Lazarus search attribute and a client on it, and a sandbox (in a
// folder named after prefix) with fleet sites seeded and base backups
// taken. Each is stopped when the test ends.
func upSeeded(ctx context.Context, t *testing.T, prefix string, fleet int, seed int64, log *zap.Logger) (*testsuite.DevServer, client.Client, *sandbox.Platform) {
	t.Helper()
	return upSeededOn(ctx, t, prefix, fleet, seed, "", log)
}

// upSeededOn is upSeeded with the sandbox's clusters also on network
// (sandbox.Options.Network), for workers on other hosts.
func upSeededOn(ctx context.Context, t *testing.T, prefix string, fleet int, seed int64, network string, log *zap.Logger) (*testsuite.DevServer, client.Client, *sandbox.Platform) {
	t.Helper()
	return upSeededWith(ctx, t, sandbox.Options{StateDir: testpg.Dir(t, prefix), Network: network, Logger: log}, fleet, seed)
}

// upSeededWith is upSeeded with the sandbox's options (its StateDir and
// Logger set).
func upSeededWith(ctx context.Context, t *testing.T, o sandbox.Options, fleet int, seed int64) (*testsuite.DevServer, client.Client, *sandbox.Platform) {
	t.Helper()
	log := o.Logger
	srv, err := devserver.Start(ctx, devserver.Options{})
	if err != nil {
		t.Fatalf("dev server: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	tc, _, err := tconn.Dial(ctx, tconn.Config{Address: srv.FrontendHostPort(), Namespace: "default", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	p, err := sandbox.Up(ctx, o)
	if err != nil {
		t.Fatalf("sandbox up: %v", err)
	}
	t.Cleanup(func() { _ = p.Down(context.Background()) })
	if _, err := p.Seed(ctx, sandbox.SeedOptions{Sites: fleet, Seed: seed}); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if _, err := p.Backup(ctx); err != nil {
		t.Fatalf("backup: %v", err)
	}
	return srv, tc, p
}

// runWorker runs the worker in-process, with the real activities, on the
// sandbox's platform, and returns once it polls. It stops (and is waited
// for, up to workerStopWait) when the test ends, before what upSeeded
// started.
func runWorker(ctx context.Context, t *testing.T, tc client.Client, p *sandbox.Platform, log *zap.Logger) {
	t.Helper()
	startWorker(ctx, t, "the worker", worker.Options{Client: tc, PlatformFile: p.DescriptionPath(), Config: worker.DefaultConfig(), Logger: log})
}

// startWorker runs worker.Run with opts (Ready is set here) and returns
// once it polls; stop stops it and waits up to workerStopWait, and runs
// when the test ends if the test has not called it. name names the worker
// in failures.
func startWorker(ctx context.Context, t *testing.T, name string, opts worker.Options) (stop func()) {
	t.Helper()
	wctx, cancel := context.WithCancel(ctx)
	ready, done := make(chan struct{}), make(chan error, 1)
	opts.Ready = ready
	go func() { done <- worker.Run(wctx, opts) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		case <-time.After(workerStopWait):
			t.Errorf("%s did not stop within %s", name, workerStopWait)
		}
	}
	t.Cleanup(stop)
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("%s: %v", name, err)
	}
	return stop
}

// deleteSites waits until the sandbox's backup is behind the restore
// points, then deletes n sites picked like 2022 (seed) for good, and
// returns their IDs.
func deleteSites(ctx context.Context, t *testing.T, p *sandbox.Platform, n int, seed int64) []string {
	t.Helper()
	time.Sleep(afterBackup)
	sites, err := p.Like2022(ctx, n, 0, seed)
	if err != nil {
		t.Fatalf("pick sites: %v", err)
	}
	if _, err := p.PermanentDelete(ctx, sites); err != nil {
		t.Fatalf("delete: %v", err)
	}
	return sites
}

// watchAllRestored follows a batch with `lazarus batch watch
// --auto-approve` until it ends, and requires every one of sites restored
// in its result; it returns how many were.
func watchAllRestored(ctx context.Context, t *testing.T, lz cli, tc client.Client, batch string, sites []string) int {
	t.Helper()
	if out, code := lz.run(ctx, "batch", "watch", batch, "--auto-approve", "e2e-test"); code != 0 {
		t.Fatalf("batch watch: exit %d\n%s", code, out)
	}
	var res workflows.BatchResult
	if err := tc.GetWorkflow(ctx, workflows.BatchWorkflowID(batch), "").Get(ctx, &res); err != nil {
		t.Fatalf("batch result: %v", err)
	}
	restored := 0
	for _, s := range res.Sites {
		if s.Outcome == workflows.SiteRestored {
			restored++
		} else {
			t.Errorf("site %s: %s %v", s.SiteID, s.Outcome, s.Errors)
		}
	}
	if restored != len(sites) {
		t.Fatalf("%d of %d sites restored", restored, len(sites))
	}
	return restored
}

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
	p, err := sandbox.Up(ctx, sandbox.Options{StateDir: testpg.Dir(t, prefix), Network: network, Logger: log})
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
	wctx, stop := context.WithCancel(ctx)
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() {
		done <- worker.Run(wctx, worker.Options{Client: tc, PlatformFile: p.DescriptionPath(), Config: worker.DefaultConfig(), Logger: log, Ready: ready})
	}()
	t.Cleanup(func() {
		stop()
		select {
		case <-done:
		case <-time.After(workerStopWait):
			t.Errorf("the worker did not stop within %s", workerStopWait)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("worker: %v", err)
	}
}

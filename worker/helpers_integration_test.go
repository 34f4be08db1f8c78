//go:build integration

package worker

import (
	"context"
	"testing"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/devserver"
)

// devWorker starts a dev server and a Lazarus worker on it, with the
// test's activities on the one service task queue "svc", both stopped when
// the test ends. It returns the server's client.
func devWorker(ctx context.Context, t *testing.T, register func(sdkworker.ActivityRegistry) error) client.Client {
	t.Helper()
	srv, err := devserver.Start(ctx, devserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	cfg := DefaultConfig()
	cfg.ServiceList = []string{"svc"}
	wctx, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	opts := Options{Client: srv.Client(), Config: cfg, Logger: zap.NewNop(), RegisterActivities: register}
	go func() { _ = Run(wctx, opts) }()
	return srv.Client()
}

package worker

import (
	"context"
	"fmt"

	sdkworker "go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/activities"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/httpapi"
	"github.com/lazarus-dr/lazarus/platform/pg"
	"github.com/lazarus-dr/lazarus/platform/pitr"
	"github.com/lazarus-dr/lazarus/platform/s3media"
)

// RealActivities reads the platform description file, builds the adapters
// (the HTTP services' client, the S3 media store, the PITR engine) and
// returns the function registering every runbook action on a worker.
func RealActivities(ctx context.Context, platformFile string, log *zap.Logger) (func(sdkworker.ActivityRegistry) error, func(), error) {
	desc, err := platform.Load(platformFile)
	if err != nil {
		return nil, nil, fmt.Errorf("worker: %w", err)
	}
	deps, err := BuildDeps(ctx, desc, log)
	if err != nil {
		return nil, nil, err
	}
	reg := func(r sdkworker.ActivityRegistry) error {
		activities.Register(r, deps)
		return nil
	}
	return reg, deps.Pools.Close, nil
}

// BuildDeps builds the activities' dependencies from a platform description.
func BuildDeps(ctx context.Context, desc *platform.Description, log *zap.Logger) (activities.Deps, error) {
	deps := activities.Deps{Description: desc, Logger: log, Pools: pg.NewPools(pg.RestoreLimits, 0)}
	api := httpapi.New(desc.Services)
	deps.Catalog = api
	deps.Vendors = api
	deps.Search = api
	deps.FrontDoor = api
	if desc.Services.Admin != "" {
		deps.Truth = api
		deps.Checksums = api
	}
	if desc.Media.Endpoint != "" {
		m, err := s3media.New(desc.Media)
		if err != nil {
			return deps, fmt.Errorf("worker: media store %s: %w", desc.Media.Endpoint, err)
		}
		deps.Media = m
	}
	deps.PITR = activities.NewEngine(pitr.NewLocalCloner(desc, log), deps.Pools)
	return deps, nil
}

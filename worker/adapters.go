package worker

import (
	"context"
	"fmt"
	"net"

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
	return RealActivitiesOn(ctx, platformFile, Host{}, log)
}

// Host is what differs between the worker hosts that share one platform.
type Host struct {
	// CloneAddress is this host's IP on the network the workers share: the
	// point-in-time clones made here listen on it, and the steps on every
	// other host read them there. Empty: 127.0.0.1 (one host).
	CloneAddress string
}

// RealActivitiesOn is RealActivities on a host of several.
func RealActivitiesOn(ctx context.Context, platformFile string, host Host, log *zap.Logger) (func(sdkworker.ActivityRegistry) error, func(), error) {
	desc, err := platform.Load(platformFile)
	if err != nil {
		return nil, nil, fmt.Errorf("worker: %w", err)
	}
	deps, err := BuildDepsOn(ctx, desc, host, log)
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
	return BuildDepsOn(ctx, desc, Host{}, log)
}

// BuildDepsOn is BuildDeps on a host of several.
func BuildDepsOn(ctx context.Context, desc *platform.Description, host Host, log *zap.Logger) (activities.Deps, error) {
	if host.CloneAddress != "" && net.ParseIP(host.CloneAddress) == nil {
		return activities.Deps{}, fmt.Errorf("worker: clone address %q is not an IP address", host.CloneAddress)
	}
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
	cloner := pitr.NewLocalCloner(desc, log)
	cloner.Address = host.CloneAddress
	engine := activities.NewEngine(cloner, deps.Pools)
	engine.Logger = log
	deps.PITR = engine
	return deps, nil
}

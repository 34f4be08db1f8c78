package worker

import (
	"context"
	"fmt"
	"net"
	"time"

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
	// CloneIdle is how long a clone of this host may go unread before the
	// worker tears it down (pitr.LocalCloner.Sweep); 0 is pitr.DefaultIdle.
	CloneIdle time.Duration
}

// sweepEvery is how often the worker looks for idle clones.
const sweepEvery = 5 * time.Minute

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
	if e, ok := deps.PITR.(*activities.Engine); ok {
		if c, ok := e.Cloner.(pitr.Sweeper); ok {
			go sweepClones(ctx, c, host.CloneIdle, log)
		}
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
		deps.Checksums = api
	}
	// A bucket without an endpoint is on AWS S3; the credentials come from
	// the AWS default chain or the files the description names.
	if desc.Media.Bucket != "" {
		m, err := s3media.New(desc.Media)
		if err != nil {
			return deps, fmt.Errorf("worker: media store (bucket %s): %w", desc.Media.Bucket, err)
		}
		deps.Media = m
	}
	// Each cluster is cloned by the cloner of its backup kind (local,
	// pgbackrest, rds); local and pgBackRest clones listen on the host's
	// address.
	cloner, err := pitr.ForPlatform(ctx, desc, log)
	if err != nil {
		return deps, fmt.Errorf("worker: %w", err)
	}
	cloner.SetAddress(host.CloneAddress)
	engine := activities.NewEngine(cloner, deps.Pools)
	engine.Logger = log
	deps.PITR = engine
	return deps, nil
}

// sweepClones tears down this host's idle clones every sweepEvery until ctx
// ends: the clones whose db.drop_clone ran on another host, and those made
// in place of a dead host's.
func sweepClones(ctx context.Context, c pitr.Sweeper, idle time.Duration, log *zap.Logger) {
	if idle <= 0 {
		idle = pitr.DefaultIdle
	}
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := c.Sweep(ctx, idle); err != nil && ctx.Err() == nil {
			log.Warn("sweep of idle clones", zap.Error(err))
		}
	}
}

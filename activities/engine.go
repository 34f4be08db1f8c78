package activities

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pg"
	"github.com/lazarus-dr/lazarus/platform/pitr"
)

// Engine adapts platform/pitr (clone planning, a Cloner, tenant Load) to
// the PITR interface the activities use. The Cloner is the adapter part
// (pitr.LocalCloner here; RDS or Aurora later); planning and extraction are
// shared.
type Engine struct {
	Cloner pitr.Cloner
	// Pools, when set, hold the connections of the tenant copies (else
	// each copy opens its own two).
	Pools *pg.Pools
	// Logger logs the clones made in place of gone ones (nil: none).
	Logger *zap.Logger
	book   reachBook
}

// NewEngine returns the local PostgreSQL engine for a platform description,
// its copies on the connections of pools (nil: a connection per copy).
func NewEngine(c pitr.Cloner, pools *pg.Pools) *Engine { return &Engine{Cloner: c, Pools: pools} }

// PlanClones implements PITR.
func (e *Engine) PlanClones(points map[string]time.Time, tol time.Duration) (ClonePlan, error) {
	in := pitr.PlanInput{Tolerance: tol}
	for _, id := range slices.Sorted(maps.Keys(points)) {
		in.Sites = append(in.Sites, pitr.PlanSite{SiteID: id, RestorePoint: points[id]})
	}
	if tol == 0 {
		in.Tolerance = time.Microsecond // 0 asks for exact points
	}
	p, err := pitr.PlanClones(in)
	if err != nil {
		return ClonePlan{}, permanent(ErrInvalidInput, "%v", err)
	}
	out := ClonePlan{Site: map[string]time.Time{}}
	for _, c := range p.Clones {
		out.Points = append(out.Points, c.Point)
	}
	for _, s := range p.Sites {
		out.Site[s.SiteID] = p.Clones[s.Clone].Point
	}
	return out, nil
}

// Clone implements PITR.
func (e *Engine) Clone(ctx context.Context, c platform.Cluster, at time.Time) (CloneRef, error) {
	cl, err := e.Cloner.Clone(ctx, c.Name, at)
	if err != nil {
		return CloneRef{}, err
	}
	return CloneRef{ID: cl.ID, Cluster: cl.Cluster, At: cl.T, DSN: cl.DSN("postgres")}, nil
}

// Teardown implements PITR.
func (e *Engine) Teardown(ctx context.Context, _ platform.Cluster, id string) error {
	return e.Cloner.Teardown(ctx, id)
}

// CopyTenant implements PITR with pitr.Load (binary COPY through a temp
// table, INSERT ... ON CONFLICT DO NOTHING, one transaction per table), on
// connections with the restore's session limits (pg.RestoreLimits): pooled
// ones when the engine has Pools.
func (e *Engine) CopyTenant(ctx context.Context, req TenantCopy) (TenantCopyResult, error) {
	store := req.Store
	store.Tables = req.Tables
	res, err := e.load(ctx, req.CloneDSN, req.LiveDSN, pitr.LoadRequest{
		Store: store, SiteID: req.SiteID, AsSiteID: req.AsSiteID, SkipTables: req.Done,
		OnProgress: func(p pitr.Progress) {
			if req.Progress != nil {
				req.Progress(TenantProgress{Store: p.Store, TablesDone: p.TablesDone, Rows: p.Rows, Copying: p.Copying, Bytes: p.Bytes})
			}
		},
	})
	if err != nil {
		return TenantCopyResult{}, err
	}
	n := 0
	for _, t := range res.Tables {
		if !t.Skipped {
			n++
		}
	}
	return TenantCopyResult{Rows: res.Rows, Inserted: res.Inserted, Tables: n}, nil
}

// load runs pitr.Load on pooled connections, or pitr.LoadDSN without pools.
func (e *Engine) load(ctx context.Context, cloneDSN, liveDSN string, req pitr.LoadRequest) (pitr.LoadResult, error) {
	if e.Pools == nil {
		return pitr.LoadDSN(ctx, cloneDSN, liveDSN, req)
	}
	if err := pitr.ValidateLoad(req); err != nil {
		return pitr.LoadResult{Store: req.Store.Name}, err
	}
	src, err := e.Pools.Acquire(ctx, cloneDSN)
	if err != nil {
		return pitr.LoadResult{Store: req.Store.Name}, fmt.Errorf("load site %s store %s: clone: %w", req.SiteID, req.Store.Name, err)
	}
	defer src.Release()
	dst, err := e.Pools.Acquire(ctx, liveDSN)
	if err != nil {
		return pitr.LoadResult{Store: req.Store.Name}, fmt.Errorf("load site %s store %s: live store: %w", req.SiteID, req.Store.Name, err)
	}
	defer dst.Release()
	return pitr.Load(ctx, src.Conn(), dst.Conn(), req)
}

package activities

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/contract"
)

// DefaultTolerance is how much earlier than its own restore point a site
// may be restored so that sites share a clone.
const DefaultTolerance = 5 * time.Minute

// cloneHeartbeat is db.clone's progress: the clones made so far.
type cloneHeartbeat struct {
	Made []CloneRef `json:"made"`
}

// cloneProgress is the heartbeat while a clone is being made.
type cloneProgress struct {
	Made   []CloneRef `json:"made"`
	Making time.Time  `json:"making"`
	Of     int        `json:"of"`
}

// DBClone (db.clone, batch-scoped, param cluster, optional tolerance) plans
// the clones of one cluster for every site of the batch (as few as the
// tolerance allows, no site later than its own restore point) and makes
// them, heartbeating after each. PerSite[site] gets contract.VarRestorePoint
// (the point it actually gets) and the clone's contract.CloneDSNVar and
// CloneIDVar; Values list the clones for db.drop_clone.
func (a *Activities) DBClone(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
	if err := a.need("description", "pitr"); err != nil {
		return contract.StepOutput{}, err
	}
	name, err := param(in, "cluster")
	if err != nil {
		return contract.StepOutput{}, err
	}
	cluster, ok := a.d.Description.Cluster(name)
	if !ok {
		return contract.StepOutput{}, permanent(ErrInvalidInput, "param cluster %q is not a cluster of the platform description", name)
	}
	tol := DefaultTolerance
	if s := in.Params["tolerance"]; s != "" {
		if tol, err = time.ParseDuration(s); err != nil || tol < 0 {
			return contract.StepOutput{}, permanent(ErrInvalidInput, "param tolerance %q is not a duration >= 0", s)
		}
	}
	if len(in.Sites) == 0 {
		return contract.StepOutput{}, permanent(ErrInvalidInput, "sites is empty: db.clone is batch-scoped")
	}
	points := map[string]time.Time{}
	var bad []string
	for _, s := range in.Sites {
		p := s.RestorePoint
		if p.IsZero() && !s.DeletedAt.IsZero() {
			p = s.DeletedAt.Add(-5 * time.Minute)
		}
		switch {
		case s.SiteID == "":
			bad = append(bad, "a site with an empty site_id")
		case p.IsZero():
			bad = append(bad, fmt.Sprintf("site %s has neither restore_point nor deleted_at", s.SiteID))
		default:
			if err := a.inRetention(p); err != nil {
				bad = append(bad, fmt.Sprintf("site %s: %v", s.SiteID, err))
			}
			if !s.DeletedAt.IsZero() && p.After(s.DeletedAt) {
				bad = append(bad, fmt.Sprintf("site %s: restore point %s is after its deletion %s", s.SiteID, p.Format(time.RFC3339), s.DeletedAt.Format(time.RFC3339)))
			}
		}
		points[s.SiteID] = p
	}
	if len(bad) > 0 {
		typ := ErrInvalidInput
		for _, b := range bad {
			if strings.Contains(b, "retention") {
				typ = ErrOutsideRetention
			}
		}
		return contract.StepOutput{}, permanent(typ, "%s", strings.Join(bad, "; "))
	}
	plan, err := a.d.PITR.PlanClones(points, tol)
	if err != nil {
		return contract.StepOutput{}, fmt.Errorf("plan clones of %s: %w", name, err)
	}
	log := a.log(in)
	var hb cloneHeartbeat
	lastHeartbeat(ctx, &hb)
	byPoint := map[int64]CloneRef{}
	for _, c := range hb.Made {
		byPoint[c.At.UnixNano()] = c
	}
	var ids []string
	for i, p := range plan.Points {
		began := time.Now()
		// Nothing to report while one clone recovers: a ticker until the
		// clone's deadline.
		progress := cloneProgress{Made: hb.Made, Making: p, Of: len(plan.Points)}
		cctx, stop := a.keepAlive(ctx, a.d.CloneTimeout, func() any { return progress })
		c, err := a.d.PITR.Clone(cctx, cluster, p)
		stop()
		if err != nil {
			return contract.StepOutput{}, fmt.Errorf("clone %s at %s (%d of %d): %w", name, p.Format(time.RFC3339Nano), i+1, len(plan.Points), err)
		}
		byPoint[p.UnixNano()] = c
		ids = append(ids, c.ID)
		hb.Made = append(hb.Made, c)
		a.heartbeat(ctx, hb)
		recordClone(ctx, name, time.Since(began))
		log.Info("clone ready", zap.String("cluster", name), zap.String("clone", c.ID),
			zap.Time("point", p), zap.Duration("took", time.Since(began)))
	}
	out := contract.StepOutput{PerSite: map[string]contract.Vars{}, Values: contract.Vars{
		contract.VarCluster:  name,
		contract.VarCloneIDs: contract.JoinCloneIDs(ids),
		contract.VarClones:   fmt.Sprint(len(ids)),
	}}
	for site, p := range plan.Site {
		c, ok := byPoint[p.UnixNano()]
		if !ok {
			return contract.StepOutput{}, fmt.Errorf("clone plan gives site %s the point %s, which is not a planned clone", site, p)
		}
		out.PerSite[site] = contract.Vars{
			contract.VarRestorePoint:          contract.FormatRestorePoint(p),
			contract.CloneDSNVar(name):        c.DSN,
			contract.CloneIDVar(name):         c.ID,
			contract.VarRestorePointExtraLoss: points[site].Sub(p).String(),
		}
	}
	out.Message = fmt.Sprintf("%d clone(s) of %s for %d site(s) (tolerance %s)", len(ids), name, len(in.Sites), tol)
	return out, nil
}

// DBDropClone (db.drop_clone, cleanup of db.clone) tears the batch's clones
// down; Vars are db.clone's Values. Clones already gone are fine.
func (a *Activities) DBDropClone(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
	if err := a.need("description", "pitr"); err != nil {
		return contract.StepOutput{}, err
	}
	name := in.Vars[contract.VarCluster]
	if name == "" {
		name = in.Params["cluster"]
	}
	cluster, ok := a.d.Description.Cluster(name)
	if !ok {
		return contract.StepOutput{}, permanent(ErrInvalidInput, "vars %s %q is not a cluster of the platform description", contract.VarCluster, name)
	}
	var ids []string
	for _, id := range in.Vars.CloneIDs() {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for i, id := range ids {
		cctx, stop := a.keepAlive(ctx, a.d.CloneTimeout, nil)
		err := a.d.PITR.Teardown(cctx, cluster, id)
		stop()
		if err != nil {
			return contract.StepOutput{}, fmt.Errorf("tear down clone %s: %w", id, err)
		}
		a.heartbeat(ctx, map[string]int{"dropped": i + 1, "clones": len(ids)})
	}
	return contract.StepOutput{Message: fmt.Sprintf("%d clone(s) of %s dropped", len(ids), name)}, nil
}

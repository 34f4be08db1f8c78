package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/drill"
	"github.com/lazarus-dr/lazarus/runbooks"
)

// DrillRun is a DR drill: it restores a sample of live sites with a runbook
// into isolated drill copies under new IDs, measures RTO and RPO per site
// and per step, proves that no production tenant changed, and always
// removes every copy.
//
//  1. prepare (an activity): compile the runbook without its gates, check
//     the restore point (PointAge before the drill's start) against the
//     backups, and draw the stratified sample (or take the given list);
//  2. checksums of every production tenant (traffic allowed for);
//  3. a RestoreBatch child with Drill set: the copies are restored and each
//     one validated against its source site's state at the restore point;
//  4. in a context the drill's cancellation does not reach, whatever
//     happened before: the sites' step times (collect), the checksums
//     again, and the cleanup of every copy (compensation);
//  5. the result, and the LazarusDrillResult search attribute.
//
// A drill that fails (a site not validated, a tenant changed, a copy left
// behind, a step that could not run) completes with Passed false and every
// error listed, so that its report can always be read.
func DrillRun(ctx workflow.Context, in drill.Input) (drill.Result, error) {
	d := newDrillRun(ctx, in)
	return d.run(ctx)
}

// Options of the drill's own activities.
const (
	drillPrepareTimeout   = 5 * time.Minute
	drillChecksumsTimeout = 15 * time.Minute
	drillCollectTimeout   = 5 * time.Minute
	drillCleanupTimeout   = 30 * time.Minute
	// drillCleanupHeartbeat: the cleanup heartbeats once per copy removed;
	// a lost task or a dead worker costs this, not the timeout.
	drillCleanupHeartbeat = time.Minute
	// drillCleanupBudget bounds the cleanup's retries: long enough to
	// outlast an outage of a store, after which the drill fails loudly
	// with what was left.
	drillCleanupBudget = 6 * time.Hour
)

// drillRun is one drill's state.
type drillRun struct {
	in     drill.Input
	id     string
	logger log.Logger
	res    drill.Result
	picked []drill.Picked
}

func newDrillRun(ctx workflow.Context, in drill.Input) *drillRun {
	info := workflow.GetInfo(ctx)
	start := info.WorkflowStartTime.UTC()
	if in.Runbook == "" {
		in.Runbook = drill.DefaultRunbook
	}
	if in.Sample <= 0 && len(in.Sites) == 0 {
		in.Sample = drill.DefaultSample
	}
	if in.PointAge <= 0 {
		in.PointAge = drill.DefaultPointAge
	}
	if in.Concurrency <= 0 {
		in.Concurrency = drill.DefaultConcurrency
	}
	if in.ScheduleID != "" && in.Seed == 0 {
		// A schedule with no seed of its own draws another sample each
		// time (the seed is in the result: each drill can be drawn again).
		in.Seed = start.Unix()
	}
	id := in.DrillID
	if id == "" {
		id = drill.ID(strings.TrimPrefix(orDefaultString(in.ScheduleID, info.WorkflowExecution.ID), "lazarus-drill-"), start)
	}
	d := &drillRun{in: in, id: id, logger: log.With(workflow.GetLogger(ctx), "drill", id)}
	d.res = drill.Result{
		DrillID: id, Runbook: in.Runbook, ScheduleID: in.ScheduleID, Operator: in.Operator, Seed: in.Seed,
		StartedAt: start, RestorePoint: start.Add(-in.PointAge), Regressions: []drill.Regression{},
	}
	return d
}

func orDefaultString(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

func (d *drillRun) run(ctx workflow.Context) (drill.Result, error) {
	d.upsert(ctx, drill.ResultRunning)
	// Everything after the prepare runs where the drill's cancellation
	// does not reach: a cancelled drill cancels its batch explicitly, then
	// still measures and cleans up.
	work, _ := workflow.NewDisconnectedContext(ctx)

	prep, err := d.prepare(ctx)
	if err != nil {
		d.fail("prepare: %v", err)
		// Nothing was made: there is nothing to clean up.
		d.res.CleanedUp = true
		return d.finish(work), nil
	}
	prep.Plan = unattended(prep.Plan)
	d.picked = prep.Sites
	d.res.LiveSitesBefore = prep.LiveSites
	d.res.GatesLeftOut = prep.GatesLeftOut
	d.res.Runbook = prep.Plan.Runbook

	before, beforeErr := d.checksums(ctx)
	if beforeErr != nil {
		d.fail("production checksums before the drill: %v", beforeErr)
	}
	var batch BatchResult
	if beforeErr == nil && ctx.Err() == nil {
		batch = d.restore(ctx, work, prep)
	}
	if ctx.Err() != nil {
		d.fail("the drill was cancelled")
	}
	d.collect(work, batch)
	if beforeErr == nil {
		if after, err := d.checksums(work); err != nil {
			d.fail("production checksums after the drill: %v", err)
		} else {
			d.compare(before, after)
		}
	}
	d.cleanup(work)
	return d.finish(work), nil
}

// unattended is the plan a drill runs: a step that would park the site
// for an operator fails it instead. Nobody watches a scheduled drill at
// night; a parked copy would hold the drill, its clones and its copies
// until someone came. The failure is the drill's finding.
func unattended(p runbooks.Plan) runbooks.Plan {
	steps := make([]runbooks.PlanStep, len(p.Steps))
	copy(steps, p.Steps)
	for i := range steps {
		if steps[i].OnFailure == runbooks.OnFailurePark {
			steps[i].OnFailure = runbooks.OnFailureFail
		}
	}
	p.Steps = steps
	return p
}

// upsert sets the drill's search attributes (its ID and result).
func (d *drillRun) upsert(ctx workflow.Context, result string) {
	err := workflow.UpsertTypedSearchAttributes(ctx,
		SearchKeyDrillID.ValueSet(d.id), SearchKeyDrillResult.ValueSet(result), SearchKeyRunbook.ValueSet(d.in.Runbook))
	if err != nil {
		d.logger.Warn("upsert search attributes", "error", err)
	}
}

func (d *drillRun) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	d.res.Errors = append(d.res.Errors, msg)
	d.logger.Warn("drill problem", "problem", msg)
}

// drillActivity are the options of the drill's platform activities: on
// the catalog service's queue, where every worker with activities runs
// them.
func drillActivity(ctx workflow.Context, timeout time.Duration) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:              ActivityTaskQueue("catalog"),
		StartToCloseTimeout:    timeout,
		ScheduleToCloseTimeout: 4 * timeout,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second,
		},
	})
}

func (d *drillRun) prepare(ctx workflow.Context) (drill.PrepareOutput, error) {
	var out drill.PrepareOutput
	in := drill.PrepareInput{DrillID: d.id, Runbook: d.in.Runbook, Sample: d.in.Sample, Sites: d.in.Sites,
		Seed: d.in.Seed, Point: d.res.RestorePoint}
	err := workflow.ExecuteActivity(drillActivity(ctx, drillPrepareTimeout), drill.ActivityPrepare, in).Get(ctx, &out)
	if err != nil {
		return out, err
	}
	if len(out.Sites) == 0 {
		return out, errors.New("the sample is empty: no live site to drill")
	}
	d.logger.Info("drill prepared", "sites", len(out.Sites), "runbook", out.Plan.Runbook, "gates_left_out", out.GatesLeftOut)
	return out, nil
}

func (d *drillRun) checksums(ctx workflow.Context) (map[string]string, error) {
	var out drill.ChecksumsOutput
	// The checksums heartbeat while they read every tenant: a lost task or
	// a dead worker costs the heartbeat timeout, not the 15 minutes.
	actx := workflow.WithHeartbeatTimeout(drillActivity(ctx, drillChecksumsTimeout), DefaultHeartbeatTimeout)
	if err := workflow.ExecuteActivity(actx, drill.ActivityChecksums).Get(ctx, &out); err != nil {
		return nil, err
	}
	return out.Tenants, nil
}

// restore runs the drill's batch and waits for it to end. When the drill
// is cancelled, the batch is cancelled (it stops its sites at a safe point
// and drops its clones) and waited for.
func (d *drillRun) restore(ctx, work workflow.Context, prep drill.PrepareOutput) BatchResult {
	sites := make([]Site, len(prep.Sites))
	for i, p := range prep.Sites {
		sites[i] = Site{SiteID: p.SiteID, RestorePoint: d.res.RestorePoint, Users: p.Users}
	}
	in := RestoreBatchInput{BatchID: d.id, Plan: prep.Plan, Sites: sites, MaxConcurrentSites: d.in.Concurrency, Drill: true}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:          BatchWorkflowID(d.id),
		TaskQueue:           BatchTaskQueue,
		WorkflowTaskTimeout: BatchWorkflowTaskTimeout,
		// A drill that is terminated still has its batch drop its clones.
		ParentClosePolicy:   enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
		WaitForCancellation: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			SearchKeyBatchID.ValueSet(d.id), SearchKeyRunbook.ValueSet(prep.Plan.Runbook),
			SearchKeyDrillID.ValueSet(d.id), SearchKeyStatus.ValueSet(SiteRunning)),
		StaticSummary: fmt.Sprintf("drill %s: %d live sites into drill copies with %s", d.id, len(sites), prep.Plan.Runbook),
	})
	f := workflow.ExecuteChildWorkflow(cctx, RestoreBatchWorkflowName, in)
	var res BatchResult
	// The drill's cancellation reaches the batch through cctx; the wait
	// itself must outlive it.
	if err := f.Get(work, &res); err != nil {
		d.fail("drill batch %s: %v", BatchWorkflowID(d.id), err)
	}
	return res
}

// cleanup removes every copy of the drill, whatever state each is in:
// compensation, retried for hours before it gives up loudly.
func (d *drillRun) cleanup(work workflow.Context) {
	ids := make([]string, len(d.picked))
	for i, p := range d.picked {
		ids[i] = p.SiteID
	}
	actx := workflow.WithActivityOptions(work, workflow.ActivityOptions{
		TaskQueue:              ActivityTaskQueue("catalog"),
		StartToCloseTimeout:    drillCleanupTimeout,
		HeartbeatTimeout:       drillCleanupHeartbeat,
		ScheduleToCloseTimeout: drillCleanupBudget,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
		},
		Summary: "cleanup of drill " + d.id,
	})
	var out drill.CleanupOutput
	if err := workflow.ExecuteActivity(actx, drill.ActivityCleanup, drill.CleanupInput{DrillID: d.id, Sites: ids}).Get(work, &out); err != nil {
		d.fail("cleanup: %v", err)
		return
	}
	d.res.LiveSitesAfter = out.LiveSites
	d.res.CleanedUp = len(out.Left) == 0
	if !d.res.CleanedUp {
		d.fail("cleanup left %d drill copies: %s", len(out.Left), strings.Join(firstN(out.Left, 10), ", "))
	}
	d.logger.Info("drill cleaned up", "removed", len(out.Removed), "rows", out.Rows, "objects", out.Objects, "left", len(out.Left))
}

// finish decides whether the drill passed and records it.
func (d *drillRun) finish(work workflow.Context) drill.Result {
	d.res.EndedAt = workflow.Now(work).UTC()
	validated := len(d.res.Sites) > 0
	for _, s := range d.res.Sites {
		validated = validated && s.Validated
	}
	d.res.Passed = validated && d.res.ProductionUnchanged && d.res.CleanedUp && len(d.res.Errors) == 0
	result := drill.ResultFailed
	if d.res.Passed {
		result = drill.ResultPassed
	}
	d.upsert(work, result)
	d.logger.Info("drill ended", "result", result, "sites", len(d.res.Sites), "errors", len(d.res.Errors))
	return d.res
}

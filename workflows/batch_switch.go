package workflows

import (
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/hashicorp/go-multierror"
	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/runbooks"
)

// switch-runbook: an operator moves the sites that have not started to
// another runbook mid-incident (the review's Restore 1 to Restore 2). The
// sites it moves keep their lead round and its values: the new runbook's
// batch-scoped steps must be the batch's (same IDs, actions, parameters and
// cleanups), so its sites use the clones the batch already made. Sites
// already running keep their runbook; every site's result says which it
// ran, and the switch is an OperatorAction (when, who, why).
//
// No recorded history changes: the update, its handler and the plans it
// brings in are new, and a batch that never switched takes none of it.

// planOf is the plan a queued site runs: its switched runbook's, or the
// batch's.
func (b *batchRun) planOf(site Site) (plan runbooks.Plan, g *graph, packed []byte) {
	if site.Runbook != "" && site.Runbook != b.in.Plan.Runbook {
		if sw, ok := b.switched[site.Runbook]; ok {
			return sw.g.plan, sw.g, sw.packed
		}
	}
	return b.in.Plan, b.g, b.packedPlan
}

// switchedPlan is a plan a switch brought in, indexed and packed once.
type switchedPlan struct {
	g      *graph
	packed []byte
}

// loadSwitched indexes the plans of RestoreBatchInput.Switched.
func (b *batchRun) loadSwitched(plans []runbooks.Plan) error {
	b.switched = map[string]switchedPlan{}
	for _, p := range plans {
		if err := b.addSwitched(p); err != nil {
			return err
		}
	}
	return nil
}

func (b *batchRun) addSwitched(p runbooks.Plan) error {
	g, err := newGraph(p)
	if err != nil {
		return err
	}
	packed, err := packPlan(p)
	if err != nil {
		return err
	}
	b.switched[p.Runbook] = switchedPlan{g: g, packed: packed}
	return nil
}

// graphOf is the graph of a finished site's runbook (empty: the batch's).
func (b *batchRun) graphOf(runbook string) *graph {
	if sw, ok := b.switched[runbook]; ok && runbook != b.in.Plan.Runbook {
		return sw.g
	}
	return b.g
}

// validSwitch rejects a switch before it reaches the history, with every
// problem listed.
func (b *batchRun) validSwitch(req SwitchRunbookRequest) error {
	if err := b.notCancelled(); err != nil {
		return err
	}
	var errs *multierror.Error
	if b.in.Drill {
		errs = multierror.Append(errs, errors.New("a drill's runbook is fixed: start another drill"))
	}
	if req.Operator == "" {
		errs = multierror.Append(errs, errors.New("the operator is empty: every switch is recorded with who made it"))
	}
	if req.Plan.Runbook == "" {
		errs = multierror.Append(errs, errors.New("the new plan has no runbook name"))
	} else if _, err := newGraph(req.Plan); err != nil {
		errs = multierror.Append(errs, fmt.Errorf("runbook %s: %w", req.Plan.Runbook, err))
	} else if err := sameLead(b.in.Plan, req.Plan); err != nil {
		errs = multierror.Append(errs, err)
	}
	queued := map[string]bool{}
	for _, s := range b.win.queue {
		queued[s.SiteID] = true
	}
	for _, id := range req.Sites {
		switch {
		case !b.win.known[id]:
			errs = multierror.Append(errs, fmt.Errorf("site %s is not in batch %s", id, b.in.BatchID))
		case queued[id]:
		case req.IncludeParked && b.parked(id):
		case b.parked(id):
			errs = multierror.Append(errs, fmt.Errorf("site %s is parked: pass --include-parked to move it (it starts again from its first step)", id))
		default:
			errs = multierror.Append(errs, fmt.Errorf("site %s has already started (or ended): a running site keeps its runbook", id))
		}
	}
	if len(req.Sites) == 0 && len(b.win.queue) == 0 && (!req.IncludeParked || len(b.parkedSites()) == 0) {
		errs = multierror.Append(errs, errors.New("no site is waiting to start: nothing to switch"))
	}
	if err := errs.ErrorOrNil(); err != nil {
		return fmt.Errorf("switch-runbook refused: %w", err)
	}
	return nil
}

// sameLead checks that two plans have the same batch-scoped steps.
func sameLead(have, want runbooks.Plan) error {
	lead := func(p runbooks.Plan) []runbooks.PlanStep {
		var out []runbooks.PlanStep
		for _, st := range p.Steps {
			if st.Scope == runbooks.ScopeBatch {
				out = append(out, st)
			}
		}
		return out
	}
	a, b := lead(have), lead(want)
	if len(a) != len(b) {
		return fmt.Errorf("runbook %s has %d batch-scoped steps, the batch's %s has %d: a switch keeps the batch's clones, so they must be the same",
			want.Runbook, len(b), have.Runbook, len(a))
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Action != b[i].Action || a[i].Cleanup != b[i].Cleanup || !reflect.DeepEqual(a[i].Params, b[i].Params) {
			return fmt.Errorf("runbook %s's batch-scoped step %s differs from the batch's %s (%s): a switch keeps the batch's clones, so they must be the same",
				want.Runbook, b[i].ID, have.Runbook, a[i].ID)
		}
	}
	return nil
}

// onSwitchRunbook moves the queued sites (all, or the listed ones) to the
// new plan, and records the switch.
func (b *batchRun) onSwitchRunbook(ctx workflow.Context, req SwitchRunbookRequest) error {
	name := req.Plan.Runbook
	if name != b.in.Plan.Runbook {
		if _, ok := b.switched[name]; !ok {
			if err := b.addSwitched(req.Plan); err != nil {
				return err
			}
			b.in.Switched = append(b.in.Switched, req.Plan)
		}
	}
	moved := 0
	for i := range b.win.queue {
		s := &b.win.queue[i]
		if len(req.Sites) > 0 && !slices.Contains(req.Sites, s.SiteID) {
			continue
		}
		if from := b.runbookOf(*s); from != b.in.Plan.Runbook {
			b.switchedSites[from]--
		}
		s.Runbook = ""
		if name != b.in.Plan.Runbook {
			s.Runbook = name
			b.switchedSites[name]++
		}
		moved++
	}
	restarted := 0
	if req.IncludeParked {
		restarted = b.moveParked(ctx, req.Sites, name)
	}
	from := b.in.Plan.Runbook
	if b.runbook != "" {
		from = b.runbook
	}
	if len(req.Sites) == 0 {
		b.runbook = name
		if name == b.in.Plan.Runbook {
			b.runbook = ""
		}
	}
	detail := fmt.Sprintf("%s -> %s for %d queued sites", from, name, moved)
	if restarted > 0 {
		detail += fmt.Sprintf(", %d parked sites cancelled to start again", restarted)
	}
	if len(req.Sites) == 0 {
		detail += " and the sites added later"
	}
	b.act(ctx, ActionSwitchRunbook, Operator{Operator: req.Operator, Reason: req.Reason}, detail)
	return nil
}

// runbookOf is the runbook a site runs.
func (b *batchRun) runbookOf(s Site) string {
	if s.Runbook != "" {
		return s.Runbook
	}
	return b.in.Plan.Runbook
}

// parked says whether a site of the batch is running and parked.
func (b *batchRun) parked(id string) bool {
	c, ok := b.win.running[id]
	return ok && c.blocked == SiteEventParked
}

// parkedSites are the batch's parked sites, in start order.
func (b *batchRun) parkedSites() []string {
	var out []string
	for _, id := range b.win.order {
		if b.parked(id) {
			out = append(out, id)
		}
	}
	return out
}

// moveParked cancels the parked sites (the listed ones, or all) for them
// to start again with runbook name once their run has ended (record).
func (b *batchRun) moveParked(ctx workflow.Context, listed []string, name string) int {
	n := 0
	for _, id := range b.parkedSites() {
		if len(listed) > 0 && !slices.Contains(listed, id) {
			continue
		}
		if _, already := b.moving[id]; already {
			continue
		}
		b.moving[id] = name
		work, _ := workflow.NewDisconnectedContext(ctx)
		workflow.RequestCancelExternalWorkflow(work, b.siteWorkflowID(id), "")
		n++
	}
	return n
}

// restartMoved puts a moved site whose cancelled run has ended back in the
// queue, first, with the new runbook and the lead values it had; results
// of that run arriving later are stale (record). It says whether r was
// such a site's end.
func (b *batchRun) restartMoved(r SiteResult) bool {
	to, ok := b.moving[r.SiteID]
	if !ok {
		return false
	}
	delete(b.moving, r.SiteID)
	if r.Outcome != SiteCancelled {
		return false // it ended otherwise before the cancel reached it
	}
	c := b.win.release(r.SiteID)
	if c == nil {
		return false
	}
	site := c.site
	if from := b.runbookOf(site); from != b.in.Plan.Runbook {
		b.switchedSites[from]--
	}
	site.Runbook = ""
	if to != b.in.Plan.Runbook {
		site.Runbook = to
		b.switchedSites[to]++
	}
	b.lead.requeue(site.SiteID, c.vars, c.round)
	b.win.queue = append([]Site{site}, b.win.queue...)
	b.movedAt[site.SiteID] = workflow.Now(b.root)
	b.changed = true
	b.logger.Info("parked site starts again with another runbook", "site", site.SiteID, "runbook", b.runbookOf(site))
	return true
}

// staleResult says whether r is the result of a moved site's cancelled
// run (started before the site went back to the queue), arriving again
// (a site's end comes both as its child result and as a signal).
func (b *batchRun) staleResult(r SiteResult) bool {
	at, ok := b.movedAt[r.SiteID]
	return ok && !r.StartedAt.IsZero() && r.StartedAt.Before(at)
}

// Command record runs RestoreSite and RestoreBatch on a real Temporal dev
// server with stand-in activities, writes their histories to
// workflows/testdata/*.json (for the replay test) and prints history
// lengths of Restore-2-shaped and Restore-1-shaped site plans.
//
//	go run ./workflows/internal/record
//
// It must never be part of a worker: it is a development tool.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"

	historypb "go.temporal.io/api/history/v1"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/internal/tools"
	"github.com/lazarus-dr/lazarus/runbooks"
	"github.com/lazarus-dr/lazarus/workflows"
)

var actions = []string{"catalog", "restore", "sync", "validate", "db.clone", "db.drop_clone", "flaky"}

var measureDefaults = flag.Bool("measure-defaults", false, "also run one site of each default runbook (restore1, restore2) and print its history length")

var measureSites = flag.Int("measure-sites", 0, "also run a batch of this many one-step sites and print each run's history length")

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "record:", err)
		os.Exit(1)
	}
}

func step(id, action string, needs ...string) runbooks.PlanStep {
	return runbooks.PlanStep{ID: id, Action: action, Scope: runbooks.ScopeSite, Service: "svc", Stage: "stage-" + id,
		Needs: needs, Timeout: time.Minute, OnFailure: runbooks.OnFailurePark,
		Retry: runbooks.RetryPolicy{InitialInterval: 100 * time.Millisecond, BackoffCoefficient: 2, MaximumAttempts: 1}}
}

// shaped builds a plan of n site steps: width parallel chains after a
// catalog step, joined by a validation step and a gate.
func shaped(name string, n, width int) runbooks.Plan {
	steps := []runbooks.PlanStep{step("catalog", "catalog")}
	prev := make([]string, width)
	for i := range prev {
		prev[i] = "catalog"
	}
	for i := 0; len(steps) < n-2; i++ {
		id := fmt.Sprintf("s%02d", i)
		steps = append(steps, step(id, "restore", prev[i%width]))
		prev[i%width] = id
	}
	steps = append(steps, step("validate", "validate", prev...))
	g := step("customer", workflows.GateAction, "validate")
	g.Gate = &runbooks.Gate{Deadline: time.Second, Escalation: 500 * time.Millisecond, OnDeadline: "approve"}
	steps = append(steps, g)
	return runbooks.Plan{Runbook: name, Steps: steps}
}

func run() error {
	bin, err := tools.TemporalCLI()
	if err != nil {
		return err
	}
	ctx := context.Background()
	args := []string{"--dynamic-config-value", "system.enableActivityEagerExecution=true"}
	for _, sa := range workflows.SearchAttributeTypes {
		args = append(args, "--search-attribute", sa)
	}
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{ExistingPath: bin, ExtraArgs: args, LogLevel: "error"})
	if err != nil {
		return fmt.Errorf("start dev server: %w", err)
	}
	defer srv.Stop()
	c := srv.Client()

	var flakyCalls int
	ws := []worker.Worker{worker.New(c, workflows.WorkflowTaskQueue, worker.Options{})}
	workflows.Register(ws[0])
	queues := []string{"svc", "db"}
	all := actions
	if *measureDefaults {
		queues = append(queues, runbooks.Services()...)
		all = append(append([]string(nil), actions...), runbooks.ActivityNames()...)
	}
	for _, q := range queues {
		w := worker.New(c, workflows.ActivityTaskQueue(q), worker.Options{})
		seen := map[string]bool{}
		for _, a := range all {
			if seen[a] || (q != "svc" && q != "db" && !isDefaultAction(a)) {
				continue
			}
			seen[a] = true
			a := a
			w.RegisterActivityWithOptions(func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
				switch a {
				case "flaky":
					flakyCalls++
					if flakyCalls == 1 {
						return contract.StepOutput{}, errors.New("shard unreachable")
					}
				case "db.clone":
					out := contract.StepOutput{Values: map[string]string{"clone": "c1"}, PerSite: map[string]contract.Vars{}}
					for _, s := range in.Sites {
						out.PerSite[s.SiteID] = map[string]string{"clone.jira.dsn": "postgres://clone/jira", "restore_point": s.RestorePoint.Format(time.RFC3339Nano)}
					}
					return out, nil
				}
				return contract.StepOutput{Message: a + " ok", Values: map[string]string{a + ".done": in.StepID}}, nil
			}, activity.RegisterOptions{Name: a})
		}
		ws = append(ws, w)
	}
	for _, w := range ws {
		if err := w.Start(); err != nil {
			return err
		}
		defer w.Stop()
	}
	out := "workflows/testdata"
	rp := time.Date(2026, 4, 5, 7, 33, 0, 0, time.UTC)

	// 1. A site with a parked step retried by an operator and a gate approved.
	p := runbooks.Plan{Runbook: "replay-site", Steps: []runbooks.PlanStep{
		step("catalog", "catalog"), step("flaky", "flaky", "catalog"), step("sync", "sync", "catalog"),
		step("validate", "validate", "flaky", "sync"),
	}}
	g := step("customer", workflows.GateAction, "validate")
	g.Gate = &runbooks.Gate{Deadline: time.Hour, Escalation: time.Second, OnDeadline: "park"}
	p.Steps = append(p.Steps, g)
	siteID := "replay-site-1"
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.SiteWorkflowID(siteID), TaskQueue: workflows.WorkflowTaskQueue},
		workflows.RestoreSiteWorkflowName, workflows.RestoreSiteInput{BatchID: "replay", Site: workflows.Site{SiteID: siteID, RestorePoint: rp}, Plan: p})
	if err != nil {
		return err
	}
	if err := waitStep(ctx, c, run.GetID(), "flaky", workflows.StepParked); err != nil {
		return err
	}
	if err := doUpdate(ctx, c, run.GetID(), workflows.UpdateStepDecision, workflows.StepDecision{StepID: "flaky", Decision: "retry", Operator: "record"}); err != nil {
		return err
	}
	if err := waitStep(ctx, c, run.GetID(), "customer", workflows.StepWaiting); err != nil {
		return err
	}
	time.Sleep(1500 * time.Millisecond) // past the escalation
	if err := doUpdate(ctx, c, run.GetID(), workflows.UpdateGateDecision, workflows.GateDecision{StepID: "customer", Decision: "approve", Operator: "customer"}); err != nil {
		return err
	}
	var sres workflows.SiteResult
	if err := run.Get(ctx, &sres); err != nil {
		return err
	}
	if err := dump(ctx, c, run.GetID(), run.GetRunID(), filepath.Join(out, "site_park_retry_gate.json")); err != nil {
		return err
	}
	fmt.Printf("site (park, retry, gate): %s, %d events\n", sres.Outcome, length(ctx, c, run.GetID(), run.GetRunID()))

	// 2. Site history lengths for Restore-2 and Restore-1 shapes.
	for _, shape := range []struct {
		name         string
		steps, width int
	}{{"restore2-shaped", 30, 8}, {"restore1-shaped", 70, 2}} {
		id := "shape-" + shape.name
		r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.SiteWorkflowID(id), TaskQueue: workflows.WorkflowTaskQueue},
			workflows.RestoreSiteWorkflowName, workflows.RestoreSiteInput{BatchID: "shape", Site: workflows.Site{SiteID: id, RestorePoint: rp}, Plan: shaped(shape.name, shape.steps, shape.width)})
		if err != nil {
			return err
		}
		var res workflows.SiteResult
		if err := r.Get(ctx, &res); err != nil {
			return err
		}
		fmt.Printf("site %s (%d steps): %s, %d events\n", shape.name, shape.steps, res.Outcome, length(ctx, c, r.GetID(), r.GetRunID()))
	}

	// 3. A batch with a batch-scoped clone, 7 sites, continuing as new every 3 sites.
	bp := runbooks.Plan{Runbook: "replay-batch", Steps: []runbooks.PlanStep{
		{ID: "clone", Action: "db.clone", Scope: runbooks.ScopeBatch, Service: "db", Timeout: time.Minute, Cleanup: "db.drop_clone",
			OnFailure: runbooks.OnFailureFail, Retry: runbooks.RetryPolicy{MaximumAttempts: 1}},
		step("catalog", "catalog"), step("restore", "restore", "clone", "catalog"),
	}}
	var bsites []workflows.Site
	for i := 0; i < 7; i++ {
		bsites = append(bsites, workflows.Site{SiteID: fmt.Sprintf("replay-b-%d", i), RestorePoint: rp})
	}
	bid := workflows.BatchWorkflowID("replay")
	br, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: bid, TaskQueue: workflows.WorkflowTaskQueue},
		workflows.RestoreBatchWorkflowName, workflows.RestoreBatchInput{BatchID: "replay", Plan: bp, Sites: bsites, MaxConcurrentSites: 2, MaxChildrenPerRun: 3})
	if err != nil {
		return err
	}
	var bres workflows.BatchResult
	if err := br.Get(ctx, &bres); err != nil {
		return err
	}
	// Every run of the batch: walk the chain back from the last run.
	runID := br.GetRunID()
	for i := 1; runID != ""; i++ {
		if err := dump(ctx, c, bid, runID, filepath.Join(out, fmt.Sprintf("batch_run_last_minus_%d.json", i-1))); err != nil {
			return err
		}
		fmt.Printf("batch run (last - %d): %d events\n", i-1, length(ctx, c, bid, runID))
		runID = prevRun(ctx, c, bid, runID)
	}
	fmt.Printf("batch: %d sites, errors %v\n", len(bres.Sites), bres.Errors)

	if *measureDefaults {
		if err := measureDefaultPlans(ctx, c, rp); err != nil {
			return err
		}
	}
	if *measureSites > 0 {
		return measure(ctx, c, rp, *measureSites)
	}
	return nil
}

func isDefaultAction(a string) bool {
	for _, n := range runbooks.ActivityNames() {
		if n == a {
			return true
		}
	}
	return false
}

// measureDefaultPlans runs one site of each default runbook (batch steps
// counted as done, gates approved as soon as they open) and prints the
// site workflow's history length.
func measureDefaultPlans(ctx context.Context, c client.Client, rp time.Time) error {
	for _, name := range []string{"restore2", "restore1"} {
		p, err := runbooks.Default(name)
		if err != nil {
			return err
		}
		id := "measure-" + name
		r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.SiteWorkflowID(id), TaskQueue: workflows.WorkflowTaskQueue},
			workflows.RestoreSiteWorkflowName, workflows.RestoreSiteInput{BatchID: "measure", Site: workflows.Site{SiteID: id, RestorePoint: rp}, Plan: *p})
		if err != nil {
			return err
		}
		for _, st := range p.Steps {
			if st.Gate == nil {
				continue
			}
			if err := waitStep(ctx, c, r.GetID(), st.ID, workflows.StepWaiting); err != nil {
				return err
			}
			if err := doUpdate(ctx, c, r.GetID(), workflows.UpdateGateDecision, workflows.GateDecision{StepID: st.ID, Decision: "approve", Operator: "measure"}); err != nil {
				return err
			}
		}
		var res workflows.SiteResult
		if err := r.Get(ctx, &res); err != nil {
			return err
		}
		site := 0
		for _, st := range p.Steps {
			if st.Scope == runbooks.ScopeSite {
				site++
			}
		}
		fmt.Printf("default runbook %s (%d steps, %d site-scoped): %s, %d events, history %d bytes\n", name, len(p.Steps), site, res.Outcome,
			length(ctx, c, r.GetID(), r.GetRunID()), size(ctx, c, r.GetID(), r.GetRunID()))
	}
	return nil
}

func size(ctx context.Context, c client.Client, id, runID string) int {
	h, err := history(ctx, c, id, runID)
	if err != nil {
		return -1
	}
	b, _ := protojson.Marshal(h)
	return len(b)
}

// measure runs a batch of n one-step sites with the default window and
// children per run, and prints each run's history length.
func measure(ctx context.Context, c client.Client, rp time.Time, n int) error {
	p := runbooks.Plan{Runbook: "measure", Steps: []runbooks.PlanStep{step("catalog", "catalog")}}
	var sites []workflows.Site
	for i := 0; i < n; i++ {
		sites = append(sites, workflows.Site{SiteID: fmt.Sprintf("m-%05d", i), RestorePoint: rp})
	}
	id := workflows.BatchWorkflowID("measure")
	start := time.Now()
	r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.WorkflowTaskQueue},
		workflows.RestoreBatchWorkflowName, workflows.RestoreBatchInput{BatchID: "measure", Plan: p, Sites: sites})
	if err != nil {
		return err
	}
	var res workflows.BatchResult
	if err := r.Get(ctx, &res); err != nil {
		return err
	}
	fmt.Printf("measure: %d sites restored in %s\n", len(res.Sites), time.Since(start).Round(time.Millisecond))
	runID := r.GetRunID()
	for i := 0; runID != ""; i++ {
		fmt.Printf("measure batch run (last - %d): %d events\n", i, length(ctx, c, id, runID))
		runID = prevRun(ctx, c, id, runID)
	}
	return nil
}

func waitStep(ctx context.Context, c client.Client, id, stepID, status string) error {
	for i := 0; i < 200; i++ {
		v, err := c.QueryWorkflow(ctx, id, "", workflows.QuerySiteState)
		if err == nil {
			var st workflows.SiteState
			if err := v.Get(&st); err != nil {
				return err
			}
			for _, s := range st.Steps {
				if s.StepID == stepID && s.Status == status {
					return nil
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("step %s of %s never became %s", stepID, id, status)
}

func doUpdate(ctx context.Context, c client.Client, id, name string, arg any) error {
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	return h.Get(ctx, nil)
}

func history(ctx context.Context, c client.Client, id, runID string) (*historypb.History, error) {
	it := c.GetWorkflowHistory(ctx, id, runID, false, 0)
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, err
		}
		h.Events = append(h.Events, ev)
	}
	return h, nil
}

func length(ctx context.Context, c client.Client, id, runID string) int {
	h, err := history(ctx, c, id, runID)
	if err != nil {
		return -1
	}
	return len(h.Events)
}

func prevRun(ctx context.Context, c client.Client, id, runID string) string {
	h, err := history(ctx, c, id, runID)
	if err != nil || len(h.Events) == 0 {
		return ""
	}
	return h.Events[0].GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId()
}

func dump(ctx context.Context, c client.Client, id, runID, path string) error {
	h, err := history(ctx, c, id, runID)
	if err != nil {
		return err
	}
	b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

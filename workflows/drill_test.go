package workflows

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/drill"
	"github.com/lazarus-dr/lazarus/runbooks"
)

// fakeDrillPlatform stands for the drill's activities and its batch in the
// workflow's unit tests.
type fakeDrillPlatform struct {
	mu          sync.Mutex
	prepareErr  error
	sites       []string
	failSite    string
	changeAfter string // a tenant whose checksum differs after the drill
	left        []string
	batchDelay  time.Duration
	checksums   int
	cleanups    []drill.CleanupInput
	batchInputs []RestoreBatchInput
}

func (f *fakeDrillPlatform) register(env *testsuite.TestWorkflowEnvironment) {
	env.RegisterWorkflowWithOptions(DrillRun, workflow.RegisterOptions{Name: DrillWorkflowName})
	env.RegisterActivityWithOptions(func(ctx context.Context, in drill.PrepareInput) (drill.PrepareOutput, error) {
		if f.prepareErr != nil {
			return drill.PrepareOutput{}, f.prepareErr
		}
		out := drill.PrepareOutput{Plan: plan(step("a", "x"), step("b", "y", "a")), LiveSites: 10}
		out.Plan.Runbook = in.Runbook
		for _, s := range f.sites {
			out.Sites = append(out.Sites, drill.Picked{SiteID: s, Stratum: drill.StratumSmall})
		}
		return out, nil
	}, activity.RegisterOptions{Name: drill.ActivityPrepare})
	env.RegisterActivityWithOptions(func(ctx context.Context) (drill.ChecksumsOutput, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.checksums++
		out := drill.ChecksumsOutput{Tenants: map[string]string{"t1": "a", "t2": "b", "t3": "c"}}
		if f.checksums > 1 && f.changeAfter != "" {
			out.Tenants[f.changeAfter] = "changed"
		}
		return out, nil
	}, activity.RegisterOptions{Name: drill.ActivityChecksums})
	env.RegisterActivityWithOptions(func(ctx context.Context, in drill.CollectInput) (drill.CollectOutput, error) {
		var out drill.CollectOutput
		for _, s := range in.Sites {
			r := drill.SiteRecord{SiteID: s, CopyID: "copy-" + s, Outcome: SiteRestored,
				RestorePoint: time.Date(2026, 11, 29, 9, 55, 0, 0, time.UTC),
				EndedAt:      time.Date(2026, 11, 29, 10, 2, 0, 0, time.UTC),
				Steps:        []drill.Step{{StepID: "a", Status: StepDone, Seconds: 3}, {StepID: "b", Status: StepDone, Seconds: 4}}}
			if s == f.failSite {
				r.Outcome, r.Errors = SiteParked, []string{"step b: validation failed"}
			}
			out.Sites = append(out.Sites, r)
		}
		return out, nil
	}, activity.RegisterOptions{Name: drill.ActivityCollect})
	env.RegisterActivityWithOptions(func(ctx context.Context, in drill.CleanupInput) (drill.CleanupOutput, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.cleanups = append(f.cleanups, in)
		return drill.CleanupOutput{Removed: in.Sites, Left: f.left, LiveSites: 10}, nil
	}, activity.RegisterOptions{Name: drill.ActivityCleanup})
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context, in RestoreBatchInput) (BatchResult, error) {
		f.mu.Lock()
		f.batchInputs = append(f.batchInputs, in)
		f.mu.Unlock()
		if f.batchDelay > 0 {
			if err := workflow.Sleep(ctx, f.batchDelay); err != nil {
				return BatchResult{}, err
			}
		}
		res := BatchResult{BatchID: in.BatchID}
		for _, s := range in.Sites {
			res.Sites = append(res.Sites, SiteResult{SiteID: s.SiteID, Outcome: SiteRestored})
		}
		return res, nil
	}, workflow.RegisterOptions{Name: RestoreBatchWorkflowName})
}

func runDrill(t *testing.T, f *fakeDrillPlatform, in drill.Input, during func(env *testsuite.TestWorkflowEnvironment)) drill.Result {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC))
	f.register(env)
	if during != nil {
		during(env)
	}
	env.ExecuteWorkflow(DrillWorkflowName, in)
	if !env.IsWorkflowCompleted() {
		t.Fatal("the drill did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("the drill failed as a workflow (it must complete with its result): %v", err)
	}
	var res drill.Result
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestDrillPassesAndMeasures(t *testing.T) {
	f := &fakeDrillPlatform{sites: []string{"s1", "s2"}}
	res := runDrill(t, f, drill.Input{DrillID: "d1", Sample: 2, PointAge: 5 * time.Minute}, nil)
	if !res.Passed || !res.ProductionUnchanged || !res.CleanedUp || len(res.Errors) > 0 {
		t.Fatalf("drill did not pass: %+v", res)
	}
	if res.ProductionChecked != 3 || res.Runbook != drill.DefaultRunbook {
		t.Errorf("checked %d tenants, runbook %q", res.ProductionChecked, res.Runbook)
	}
	if want := time.Date(2026, 11, 29, 9, 55, 0, 0, time.UTC); !res.RestorePoint.Equal(want) {
		t.Errorf("restore point %s, want %s (5m before the start)", res.RestorePoint, want)
	}
	for _, st := range f.batchInputs[0].Plan.Steps {
		if st.OnFailure == runbooks.OnFailurePark {
			t.Errorf("step %s parks in a drill: nobody is there to answer", st.ID)
		}
	}
	if len(f.batchInputs) != 1 || !f.batchInputs[0].Drill || f.batchInputs[0].BatchID != "d1" || len(f.batchInputs[0].Sites) != 2 {
		t.Fatalf("batch input %+v", f.batchInputs)
	}
	for _, s := range res.Sites {
		if !s.Validated || s.RTOSeconds != 120 || s.RPOSeconds != 300 || s.CopyID != "copy-"+s.SiteID {
			t.Errorf("site %+v: want validated, RTO 120 s, RPO 300 s", s)
		}
		if len(s.Steps) != 2 || s.Steps[1].Seconds != 4 || s.Steps[1].RPOSeconds != 300 {
			t.Errorf("site %s steps %+v", s.SiteID, s.Steps)
		}
	}
	if len(f.cleanups) != 1 || len(f.cleanups[0].Sites) != 2 {
		t.Errorf("cleanups %+v", f.cleanups)
	}
}

func TestDrillFailsOnASiteAChangedTenantOrALeftCopyAndStillCleansUp(t *testing.T) {
	for name, f := range map[string]*fakeDrillPlatform{
		"site":   {sites: []string{"s1", "s2"}, failSite: "s2"},
		"tenant": {sites: []string{"s1"}, changeAfter: "t2"},
		"left":   {sites: []string{"s1"}, left: []string{"copy-s1"}},
	} {
		t.Run(name, func(t *testing.T) {
			res := runDrill(t, f, drill.Input{DrillID: "d2", Sample: 2}, nil)
			if res.Passed || len(res.Errors) == 0 {
				t.Fatalf("the drill passed: %+v", res)
			}
			if len(f.cleanups) != 1 {
				t.Errorf("cleanups %d, want 1", len(f.cleanups))
			}
			switch name {
			case "site":
				if res.Sites[1].Validated || res.Sites[1].RTOSeconds != 0 {
					t.Errorf("failed site %+v", res.Sites[1])
				}
			case "tenant":
				if res.ProductionUnchanged || len(res.ProductionChanged) != 1 || res.ProductionChanged[0] != "t2" {
					t.Errorf("production %v %v", res.ProductionUnchanged, res.ProductionChanged)
				}
			case "left":
				if res.CleanedUp {
					t.Error("cleaned up with a copy left")
				}
			}
		})
	}
}

func TestDrillCancelledStillCleansUp(t *testing.T) {
	f := &fakeDrillPlatform{sites: []string{"s1", "s2"}, batchDelay: time.Hour}
	res := runDrill(t, f, drill.Input{DrillID: "d3", Sample: 2}, func(env *testsuite.TestWorkflowEnvironment) {
		env.RegisterDelayedCallback(env.CancelWorkflow, 10*time.Minute)
	})
	if res.Passed {
		t.Fatal("a cancelled drill passed")
	}
	if len(f.cleanups) != 1 || len(f.cleanups[0].Sites) != 2 {
		t.Fatalf("a cancelled drill must clean up every copy: %+v", f.cleanups)
	}
	if f.checksums != 2 {
		t.Errorf("checksums taken %d times, want before and after", f.checksums)
	}
}

func TestDrillThatCannotPrepareMakesNothing(t *testing.T) {
	f := &fakeDrillPlatform{prepareErr: temporal.NewNonRetryableApplicationError("runbook restore2 undeletes in place", "InvalidInput", errors.New("bad runbook"))}
	res := runDrill(t, f, drill.Input{DrillID: "d4", Runbook: "restore2", Sample: 2}, nil)
	if res.Passed || len(res.Errors) != 1 || !res.CleanedUp || len(f.batchInputs) != 0 || len(f.cleanups) != 0 {
		t.Fatalf("result %+v, batches %d, cleanups %d", res, len(f.batchInputs), len(f.cleanups))
	}
}

func TestScheduledDrillDerivesItsID(t *testing.T) {
	f := &fakeDrillPlatform{sites: []string{"s1"}}
	res := runDrill(t, f, drill.Input{ScheduleID: "Weekly_DR", Sample: 1}, nil)
	if res.Seed != time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC).Unix() {
		t.Errorf("a schedule without a seed drew with seed %d, want the start time's", res.Seed)
	}
	if res.DrillID != "weekly-dr-20261129-100000" || f.batchInputs[0].BatchID != res.DrillID {
		t.Fatalf("drill ID %q (batch %q)", res.DrillID, f.batchInputs[0].BatchID)
	}
}

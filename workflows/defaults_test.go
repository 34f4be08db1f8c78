package workflows

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/runbooks"
)

// The default runbooks' compiled plans run end to end through RestoreBatch
// (stand-in activities; every gate approved as soon as it opens): every
// site step runs exactly once per site, batch steps once per batch, and
// every cleanup runs.
func TestDefaultRunbooksRunEndToEnd(t *testing.T) {
	for _, name := range []string{"restore2", "restore1"} {
		t.Run(name, func(t *testing.T) {
			p, err := runbooks.Default(name)
			if err != nil {
				t.Fatalf("load %s: %v", name, err)
			}
			env := newEnv(t)
			rec := newRecorder()
			registerStandIns(env, rec)
			k := countPlanSteps(p)
			siteIDs := []string{"a", "b", "c"}
			approveGatesAfterAnHour(t, env, siteIDs, k.gates)
			var in []Site
			for _, id := range siteIDs {
				in = append(in, Site{SiteID: id, RestorePoint: testSite.RestorePoint})
			}
			env.ExecuteWorkflow(RestoreBatchWorkflowName, RestoreBatchInput{BatchID: "d", Plan: *p, Sites: in, MaxConcurrentSites: 3})
			res := batchResult(t, env)
			if o := outcomes(res); o[SiteRestored] != 3 {
				t.Fatalf("outcomes %v errors %v", o, res.Errors)
			}
			if calls := siteActivityCalls(rec); calls != 3*k.siteSteps {
				t.Fatalf("%d site activity calls, want %d (3 sites x %d steps, each once)", calls, 3*k.siteSteps, k.siteSteps)
			}
			if n := len(rec.inputs("db.clone")); n != k.batchSteps {
				t.Fatalf("%d clone calls, want %d", n, k.batchSteps)
			}
			if n := len(rec.inputs("db.drop_clone")); n != k.cleanups {
				t.Fatalf("%d cleanups, want %d", n, k.cleanups)
			}
		})
	}
}

// registerStandIns registers a stand-in for every action: batch steps
// return a clone value for the batch and a DSN for each of its sites.
func registerStandIns(env *testsuite.TestWorkflowEnvironment, rec *recorder) {
	for _, a := range runbooks.ActivityNames() {
		rec.register(env, a, func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
			out := contract.StepOutput{Message: in.Action}
			if len(in.Sites) > 0 {
				out.Values = map[string]string{"clone": in.StepID}
				out.PerSite = map[string]contract.Vars{}
				for _, s := range in.Sites {
					out.PerSite[s.SiteID] = map[string]string{"clone." + in.Params["cluster"] + ".dsn": "postgres://" + in.StepID}
				}
			}
			return out, nil
		})
	}
}

// planStepKinds counts a plan's steps by kind.
type planStepKinds struct {
	gates                           []string
	batchSteps, siteSteps, cleanups int
}

func countPlanSteps(p *runbooks.Plan) planStepKinds {
	var k planStepKinds
	for _, st := range p.Steps {
		switch {
		case st.Gate != nil:
			k.gates = append(k.gates, st.ID)
		case st.Scope == runbooks.ScopeBatch:
			k.batchSteps++
			if st.Cleanup != "" {
				k.cleanups++
			}
		default:
			k.siteSteps++
		}
	}
	return k
}

// approveGatesAfterAnHour has the customer approve every gate of every
// site an hour into the batch.
func approveGatesAfterAnHour(t *testing.T, env *testsuite.TestWorkflowEnvironment, siteIDs, gates []string) {
	for _, id := range siteIDs {
		for _, g := range gates {
			id, g := id, g
			env.RegisterDelayedCallback(func() {
				env.UpdateWorkflowByID(SiteWorkflowID(id), UpdateGateDecision, id+"/"+g, &updateCallbacks{t: t},
					GateDecision{StepID: g, Decision: "approve", Operator: "customer"})
			}, time.Hour)
		}
	}
}

// siteActivityCalls counts the activity calls made for a site (not for
// the batch).
func siteActivityCalls(rec *recorder) int {
	calls := 0
	for _, a := range runbooks.ActivityNames() {
		for _, c := range rec.inputs(a) {
			if c.SiteID != "" {
				calls++
			}
		}
	}
	return calls
}

type updateCallbacks struct{ t *testing.T }

func (u *updateCallbacks) Accept()                   {}
func (u *updateCallbacks) Reject(err error)          { u.t.Errorf("gate update rejected: %v", err) }
func (u *updateCallbacks) Complete(_ any, err error) {}
